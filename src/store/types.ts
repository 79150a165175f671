/**
 * The store remembers; the planner decides. This interface is what the pipeline
 * sees, so a PostgreSQL store can follow without touching the pipeline: every
 * method is async and every multi-row change it names is atomic.
 */
import type { Article } from '../content/article.ts';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';
export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced';

/** What a channel decided about an article, once: never revisited automatically. */
export type DecisionStatus =
  | 'baseline' // already published and older than lookback when the channel first ran
  | 'too-old' // older than maxAge when Herald first saw it
  | 'waiting' // due, waiting for the channel's next digest
  | 'planned'; // deliveries written (post channels), or put in a digest

export interface StoredArticle {
  article: Article;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Set when the file disappeared from content.dir. */
  goneAt?: string;
}

export interface ChannelState {
  id: string;
  firstRunAt: string;
  lastDigestAt?: string;
}

export interface Decision {
  channelId: string;
  articleId: string;
  status: DecisionStatus;
  digestId?: number;
  decidedAt: string;
}

export interface Delivery {
  id: number;
  channelId: string;
  /** 'post' = one article to one destination; 'digest' = one digest to one subscriber. */
  kind: 'post' | 'digest';
  articleId?: string;
  digestId?: number;
  subscriberId?: number;
  /** Email address, chat id, … */
  recipient: string;
  /** Article ids (JSON array) this recipient gets, for digests; renders are shared per distinct variant. */
  variant?: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  providerMessageId?: string;
  /** Stable RFC 5322 Message-ID for emails, so a repeat after a crash is recognisable. */
  messageId?: string;
  manual: boolean;
  createdAt: string;
  sentAt?: string;
  claimedBy?: string;
}

export interface NewDelivery {
  channelId: string;
  kind: 'post' | 'digest';
  articleId?: string;
  digestId?: number;
  subscriberId?: number;
  recipient: string;
  variant?: string;
  messageId?: string;
  manual?: boolean;
  /** Unique: planning the same key twice writes one row (idempotent planning). */
  dedupeKey: string;
}

export interface Subscriber {
  id: number;
  /** Random, opaque id used in unsubscribe tokens (never the address). */
  publicId: string;
  email: string;
  name?: string;
  topics: string[];
  /** The site language they read in (a code of the site's languages); unset: the site's default. */
  language?: string;
  status: SubscriberStatus;
  /** Paused by the reader: keeps their choices, receives nothing until resumed. */
  paused: boolean;
  /** When the last confirmation email was sent (re-sends are throttled by it). */
  confirmSentAt?: string;
  /** When the reader confirmed their address. */
  confirmedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** What a web sign-up did: new or renewed requests need a confirmation email, the others none. */
export type SignUpOutcome =
  | 'created' // a new pending subscriber
  | 'pending' // still awaiting confirmation; name and topics replaced by the latest request
  | 'renewed' // had unsubscribed and asked again: pending once more
  | 'active' // already subscribed: nothing changed
  | 'bounced'; // address known to bounce: nothing changed

export type ConfirmOutcome =
  | 'confirmed' // pending → active
  | 'already' // was active already
  | 'stale'; // unsubscribed after the link was issued, or bounced: nothing changed

export interface Digest {
  id: number;
  channelId: string;
  createdAt: string;
  articleIds: string[];
  /** 'planning' until every recipient's delivery is written, then 'planned'. */
  status: 'planning' | 'planned';
}

/** Expand one planned item into a delivery per active subscriber the match function accepts. */
export interface SubscriberFanout {
  channelId: string;
  kind: 'post' | 'digest';
  articleId?: string;
  digestId?: number;
  /** Returns the variant (JSON list of article ids) for this subscriber, or null to skip them. */
  match: (s: Subscriber) => string | null;
  dedupePrefix: string;
  messageId: (s: Subscriber) => string;
}

/** One planning pass for one channel, applied atomically. */
export interface ChannelPlan {
  channelId: string;
  /** Create the channel's state (first contact) in the same transaction. */
  createChannelAt?: string;
  /** Written once per article: an existing decision is kept (see overrideWaiting). */
  decisions: Array<Omit<Decision, 'channelId' | 'decidedAt'>>;
  /** Manual sends: replace a 'waiting' / 'baseline' / 'too-old' decision with this plan's. */
  overrideWaiting?: boolean;
  deliveries: NewDelivery[];
  fanouts: SubscriberFanout[];
}

export interface DeliverySummary {
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  lastSentAt?: string;
  /** Provider id of the most recent sent delivery. */
  providerMessageId?: string;
  lastError?: string;
}

export interface DeliveryCounts {
  channelId: string;
  pending: number;
  sending: number;
  sent: number;
  failed: number;
}

export interface Store {
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** True when the store answers (for health checks). */
  ping(): Promise<boolean>;

  /**
   * Record the scan, atomically: each article is identified by its language and file
   * (identifyArticles); new ones get firstSeenAt = now; known ones get their snapshot
   * refreshed when it changed; missing ones goneAt. `ids` maps each scanned id the ledger
   * knows under another id (a row from before ids were by language and file) to that id;
   * callers use the ledger's id from then on.
   */
  syncArticles(articles: Article[], now: Date, defaultLanguage?: string): Promise<{ added: string[]; ids: Map<string, string> }>;
  /**
   * The ledger's ids for scanned articles, without writing: the row of the same language and
   * file, else a row written before ids were by language and file whose file is the same (the
   * default language's article first), else such a row with the same link (the content folder
   * moved), else the scanned id (made unique if another file holds it). Only ids that differ
   * are in the map.
   */
  identifyArticles(articles: Array<Pick<Article, 'id' | 'file' | 'language'> & { url?: string }>, defaultLanguage?: string): Promise<Map<string, string>>;
  getArticle(id: string): Promise<StoredArticle | undefined>;
  listArticles(): Promise<StoredArticle[]>;

  getChannel(id: string): Promise<ChannelState | undefined>;
  setLastDigestAt(channelId: string, at: Date): Promise<void>;
  decisions(channelId: string): Promise<Map<string, Decision>>;
  /** Articles due for a digest channel and not yet in a digest. */
  waitingArticles(channelId: string): Promise<string[]>;
  applyPlan(plan: ChannelPlan, now: Date): Promise<{ planned: number }>;
  /** Create a digest of these (waiting) articles; they become 'planned' with this digest id. */
  /** Undefined when none of them is still waiting (another process took them). */
  createDigest(channelId: string, articleIds: string[], now: Date): Promise<Digest | undefined>;
  unfinishedDigests(channelId: string): Promise<Digest[]>;
  /** Mark a digest fully planned (after its fanout was applied). */
  finishDigest(digestId: number): Promise<void>;
  getDigest(id: number): Promise<Digest | undefined>;

  /** Atomically claim up to `limit` due pending deliveries of a channel for `claimant`. */
  claim(channelId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]>;
  /** Return 'sending' rows whose claimant is gone (dead pid on this host, or lease expired) to 'pending'. */
  releaseStale(now: Date, leaseMs: number, isAlive: (claimant: string) => boolean): Promise<number>;
  /** Give back claimed deliveries untouched (channel given up for this run). */
  release(ids: number[], nextAttemptAt: Date, uncountAttempt: boolean): Promise<void>;
  markSent(id: number, providerMessageId: string | undefined, now: Date): Promise<void>;
  /** Several markSent in one transaction (the send loop batches them for large fan-outs). */
  markSentMany(items: Array<{ id: number; providerMessageId?: string; sentAt: Date }>): Promise<void>;
  markRetry(id: number, error: string, nextAttemptAt: Date, countAttempt: boolean): Promise<void>;
  markFailed(id: number, error: string, now: Date): Promise<void>;
  /** failed → pending (attempts reset), optionally for one channel; returns how many. */
  resetFailed(channelId: string | undefined, now: Date): Promise<number>;
  deliveriesForArticle(articleId: string): Promise<Delivery[]>;
  /**
   * Subscribers who already have a delivery (of any status) of any of these
   * articles on this channel, directly or in a digest: a reader gets one translation of a page.
   */
  subscribersReached(channelId: string, articleIds: string[]): Promise<Set<number>>;
  /** Aggregate state of the deliveries of one article (directly, or through the digest it was in) to one channel. */
  deliverySummary(channelId: string, ref: { articleId?: string; digestId?: number }): Promise<DeliverySummary>;
  counts(): Promise<DeliveryCounts[]>;
  recentFailures(limit: number): Promise<Delivery[]>;
  /** Newest first; optionally only one status or channel. */
  recentDeliveries(opts: { status?: DeliveryStatus; channelId?: string; limit: number }): Promise<Delivery[]>;
  nextAttemptAt(channelId: string): Promise<string | undefined>;

  getSubscriber(email: string): Promise<Subscriber | undefined>;
  getSubscriberById(id: number): Promise<Subscriber | undefined>;
  getSubscriberByPublicId(publicId: string): Promise<Subscriber | undefined>;
  /** Many at once (the send loop reads a claimed batch's recipients in one query). */
  subscribersByIds(ids: number[]): Promise<Map<number, Subscriber>>;
  /**
   * Adds or updates by address (case-insensitive). With `ifStatusIn`, an existing
   * subscriber's status changes only if it is one of those at the moment of writing
   * (checked and written together, so a reader's unsubscribe in between is never undone).
   */
  upsertSubscriber(
    s: { email: string; name?: string; topics?: string[]; language?: string; status?: SubscriberStatus; ifStatusIn?: readonly SubscriberStatus[] },
    now: Date,
  ): Promise<{ subscriber: Subscriber; created: boolean }>;
  removeSubscriber(email: string): Promise<boolean>;
  setSubscriberStatus(id: number, status: SubscriberStatus, now: Date): Promise<void>;
  /** Pages through subscribers ordered by id, `status` filter optional. */
  subscribers(opts?: { status?: SubscriberStatus; afterId?: number; limit?: number }): Promise<Subscriber[]>;
  subscriberCounts(): Promise<Record<SubscriberStatus, number>>;
  /** Case-insensitive substring search in address and name. */
  searchSubscribers(query: string, limit: number): Promise<Subscriber[]>;

  /**
   * A reader's sign-up request (double opt-in), atomic: a new address becomes 'pending';
   * a pending or unsubscribed one is (again) pending with this name and topics; an active or
   * bounced one is left as it is. Never a second row for one address.
   */
  signUp(s: { email: string; name?: string; topics: string[]; language?: string }, now: Date): Promise<{ subscriber: Subscriber; outcome: SignUpOutcome }>;
  /**
   * Take the right to send a confirmation email now: true (and confirm_sent_at = now) when none
   * was sent within `minIntervalMs`. Atomic, so two requests at once send one email.
   */
  claimConfirmationSend(id: number, now: Date, minIntervalMs: number): Promise<boolean>;
  /** Undo a claim whose email could not be sent, so the reader may ask again at once. */
  releaseConfirmationSend(id: number, claimedAt: Date): Promise<void>;
  /**
   * A confirmation link was followed. `issuedAt` is when the link was made: a reader who
   * unsubscribed after that is not re-subscribed by an old link.
   */
  confirmSubscriber(id: number, issuedAt: Date, now: Date): Promise<{ subscriber: Subscriber; outcome: ConfirmOutcome } | undefined>;
  /** Stop everything for this reader: status 'unsubscribed' (a bounced one stays bounced) and pending deliveries cancelled. */
  unsubscribe(id: number, now: Date): Promise<{ subscriber: Subscriber; cancelled: number } | undefined>;
  /** The reader's own changes; pausing cancels their pending deliveries. `name: null` clears it. */
  updatePreferences(id: number, p: { name: string | null; topics: string[]; paused: boolean }, now: Date): Promise<Subscriber | undefined>;
  /** Mark a subscriber's pending deliveries failed with this reason; returns how many. */
  cancelPendingDeliveries(subscriberId: number, reason: string, now: Date): Promise<number>;
}

/**
 * The store remembers; the planner decides. This interface is what the pipeline
 * sees, so a PostgreSQL store can follow without touching the pipeline: every
 * method is async and every multi-row change it names is atomic.
 */
import type { Article } from '../content/article.ts';
import type { CachedPage } from '../content/parse-cache.ts';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';
/**
 * pending: signed up on the web, not confirmed yet; active: receives email; unsubscribed,
 * bounced, complained: suppressed, gets nothing (a complaint is a "this is spam" report).
 */
export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced' | 'complained';

/** Who or what changed a subscriber's status: kept with every change (consent records). */
export type ConsentSource =
  | 'signup' // the web sign-up form
  | 'confirm' // the link in the confirmation email (double opt-in)
  | 'link' // the button on the unsubscribe page
  | 'one-click' // RFC 8058 one-click from a mail client (List-Unsubscribe-Post)
  | 'preferences' // the unsubscribe button of the preferences page
  | 'editor' // an editor, from the CLI or the dashboard
  | 'import' // a CSV import
  | 'bounce' // a bounce report
  | 'complaint' // a complaint (spam) report
  | 'provider' // an unsubscribe reported by the sending provider (its own link or list-unsubscribe handling)
  | 'upgrade'; // the status already on record when Herald began keeping consent history

/** Where a change came from, written with it. `ip`: the client address of a web action; `detail`: a short note. */
export interface ConsentContext {
  source: ConsentSource;
  ip?: string;
  detail?: string;
}

/** One change of a subscriber's consent: a status change, or a request to subscribe again. */
export interface ConsentEvent {
  id: number;
  subscriberId: number;
  /** The address (filled in by listings across subscribers). */
  email?: string;
  at: string;
  /** Undefined when the subscriber was created by this event. */
  from?: SubscriberStatus;
  to: SubscriberStatus;
  source: ConsentSource;
  ip?: string;
  detail?: string;
}

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
  /** Opted into breaking-news alerts by email (a digest channel with `breaking: email`). Off by default. */
  alerts: boolean;
  /** When the last confirmation email was sent (re-sends are throttled by it). */
  confirmSentAt?: string;
  /** When the reader confirmed their address (last confirmation). */
  confirmedAt?: string;
  /** When the address last stopped receiving email (unsubscribed, bounced, complained), and by which source. */
  unsubscribedAt?: string;
  unsubscribeSource?: ConsentSource;
  createdAt: string;
  updatedAt: string;
}

/**
 * What a web sign-up did. Anyone can post any address, so a sign-up never changes an
 * existing subscriber: 'created', 'pending' and 'requested' need a confirmation email.
 */
export type SignUpOutcome =
  | 'created' // a new pending subscriber
  | 'pending' // still awaiting confirmation: nothing changed (name and topics are those of the first sign-up)
  | 'requested' // unsubscribed or complained: a re-subscription request was recorded; still suppressed until its link is followed
  | 'active' // already subscribed: nothing changed
  | 'bounced'; // address known to bounce: nothing changed

/** What a confirmation link carries: when it was made, and the re-subscription request it answers (if any). */
export interface ConfirmLink {
  issuedAt: Date;
  requestId?: number;
}

export type ConfirmOutcome =
  | 'confirmed' // pending → active, or a re-subscription request completed
  | 'already' // was active already
  | 'stale'; // not for the current state (unsubscribed after it was made, request superseded, bounced): nothing changed

/** A reader who unsubscribed (or complained) asked on the web to subscribe again. */
export interface ResubscribeRequest {
  id: number;
  subscriberId: number;
  requestedAt: string;
  name?: string;
  topics: string[];
  confirmedAt?: string;
}

/** Limits on confirmation emails to one address. */
export interface ConfirmationLimits {
  /** No second email within this many ms. */
  minIntervalMs: number;
  /** At most this many in any 24 hours. */
  maxPerDay: number;
}

export interface Digest {
  id: number;
  channelId: string;
  createdAt: string;
  articleIds: string[];
  /** 'planning' until every recipient's delivery is written, then 'planned'. */
  status: 'planning' | 'planned';
  /** What each article showed when the digest was made (for the next digest's corrections). */
  shown?: Record<string, PostShown>;
}

/**
 * What planning reads of each subscriber: only what decides their variant and addresses the
 * delivery (reading whole rows cost a third of planning a large fan-out).
 */
export type FanoutReader = Pick<Subscriber, 'id' | 'publicId' | 'email' | 'topics' | 'language' | 'alerts'>;

/** Expand one planned item into a delivery per active subscriber the match function accepts. */
export interface SubscriberFanout {
  channelId: string;
  kind: 'post' | 'digest';
  articleId?: string;
  digestId?: number;
  /** Returns the variant (JSON list of article ids) for this subscriber, or null to skip them. */
  match: (s: FanoutReader) => string | null;
  dedupePrefix: string;
  messageId: (s: FanoutReader) => string;
}

/** Where an approval stands: waiting for the window's end or a person, held, released (sent), or skipped. */
export type ApprovalStatus = 'awaiting' | 'held' | 'released' | 'skipped';

/** Each step in an approval's life, kept in the ledger with who took it. */
export type ApprovalAction = 'planned' | 'send-now' | 'hold' | 'skip' | 'release' | 'auto-release' | 'sent-manually';

/** Who made a decision, and from where. */
export interface Actor {
  /** A name a person recognises: '@ann', 'Ann Editor', 'herald' (automatic), 'cli:ann'. */
  name: string;
  /** The platform's id for them (Telegram or Discord user id), when there is one. */
  id?: string;
  via: 'telegram' | 'discord' | 'cli' | 'dashboard' | 'herald';
}

export interface ApprovalEvent {
  at: string;
  action: ApprovalAction;
  actor: Actor;
}

/** A card posted in an editors' chat, so it can be edited to show the outcome. */
export interface ApprovalCardRef {
  platform: 'telegram' | 'discord';
  chat: string;
  messageId: string;
}

/**
 * An editors' approval: one article on one channel (`post`), or one scheduled digest of
 * a channel (`digest`, keyed by its scheduled time). Deliveries are written only once it
 * is released, so what awaits approval can never be claimed.
 */
export interface Approval {
  id: number;
  channelId: string;
  kind: 'post' | 'digest';
  /** kind 'post'. */
  articleId?: string;
  /** kind 'digest': the scheduled time this approval is for. */
  scheduledAt?: string;
  status: ApprovalStatus;
  createdAt: string;
  /** Released automatically at this time unless held; undefined = only a person releases it. */
  releaseAt?: string;
  /** When its deliveries (or its digest) were written after release. */
  plannedAt?: string;
  digestId?: number;
  /** 'pending': cards still to be posted; 'none': no card wanted (an editor's own hold). */
  cardState: 'none' | 'pending' | 'posting' | 'posted';
  cards: ApprovalCardRef[];
  /** Oldest first. */
  events: ApprovalEvent[];
}

export interface NewApproval {
  channelId: string;
  kind: 'post' | 'digest';
  articleId?: string;
  scheduledAt?: string;
  status: 'awaiting' | 'held' | 'released';
  releaseAt?: string;
  /** Post cards to the editors' chats for it. */
  cards: boolean;
  action: ApprovalAction;
  actor: Actor;
  /** When created held: take the article's pending (unclaimed) post deliveries on the channel back out of the ledger. */
  withdrawPending?: boolean;
}

export interface ApprovalChange {
  /** Only from these statuses (checked and written together: one decision wins). */
  from: readonly ApprovalStatus[];
  to: ApprovalStatus;
  action: ApprovalAction;
  actor: Actor;
  /** Written in the same transaction (a release plans its deliveries); marks the approval planned. */
  plan?: ChannelPlan;
  /** Take the article's pending (unclaimed) post deliveries on this channel back out of the ledger (a hold). */
  withdrawPending?: boolean;
}

/** An editor's confirmation waiting behind a chat button ("send X to Y?"). */
export interface ChatAction {
  id: number;
  kind: string;
  data: Record<string, unknown>;
  createdAt: string;
  usedAt?: string;
  usedBy?: string;
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
  /** Articles whose deliveries wait for an editors' approval (written instead of deliveries). */
  approvals?: NewApproval[];
  /** Released approvals whose deliveries this plan writes. */
  plannedApprovals?: number[];
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

export interface ChannelDeliverySummaries {
  articles: Map<string, DeliverySummary>;
  digests: Map<number, DeliverySummary>;
}

export interface DeliveryCounts {
  channelId: string;
  pending: number;
  sending: number;
  sent: number;
  failed: number;
}

export interface SubscriberUpsert {
  email: string;
  name?: string;
  topics?: string[];
  /** A code of the site's languages; unset: kept as it is (new subscribers: the site's default). */
  language?: string;
  /** Breaking-news alerts; unset: kept as it is (new subscribers: off). */
  alerts?: boolean;
  status?: SubscriberStatus;
  ifStatusIn?: readonly SubscriberStatus[];
}

/** What a chat post showed: what a correction is compared on (a change elsewhere in the page does nothing). */
export interface PostShown {
  title: string;
  summary: string;
  image?: string;
  url: string;
  topics: string[];
}

/**
 * What happened to a sent chat post: posted (its first state), edited (a correction),
 * marked (edited to a "Retracted" notice), deleted, restored (a marked post edited back),
 * ignored (a change or retraction the channel does not act on), roundup (posted inside one).
 */
export type RevisionAction = 'posted' | 'edited' | 'marked' | 'deleted' | 'restored' | 'ignored' | 'roundup';
/** ok; refused by the platform (never tried again); failed (tried again next pass, a few times); pending: being done. */
export type RevisionResult = 'ok' | 'refused' | 'failed' | 'pending';

export interface PostRevision {
  id: number;
  deliveryId: number;
  channelId: string;
  articleId?: string;
  action: RevisionAction;
  /** What the post shows after this revision (posted, edited, restored). */
  shown?: PostShown;
  /** Field names that differed from what the post showed before (edited). */
  changes?: string[];
  /** The platform's id of the message, when this revision replaced it (a photo became text). */
  messageId?: string;
  result: RevisionResult;
  reason?: string;
  at: string;
}

export type NewRevision = Omit<PostRevision, 'id' | 'at'>;

/** A sent chat post and everything that happened to it since, oldest first. */
export interface PostRecord {
  delivery: Delivery;
  revisions: PostRevision[];
}

/** What a bounce report says happened to one email ('unknown': a report Herald could not read). */
export type BounceType = 'hard' | 'soft' | 'complaint' | 'unsubscribe' | 'unknown';
/** Where it came from: the SMTP reply at send time, the bounce mailbox, or a provider's webhook. */
export type BounceSource = 'smtp' | 'imap' | 'ses' | 'postmark' | 'mailgun' | 'sendgrid';

/** A bounce, complaint or provider-reported unsubscribe, as recorded (every one is kept). */
export interface BounceEvent {
  id: number;
  at: string;
  source: BounceSource;
  type: BounceType;
  /** Enhanced status code (5.1.1) or SMTP reply code (550), when the report gives one. */
  code?: string;
  /** The reporting server's or provider's own words. */
  diagnostic?: string;
  /** The address the report is about. */
  recipient?: string;
  deliveryId?: number;
  channelId?: string;
  subscriberId?: number;
  /** Set when the report could not be matched to a delivery or subscriber: why. */
  unmatched?: string;
  /** The status this event moved the subscriber to, if it changed it. */
  applied?: SubscriberStatus;
}

export interface NewBounceEvent {
  /** Unique per report and recipient: recording the same key twice writes one event. */
  key: string;
  source: BounceSource;
  type: BounceType;
  code?: string;
  diagnostic?: string;
  recipient?: string;
  deliveryId?: number;
  subscriberId?: number;
  unmatched?: string;
}

/** When bounces stop an address: `hard` hard bounces, or `soft` soft bounces within `softWindowMs`. */
export interface BouncePolicy {
  hard: number;
  soft: number;
  softWindowMs: number;
}

/** Sent emails of one channel in a scope, and how many of them bounced or drew a complaint. */
export interface BounceStats {
  /** Emails that reached the sending server (sent, or refused there with a bounce). */
  sent: number;
  bounced: number;
  complained: number;
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

  /** The parse cache (see content/parse-cache.ts): every file's last parsed page. */
  parsedPages(): Promise<CachedPage[]>;
  /** Record re-parsed files and forget files that are gone, in one transaction. */
  saveParsedPages(changed: CachedPage[], removed: string[]): Promise<void>;
  /** The kept scan snapshot's id and inputs (bytes: see pipeline/scan.ts), if one is kept (see ScanSnapshots in content/scan.ts). */
  scanSnapshotInputs(): Promise<{ id: string; inputs: Uint8Array } | undefined>;
  /** The kept scan result (bytes) when it is still the one kept under this id. */
  scanSnapshot(id: string): Promise<Uint8Array | undefined>;
  /** Keeps this scan snapshot in place of the one kept; undefined: keeps none. */
  saveScanSnapshot(snapshot: { id: string; inputs: Uint8Array; result: Uint8Array } | undefined): Promise<void>;

  getChannel(id: string): Promise<ChannelState | undefined>;
  setLastDigestAt(channelId: string, at: Date): Promise<void>;
  decisions(channelId: string): Promise<Map<string, Decision>>;
  /** Articles due for a digest channel and not yet in a digest. */
  waitingArticles(channelId: string): Promise<string[]>;
  applyPlan(plan: ChannelPlan, now: Date): Promise<{ planned: number }>;
  /** Create a digest of these (waiting) articles; they become 'planned' with this digest id. */
  /** Undefined when none of them is still waiting (another process took them). */
  createDigest(channelId: string, articleIds: string[], now: Date, shown?: Record<string, PostShown>): Promise<Digest | undefined>;
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
  /** Back to pending for a later attempt; failed instead when its subscriber is no longer active and unpaused (stopped while it was in flight). */
  markRetry(id: number, error: string, nextAttemptAt: Date, countAttempt: boolean): Promise<void>;
  markFailed(id: number, error: string, now: Date): Promise<void>;
  /** failed → pending (attempts reset), optionally for one channel; returns how many. */
  resetFailed(channelId: string | undefined, now: Date): Promise<number>;
  /**
   * An editor's retry: failed deliveries back to pending (attempts reset) and deferred ones
   * (pending with a later attempt time) due now, optionally for one channel. Deliveries to a
   * reader who unsubscribed, bounced or paused stay as they are.
   */
  retryNow(channelId: string | undefined, now: Date): Promise<{ failed: number; deferred: number }>;
  deliveriesForArticle(articleId: string): Promise<Delivery[]>;

  /**
   * Record what happened to a sent post. With result 'pending' it is a claim: written only when
   * no other revision of that post is pending since less than `leaseMs` (older pending ones
   * become 'failed', interrupted), so one process changes a post at a time; undefined when
   * another holds it. Otherwise a plain record.
   */
  addRevision(r: NewRevision, now: Date, leaseMs?: number): Promise<number | undefined>;
  /** Settle a pending revision: its result, and what the post now shows / its message id. */
  finishRevision(id: number, outcome: Pick<PostRevision, 'result'> & Partial<Pick<PostRevision, 'reason' | 'shown' | 'messageId' | 'action'>>, now: Date): Promise<void>;
  /**
   * Sent post deliveries with their revisions: of a channel (sent since `sentSince`), or of one
   * article on every channel (directly or inside a roundup). Oldest first.
   */
  postRecords(q: { channelId: string; sentSince?: string } | { articleId: string }): Promise<PostRecord[]>;
  /**
   * Subscribers who already have a delivery (of any status) of any of these
   * articles on this channel, directly or in a digest: a reader gets one translation of a page.
   */
  subscribersReached(channelId: string, articleIds: string[]): Promise<Set<number>>;
  /** Aggregate state of the deliveries of one article (directly, or through the digest it was in) to one channel. */
  deliverySummary(channelId: string, ref: { articleId?: string; digestId?: number }): Promise<DeliverySummary>;
  /**
   * deliverySummary of every article and every digest with deliveries on a channel, read in one
   * pass: for listings (`herald articles`, the dashboard), which otherwise asked once per article.
   */
  deliverySummaries(channelId: string): Promise<ChannelDeliverySummaries>;
  counts(): Promise<DeliveryCounts[]>;
  recentFailures(limit: number): Promise<Delivery[]>;
  /** Newest first; optionally only one status or channel. */
  recentDeliveries(opts: { status?: DeliveryStatus; channelId?: string; limit: number }): Promise<Delivery[]>;
  nextAttemptAt(channelId: string): Promise<string | undefined>;

  /** Adds an approval unless one exists for the same channel, kind and article/time (then returns that one). */
  createApproval(a: NewApproval, now: Date): Promise<{ approval: Approval; created: boolean }>;
  getApproval(id: number): Promise<Approval | undefined>;
  findApproval(channelId: string, kind: 'post' | 'digest', ref: string): Promise<Approval | undefined>;
  /** Every approval of a channel's articles, by article id. */
  postApprovals(channelId: string): Promise<Map<string, Approval>>;
  approvalsForArticle(articleId: string): Promise<Approval[]>;
  /** Awaiting or held, oldest first. */
  openApprovals(): Promise<Approval[]>;
  /** Atomic: the change happens only if the status is still one of `from`; undefined otherwise. */
  decideApproval(id: number, change: ApprovalChange, now: Date): Promise<Approval | undefined>;
  markApprovalPlanned(id: number, now: Date, digestId?: number): Promise<void>;
  /** Awaiting approvals whose window has ended. */
  dueApprovals(now: Date): Promise<Approval[]>;
  /** Released post approvals whose deliveries are not written yet (a process stopped in between). */
  releasedUnplanned(channelId: string): Promise<Approval[]>;
  /** The earliest end of a window still running. */
  nextReleaseAt(): Promise<string | undefined>;
  /** Take the approvals whose cards are to be posted (or whose posting was interrupted longer than `leaseMs` ago). */
  claimApprovalCards(now: Date, leaseMs: number): Promise<Approval[]>;
  /** Record where the cards went ('posted', their buttons signed now), or give the claim back ('pending') to try again later. */
  setApprovalCards(id: number, cards: ApprovalCardRef[], state: 'posted' | 'pending', now: Date): Promise<void>;
  /** The cards' buttons were signed again now (an edit). */
  touchApprovalCards(id: number, now: Date): Promise<void>;
  /** Open approvals whose posted cards' buttons were signed before `before` (to sign them again before they expire). */
  staleApprovalCards(before: Date): Promise<Approval[]>;

  /** Telegram updates: true when this update id is new (it is then recorded with its body, so it is never taken twice). */
  takeChatUpdate(source: string, updateId: number, body: unknown, now: Date): Promise<boolean>;
  /** The update was handled (its command answered). */
  finishChatUpdate(source: string, updateId: number, now: Date): Promise<void>;
  /** Updates taken but never finished (the process stopped while handling them), oldest first. */
  unfinishedChatUpdates(source: string): Promise<Array<{ updateId: number; body: unknown }>>;
  /** The offset for the next poll: the highest update id taken + 1. */
  chatCursor(source: string): Promise<number | undefined>;
  /** Forget finished updates taken before this time. */
  pruneChatUpdates(source: string, before: Date): Promise<void>;
  createChatAction(kind: string, data: Record<string, unknown>, now: Date): Promise<number>;
  getChatAction(id: number): Promise<ChatAction | undefined>;
  /** Atomic: the action's data the first time, undefined when it was already used. */
  takeChatAction(id: number, by: string, now: Date): Promise<ChatAction | undefined>;

  getSubscriber(email: string): Promise<Subscriber | undefined>;
  getSubscriberById(id: number): Promise<Subscriber | undefined>;
  getSubscriberByPublicId(publicId: string): Promise<Subscriber | undefined>;
  /** Many at once (the send loop reads a claimed batch's recipients in one query). */
  subscribersByIds(ids: number[]): Promise<Map<number, Subscriber>>;
  /** Many at once by address; keyed by the lower-cased address. */
  subscribersByEmails(emails: string[]): Promise<Map<string, Subscriber>>;
  /**
   * Adds or updates by address (case-insensitive). With `ifStatusIn`, an existing
   * subscriber's status changes only if it is one of those at the moment of writing
   * (checked and written together, so a reader's unsubscribe in between is never undone).
   * A suppressed subscriber (unsubscribed, bounced, complained) keeps its status whatever
   * is asked: only the reader's own confirmed re-subscription brings them back.
   * Every status change (creation included) is recorded with `by` (default: an editor).
   */
  upsertSubscriber(s: SubscriberUpsert, now: Date, by?: ConsentContext): Promise<{ subscriber: Subscriber; created: boolean }>;
  /** Many upserts in one transaction (CSV import); each row may add its own `detail` to `by`. */
  upsertSubscribers(rows: Array<SubscriberUpsert & { detail?: string }>, now: Date, by: ConsentContext): Promise<Array<{ subscriber: Subscriber; created: boolean }>>;
  removeSubscriber(email: string): Promise<boolean>;
  /**
   * Set a status, recorded with `by`. Moving into a suppressed status cancels the pending
   * deliveries; leaving one for pending or active is refused (false), as in upsertSubscriber.
   */
  setSubscriberStatus(id: number, status: SubscriberStatus, now: Date, by?: ConsentContext): Promise<boolean>;
  /** Pages through subscribers ordered by id, `status` filter optional. */
  subscribers(opts?: { status?: SubscriberStatus; afterId?: number; limit?: number }): Promise<Subscriber[]>;
  subscriberCounts(): Promise<Record<SubscriberStatus, number>>;
  /** Case-insensitive substring search in address and name. */
  searchSubscribers(query: string, limit: number): Promise<Subscriber[]>;

  /**
   * A reader's sign-up request (double opt-in), atomic. A new address becomes 'pending'. An
   * existing subscriber is never changed: pending, active and bounced ones stay as they are;
   * for an unsubscribed or complained one a re-subscription request is recorded (with its
   * own name and topics) whose confirmation link alone can bring them back.
   */
  signUp(
    s: { email: string; name?: string; topics: string[]; language?: string },
    now: Date,
    by?: Omit<ConsentContext, 'source'>,
  ): Promise<{ subscriber: Subscriber; outcome: SignUpOutcome; requestId?: number }>;
  /**
   * Take the right to send a confirmation email now: 'ok' (recorded) unless one was sent
   * within `minIntervalMs` ('throttled') or `maxPerDay` went out in the last 24 hours ('capped').
   * Atomic, so two requests at once send one email.
   */
  claimConfirmationSend(id: number, now: Date, limits: ConfirmationLimits): Promise<'ok' | 'throttled' | 'capped'>;
  /** Undo a claim whose email could not be sent, so the reader may ask again at once. */
  releaseConfirmationSend(id: number, claimedAt: Date): Promise<void>;
  /**
   * What following this confirmation link would do, changing nothing (the page before the
   * button), with the name and topics it would set.
   */
  checkConfirmation(
    id: number,
    link: ConfirmLink,
  ): Promise<{ subscriber: Subscriber; outcome: 'confirmable' | 'already' | 'stale'; name?: string; topics: string[] } | undefined>;
  /**
   * A confirmation link was followed. A pending subscriber becomes active with a link made
   * after any unsubscribe; an unsubscribed (or complained) one only with the link of a
   * re-subscription request made after their last unsubscribe, and gets that request's choices.
   */
  confirmSubscriber(id: number, link: ConfirmLink, now: Date, by?: Omit<ConsentContext, 'source'>): Promise<{ subscriber: Subscriber; outcome: ConfirmOutcome } | undefined>;
  /**
   * Stop everything for this reader: status 'unsubscribed' (bounced and complained stay so;
   * a repeat keeps the first time) and pending deliveries cancelled.
   */
  unsubscribe(id: number, now: Date, by: ConsentContext): Promise<{ subscriber: Subscriber; cancelled: number } | undefined>;
  /** The reader's own changes; pausing cancels their pending deliveries. `name: null` clears it. */
  updatePreferences(id: number, p: { name: string | null; topics: string[]; paused: boolean; alerts?: boolean }, now: Date): Promise<Subscriber | undefined>;
  /** Every consent change of one subscriber, oldest first. */
  consentHistory(subscriberId: number): Promise<ConsentEvent[]>;
  /** Consent changes of every subscriber with their address, by id (pages: `afterId`). */
  consentEvents(opts?: { afterId?: number; limit?: number }): Promise<ConsentEvent[]>;
  /**
   * Record a bounce, complaint or unsubscribe report and apply the policy, atomically: a
   * complaint makes an active or pending subscriber `complained`, an unsubscribe `unsubscribed`;
   * `policy.hard` hard bounces (since they last became active) or `policy.soft` soft bounces
   * within the window (one per delivery) make them `bounced`. Each status change is a consent
   * record and cancels their pending deliveries. A key already recorded changes nothing
   * (`duplicate`). The event's `channelId` and `subscriberId` are filled from its delivery.
   */
  recordBounce(e: NewBounceEvent, policy: BouncePolicy, now: Date): Promise<{ event: BounceEvent; duplicate: boolean }>;
  /** Recorded bounce events, newest first; optionally one subscriber's. */
  bounceEvents(opts?: { subscriberId?: number; limit?: number }): Promise<BounceEvent[]>;
  /** A channel's sent emails and their bounces and complaints: those of one digest, or sent since a time. */
  bounceStats(channelId: string, scope: { digestId: number } | { since: Date }): Promise<BounceStats>;
  /** The delivery with this id, RFC 5322 Message-ID (with brackets) or provider message id. */
  findDelivery(ref: { id?: number; messageId?: string; providerMessageId?: string }): Promise<Delivery | undefined>;
  /**
   * An editor takes a bounced address back: bounced → active, recorded with `by`. Only from
   * `bounced` (an unsubscribe or complaint stays the reader's to undo); false otherwise.
   */
  reactivateSubscriber(id: number, now: Date, by: ConsentContext): Promise<boolean>;
  /** Mark a subscriber's pending deliveries failed with this reason; returns how many. */
  cancelPendingDeliveries(subscriberId: number, reason: string, now: Date): Promise<number>;
}

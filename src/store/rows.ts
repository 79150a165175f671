/**
 * Ledger rows → the store's types, the same for every engine. SQLite gives flags as 0/1,
 * PostgreSQL as booleans; everything else arrives alike (times and JSON as text).
 */
import type { Actor, Approval, ApprovalCardRef, ApprovalEvent, BounceEvent, ChannelDeliverySummaries, ConsentEvent, ConsentSource, Delivery, DeliverySummary, Digest, FanoutReader, PostRevision, PostShown, Subscriber, SubscriberStatus } from './types.ts';

export type Row = Record<string, unknown>;

export const opt = <T>(v: unknown) => (v === null || v === undefined ? undefined : (v as T));

/** A stored flag: 1 (SQLite) or true (PostgreSQL). */
export const flag = (v: unknown): boolean => v === 1 || v === true;

export function toDelivery(r: Row): Delivery {
  return {
    id: r.id as number,
    channelId: r.channel_id as string,
    kind: r.kind as Delivery['kind'],
    articleId: opt(r.article_id),
    digestId: opt(r.digest_id),
    subscriberId: opt(r.subscriber_id),
    recipient: r.recipient as string,
    variant: opt(r.variant),
    status: r.status as Delivery['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as string,
    lastError: opt(r.last_error),
    providerMessageId: opt(r.provider_message_id),
    messageId: opt(r.message_id),
    manual: flag(r.manual),
    createdAt: r.created_at as string,
    sentAt: opt(r.sent_at),
    claimedBy: opt(r.claimed_by),
  };
}

export function toSubscriber(r: Row): Subscriber {
  return {
    id: r.id as number,
    publicId: r.public_id as string,
    email: r.email as string,
    name: opt(r.name),
    topics: JSON.parse(r.topics as string) as string[],
    language: opt(r.language),
    status: r.status as SubscriberStatus,
    paused: flag(r.paused),
    alerts: flag(r.alerts),
    confirmSentAt: opt(r.confirm_sent_at),
    confirmedAt: opt(r.confirmed_at),
    unsubscribedAt: opt(r.unsubscribed_at),
    unsubscribeSource: opt(r.unsubscribe_source),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

/** A row of `SELECT id, public_id, email, topics, language, alerts FROM subscribers`, as planning reads it. */
export function toFanoutReader(r: Row): FanoutReader {
  return { id: r.id as number, publicId: r.public_id as string, email: r.email as string, topics: JSON.parse(r.topics as string) as string[], language: opt(r.language), alerts: flag(r.alerts) };
}

export function toConsentEvent(r: Row): ConsentEvent {
  return {
    id: r.id as number,
    subscriberId: r.subscriber_id as number,
    email: opt(r.email),
    at: r.at as string,
    from: opt<SubscriberStatus>(r.from_status),
    to: r.to_status as SubscriberStatus,
    source: r.source as ConsentSource,
    ip: opt(r.ip),
    detail: opt(r.detail),
  };
}

export function toBounceEvent(r: Row): BounceEvent {
  return {
    id: r.id as number,
    at: r.at as string,
    source: r.source as BounceEvent['source'],
    type: r.type as BounceEvent['type'],
    code: opt(r.code),
    diagnostic: opt(r.diagnostic),
    recipient: opt(r.recipient),
    deliveryId: opt(r.delivery_id),
    channelId: opt(r.channel_id),
    subscriberId: opt(r.subscriber_id),
    unmatched: opt(r.unmatched),
    applied: opt(r.applied),
  };
}

export function toDigest(r: Row): Digest {
  return {
    id: r.id as number,
    channelId: r.channel_id as string,
    createdAt: r.created_at as string,
    articleIds: JSON.parse(r.article_ids as string) as string[],
    status: r.status as Digest['status'],
    ...(typeof r.shown === 'string' ? { shown: JSON.parse(r.shown) as Record<string, PostShown> } : {}),
  };
}


export function toApprovalEvent(e: Row): ApprovalEvent {
  return {
    at: e.at as string,
    action: e.action as ApprovalEvent['action'],
    actor: { name: e.actor as string, via: e.via as Actor['via'], ...(e.actor_id ? { id: e.actor_id as string } : {}) },
  };
}

/** An approval row with its events (oldest first), read by the engine as it can best. */
export function toApproval(r: Row, events: ApprovalEvent[]): Approval {
  const kind = r.kind as Approval['kind'];
  return {
    id: r.id as number,
    channelId: r.channel_id as string,
    kind,
    ...(kind === 'post' ? { articleId: r.ref as string } : { scheduledAt: r.ref as string }),
    status: r.status as Approval['status'],
    createdAt: r.created_at as string,
    releaseAt: opt(r.release_at),
    plannedAt: opt(r.planned_at),
    digestId: opt(r.digest_id),
    cardState: r.card_state as Approval['cardState'],
    cards: JSON.parse(r.cards as string) as ApprovalCardRef[],
    events,
  };
}

export function toRevision(r: Row): PostRevision {
  return {
    id: r.id as number,
    deliveryId: r.delivery_id as number,
    channelId: r.channel_id as string,
    articleId: opt(r.article_id),
    action: r.action as PostRevision['action'],
    shown: r.shown === null ? undefined : (JSON.parse(r.shown as string) as PostShown),
    changes: r.changes === null ? undefined : (JSON.parse(r.changes as string) as string[]),
    messageId: opt(r.message_id),
    result: r.result as PostRevision['result'],
    reason: opt(r.reason),
    at: r.at as string,
  };
}

/** Sent posts with their revisions (`revs` ordered by id), in the order of `deliveries`. */
export function withRevisions(deliveries: readonly Row[], revs: readonly Row[]): { delivery: Delivery; revisions: PostRevision[] }[] {
  const by = new Map<number, PostRevision[]>();
  for (const r of revs) {
    const list = by.get(r.delivery_id as number) ?? [];
    list.push(toRevision(r));
    by.set(r.delivery_id as number, list);
  }
  return deliveries.map((r) => ({ delivery: toDelivery(r), revisions: by.get(r.id as number) ?? [] }));
}

/**
 * A channel's delivery summaries (Store.deliverySummaries) from rows grouped by article and
 * digest: `counts` (article_id, digest_id, status, n), each group's latest sent delivery
 * (article_id, digest_id, sent_at, id, provider_message_id) and latest failed one (article_id,
 * digest_id, id, last_error). An article's summary adds up its groups as deliverySummary's
 * `article_id = ?` does, a digest's likewise; the latest is the latest by time, then id.
 */
export function summariesFrom(counts: Iterable<Row>, sent: Iterable<Row>, failed: Iterable<Row>): ChannelDeliverySummaries {
  const out: ChannelDeliverySummaries = { articles: new Map(), digests: new Map() };
  const latestSent = new Map<DeliverySummary, [string, number]>();
  const latestFailed = new Map<DeliverySummary, number>();
  const of = (r: Row): DeliverySummary[] => {
    const found: DeliverySummary[] = [];
    const take = <K>(map: Map<K, DeliverySummary>, key: K) => {
      let s = map.get(key);
      if (!s) {
        s = { pending: 0, sending: 0, sent: 0, failed: 0 };
        map.set(key, s);
      }
      found.push(s);
    };
    if (r.article_id !== null && r.article_id !== undefined) take(out.articles, r.article_id as string);
    if (r.digest_id !== null && r.digest_id !== undefined) take(out.digests, Number(r.digest_id));
    return found;
  };
  for (const r of counts) for (const s of of(r)) s[r.status as Delivery['status']] += Number(r.n);
  for (const r of sent) {
    const at: [string, number] = [(r.sent_at as string | null) ?? '', Number(r.id)];
    for (const s of of(r)) {
      const was = latestSent.get(s);
      if (was && (was[0] > at[0] || (was[0] === at[0] && was[1] > at[1]))) continue;
      latestSent.set(s, at);
      s.lastSentAt = r.sent_at as string;
      s.providerMessageId = opt(r.provider_message_id);
    }
  }
  for (const r of failed) {
    const id = Number(r.id);
    for (const s of of(r)) {
      if ((latestFailed.get(s) ?? -1) > id) continue;
      latestFailed.set(s, id);
      if (r.last_error) s.lastError = r.last_error as string;
      else delete s.lastError;
    }
  }
  return out;
}

/**
 * Sending what is planned: claim due deliveries of one channel, render each, hand it to
 * the channel's adapter, and record the outcome. Retry policy comes from retry-policy.ts;
 * this loop only adds the per-run behaviour: waiting out short rate limits, and giving a
 * channel up for this run when its server stays unreachable.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { recordSendBounce } from '../bounces/send-time.ts';
import { isDeliveryError } from '../channels/errors.ts';
import type { Delivery } from '../store/types.ts';
import { CLAIMANT, claimantAlive } from '../util/claimant.ts';
import { withSendHeapPolicy } from '../util/heap-policy.ts';
import { errorMessage } from '../util/secrets.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import type { Herald } from './herald.ts';
import { shownOf } from './post-shown.ts';
import { backoffDelay, onFailure } from './retry-policy.ts';

export interface DeliverOptions {
  signal?: AbortSignal;
  /** A provider's requested wait up to this long is waited out inside the run. */
  maxInRunWaitMs?: number;
  onResult?: (outcome: 'sent' | 'failed' | 'retry') => void;
  /** Called once with how many deliveries are claimable, for progress bars. */
  onStart?: (channelId: string) => void;
}

export interface ChannelRunResult {
  channelId: string;
  sent: number;
  failed: number;
  /** Left pending with a later attempt time. */
  deferred: number;
  /** Why the channel was given up for this run (server unreachable). */
  gaveUp?: string;
  /** Set when the provider asked for a wait longer than a run may take. */
  paused?: string;
  /** Human-readable lines worth telling the editor (failures, long waits, notes from providers). */
  messages: string[];
}

/**
 * Records sends in small batches: one transaction per ~50 sends instead of one each,
 * which matters at thousands of emails a second. A send is recorded within 20 ms; a
 * process killed inside that window re-sends those few (same Message-ID), exactly as
 * it would a message caught in flight.
 */
class SentRecorder {
  private items: Array<{ id: number; providerMessageId?: string; sentAt: Date }> = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly h: Herald) {}

  add(id: number, providerMessageId: string | undefined): void {
    this.items.push({ id, providerMessageId, sentAt: this.h.now() });
    if (this.items.length >= 50) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 20);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.items;
    this.items = [];
    if (batch.length > 0) {
      this.writing = this.writing
        .then(() => this.h.store.markSentMany(batch))
        .catch((e) => this.h.log.error(`could not record ${batch.length} sent deliveries (they may be sent again): ${errorMessage(e)}`));
    }
    return this.writing;
  }
}

/**
 * A chat post's first revision: what it shows, so a later correction is noticed (living.ts).
 * Not recording it is harmless (the next pass takes the post as it is then), so a failure here is only logged.
 */
async function recordPosted(h: Herald, d: Delivery, messageId: string | undefined): Promise<void> {
  try {
    const base = { deliveryId: d.id, channelId: d.channelId, result: 'ok' as const, ...(messageId ? { messageId } : {}) };
    if (d.articleId === undefined) {
      const ids = d.variant ? (JSON.parse(d.variant) as string[]) : [];
      await h.store.addRevision({ ...base, action: 'roundup', reason: `${ids.length} articles in one roundup` }, h.now());
      return;
    }
    const stored = await h.store.getArticle(d.articleId);
    if (stored) await h.store.addRevision({ ...base, articleId: d.articleId, action: 'posted', shown: shownOf(stored.article) }, h.now());
  } catch (e) {
    h.log.warn(`${d.channelId}: could not record what post ${d.id} shows: ${errorMessage(e)}`);
  }
}

/** HTTP statuses that mean no post can reach this destination (bad token, no access, gone). */
function isChannelWide(code: number | string | undefined): boolean {
  return code === 401 || code === 403 || code === 404;
}

/** How long a claim may stay 'sending' before another process may take it over. */
export const CLAIM_LEASE_MS = 15 * 60_000;
const BATCH = 250;

export async function deliverChannel(h: Herald, channel: ChannelConfig, opts: DeliverOptions = {}): Promise<ChannelRunResult> {
  return withSendHeapPolicy(() => deliverNow(h, channel, opts));
}

async function deliverNow(h: Herald, channel: ChannelConfig, opts: DeliverOptions): Promise<ChannelRunResult> {
  const result: ChannelRunResult = { channelId: channel.id, sent: 0, failed: 0, deferred: 0, messages: [] };
  const kind = channelKind(channel);
  const signal = opts.signal;
  const maxWait = opts.maxInRunWaitMs ?? 60_000;
  const retry = h.config.delivery;

  await h.store.releaseStale(h.now(), CLAIM_LEASE_MS, claimantAlive);
  const first = await h.store.claim(channel.id, CLAIMANT, h.now(), BATCH);
  if (first.length === 0) return result;

  const adapter = h.adapter(channel);
  const sentLog = new SentRecorder(h);
  const payloads = kind.payloads(channel, h);
  await payloads.prefetch?.(first);
  let downSince: number | undefined;
  let stopped: string | undefined; // set when the channel is given up (or paused) for this run
  let resumeAt: Date | undefined; // when deliveries released because of `stopped` are due again
  let channelFailure: string | undefined; // a channel-wide permanent failure (bad token, no access)
  // Chat posts keep their order: a delivery that must wait holds back the ones after it.
  const ordered = kind.audience === 'destination';

  const wait = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);

  async function sendOne(d: Delivery): Promise<void> {
    let payload: unknown;
    try {
      payload = await payloads.build(d);
    } catch (e) {
      // A DeliveryError here already explains itself (e.g. the subscriber left meanwhile).
      const reason = isDeliveryError(e) ? errorMessage(e) : `${channel.id}: could not render: ${errorMessage(e)}`;
      await h.store.markFailed(d.id, reason, h.now());
      result.failed++;
      result.messages.push(reason);
      opts.onResult?.('failed');
      return;
    }
    for (let inRunTry = 0; ; inRunTry++) {
      if (stopped || signal?.aborted) {
        await h.store.release([d.id], stopped ? (resumeAt ?? new Date(h.now().getTime() + retry.backoffMs)) : h.now(), true);
        result.deferred++;
        return;
      }
      if (channelFailure) {
        // Every post to this destination fails the same way: record it without calling again.
        await h.store.markFailed(d.id, channelFailure, h.now());
        result.failed++;
        opts.onResult?.('failed');
        return;
      }
      try {
        const r = await adapter.send(payload);
        downSince = undefined;
        sentLog.add(d.id, r.providerMessageId);
        if (ordered) await recordPosted(h, d, r.providerMessageId);
        if (r.note) result.messages.push(`${channel.id}: ${r.note}`);
        result.sent++;
        opts.onResult?.('sent');
        return;
      } catch (e) {
        const now = h.now();
        if (isDeliveryError(e) && e.connection) {
          downSince ??= now.getTime();
          const down = now.getTime() - downSince;
          if (down >= retry.giveUpAfterMs) {
            if (!stopped) {
              stopped = `${errorMessage(e)}; gave up this channel for this run after ${Math.round(down / 1000)}s, deliveries stay pending`;
              result.gaveUp = stopped;
              h.log.error(stopped);
            }
            // This delivery was really tried: its attempt counts.
            await h.store.markRetry(d.id, errorMessage(e), new Date(now.getTime() + backoffDelay(d.attempts, retry)), true);
            result.deferred++;
            opts.onResult?.('retry');
            return;
          }
          h.log.warn(`${errorMessage(e)}; retrying`);
          await wait(Math.min(1000 * 2 ** Math.min(inRunTry, 4), retry.giveUpAfterMs - down + 10));
          continue;
        }
        if (isDeliveryError(e) && e.kind === 'rate-limited' && (e.retryAfterMs ?? 0) <= maxWait) {
          h.log.warn(`${channel.id}: rate limited, waiting ${Math.ceil((e.retryAfterMs ?? 0) / 1000)}s as asked`);
          await wait(e.retryAfterMs ?? 1000);
          continue;
        }
        const decision = onFailure(e, d.attempts, now, retry);
        if (decision.action === 'fail') {
          await h.store.markFailed(d.id, decision.reason, now);
          result.failed++;
          result.messages.push(`${decision.reason} (delivery ${d.id} to ${d.recipient})`);
          h.log.error(`${decision.reason} (delivery ${d.id})`);
          if (ordered && isDeliveryError(e) && isChannelWide(e.code)) channelFailure = decision.reason;
          opts.onResult?.('failed');
        } else {
          await h.store.markRetry(d.id, decision.reason, decision.at, decision.countAttempt);
          result.deferred++;
          if (!decision.countAttempt) {
            // A long flood wait: pause the whole channel until then (and keep a chat's order).
            stopped = `${channel.id}: provider asked to wait until ${decision.at.toISOString()}; deliveries stay pending until then`;
            resumeAt = decision.at;
            result.paused = stopped;
            result.messages.push(stopped);
          } else {
            h.log.warn(`${decision.reason}; will retry at ${decision.at.toISOString()}`);
            if (ordered) {
              stopped = `${channel.id}: ${decision.reason}; this and later posts wait until ${decision.at.toISOString()} to keep their order`;
              resumeAt = decision.at;
              result.messages.push(stopped);
            }
          }
          opts.onResult?.('retry');
        }
        // A recipient the server refused: a bounce, which may stop the address (bounces/). Recorded
        // after the delivery's own outcome, so a retry it would get is cancelled with the others.
        if (channel.type === 'email') await recordSendBounce(h, d, e);
        return;
      }
    }
  }

  const concurrency = Math.max(1, kind.concurrency(channel));
  // A queue refilled ahead of need keeps every connection busy (no stall at batch ends);
  // with concurrency 1 it is strictly in order, which keeps a chat's posts in order.
  const queue: Delivery[] = [...first];
  let exhausted = false;
  let refilling: Promise<void> | undefined;
  const refill = (): Promise<void> =>
    (refilling ??= (async () => {
      const more = await h.store.claim(channel.id, CLAIMANT, h.now(), BATCH);
      if (more.length === 0) exhausted = true;
      else {
        await payloads.prefetch?.(more);
        queue.push(...more);
      }
    })().finally(() => {
      refilling = undefined;
    }));
  const worker = async () => {
    for (;;) {
      const halted = Boolean(stopped || signal?.aborted);
      if (!halted && !exhausted && queue.length <= concurrency) {
        if (queue.length === 0) await refill();
        else void refill();
      }
      const d = queue.shift();
      if (!d) {
        if (exhausted || halted) return;
        continue;
      }
      await sendOne(d); // releases it untouched when halted
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await sentLog.flush();
  }
  if (refilling) await refilling;
  // Claimed by a last refill after the halt: give them back untouched.
  if (queue.length > 0) {
    await h.store.release(
      queue.map((d) => d.id),
      stopped ? (resumeAt ?? new Date(h.now().getTime() + retry.backoffMs)) : h.now(),
      true,
    );
    result.deferred += queue.length;
  }
  return result;
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/sqlite/migrations.ts';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const now = new Date('2025-07-01T00:00:00Z');
let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function open(file = path.join(mkdtempSync(path.join(tmpdir(), 'herald-store-')), 'h.db')) {
  const s = await openStore({ path: file });
  stores.push(s);
  return s;
}

async function plan(s: SqliteStore, n: number, channelId = 'c') {
  return s.applyPlan(
    {
      channelId,
      createChannelAt: now.toISOString(),
      decisions: [],
      deliveries: Array.from({ length: n }, (_, i) => ({ channelId, kind: 'post' as const, recipient: `r${i}`, dedupeKey: `k${i}` })),
      fanouts: [],
    },
    now,
  );
}

describe('SqliteStore', () => {
  it('applies migrations once, even when opened again', async () => {
    const a = await open();
    const b = await open(a.file);
    expect(b.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(migrations.length);
  });

  it('plans idempotently by dedupe key', async () => {
    const s = await open();
    expect((await plan(s, 3)).planned).toBe(3);
    expect((await plan(s, 3)).planned).toBe(0);
  });

  it('never lets two stores on one file claim the same delivery', async () => {
    const a = await open();
    const b = await open(a.file);
    await plan(a, 100);
    const claims = await Promise.all([a.claim('c', 'A', now, 60), b.claim('c', 'B', now, 60), a.claim('c', 'A2', now, 60)]);
    const ids = claims.flat().map((d) => d.id);
    expect(ids.length).toBe(100);
    expect(new Set(ids).size).toBe(100);
  });

  it('returns a dead claimant’s deliveries to pending, keeping their Message-ID', async () => {
    const s = await open();
    await s.applyPlan(
      { channelId: 'c', decisions: [], deliveries: [{ channelId: 'c', kind: 'post', recipient: 'x', dedupeKey: 'k', messageId: '<m@x>' }], fanouts: [] },
      now,
    );
    const [d] = await s.claim('c', 'host:999999:1', now, 10);
    expect(d!.status).toBe('sending');
    expect(await s.releaseStale(now, 60_000, () => true)).toBe(0);
    expect(await s.releaseStale(now, 60_000, (c) => c !== 'host:999999:1')).toBe(1);
    const [again] = await s.claim('c', 'me', now, 10);
    expect(again!.id).toBe(d!.id);
    expect(again!.messageId).toBe('<m@x>');
    expect(again!.attempts).toBe(2);
  });

  it('retries later, fails with a reason, and resets failed to pending', async () => {
    const s = await open();
    await plan(s, 2);
    const [d1, d2] = await s.claim('c', 'me', now, 10);
    await s.markRetry(d1!.id, 'busy', new Date(now.getTime() + 60_000), true);
    await s.markFailed(d2!.id, '550 unknown user', now);
    expect(await s.claim('c', 'me', now, 10)).toEqual([]);
    const later = await s.claim('c', 'me', new Date(now.getTime() + 60_000), 10);
    expect(later.map((d) => [d.id, d.attempts, d.lastError])).toEqual([[d1!.id, 2, 'busy']]);
    expect((await s.recentFailures(5))[0]!.lastError).toBe('550 unknown user');
    expect(await s.resetFailed('c', now)).toBe(1);
  });

  it('does not count an attempt for rate limits', async () => {
    const s = await open();
    await plan(s, 1);
    const [d] = await s.claim('c', 'me', now, 1);
    await s.markRetry(d!.id, '429', now, false);
    expect((await s.claim('c', 'me', now, 1))[0]!.attempts).toBe(1);
  });

  it('keeps one subscriber per address, compared case-insensitively', async () => {
    const s = await open();
    const a = await s.upsertSubscriber({ email: 'Ada@Example.com', name: 'Ada', topics: ['x'] }, now);
    const b = await s.upsertSubscriber({ email: 'ada@example.COM', topics: ['y'] }, now);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.subscriber).toMatchObject({ id: a.subscriber.id, email: 'Ada@Example.com', name: 'Ada', topics: ['y'], status: 'active' });
    expect(a.subscriber.publicId).not.toContain('ada');
    expect(await s.subscriberCounts()).toEqual({ pending: 0, active: 1, unsubscribed: 0, bounced: 0 });
  });

  it('fans out one delivery per active subscriber the match accepts', async () => {
    const s = await open();
    await s.upsertSubscriber({ email: 'a@x.com', topics: [] }, now);
    await s.upsertSubscriber({ email: 'b@x.com', topics: ['no'] }, now);
    const c = await s.upsertSubscriber({ email: 'c@x.com' }, now);
    await s.setSubscriberStatus(c.subscriber.id, 'unsubscribed', now);
    const r = await s.applyPlan(
      {
        channelId: 'e',
        decisions: [],
        deliveries: [],
        fanouts: [{ channelId: 'e', kind: 'digest', dedupePrefix: 'd1', match: (x) => (x.topics.length ? null : '["a"]'), messageId: (x) => `<${x.publicId}@t>` }],
      },
      now,
    );
    expect(r.planned).toBe(1);
    const [d] = await s.claim('e', 'me', now, 10);
    expect(d).toMatchObject({ recipient: 'a@x.com', variant: '["a"]', kind: 'digest' });
  });

  it('an editor’s retry makes failed and deferred deliveries due now, but never a reader who left', async () => {
    const s = await open();
    const gone = await s.upsertSubscriber({ email: 'gone@x.com' }, now);
    await plan(s, 3);
    await s.applyPlan({ channelId: 'c', decisions: [], deliveries: [{ channelId: 'c', kind: 'post', recipient: 'gone@x.com', subscriberId: gone.subscriber.id, dedupeKey: 'g' }], fanouts: [] }, now);
    const [d1, d2, d3, d4] = await s.claim('c', 'me', now, 10);
    await s.markFailed(d1!.id, 'boom', now);
    await s.markRetry(d2!.id, 'busy', new Date(now.getTime() + 3_600_000), true);
    await s.markSent(d3!.id, 'x', now);
    await s.markFailed(d4!.id, 'bounced', now);
    await s.unsubscribe(gone.subscriber.id, now);
    expect(await s.retryNow('other', now)).toEqual({ failed: 0, deferred: 0 });
    expect(await s.retryNow('c', now)).toEqual({ failed: 1, deferred: 1 });
    expect((await s.claim('c', 'me', now, 10)).map((d) => d.id)).toEqual([d1!.id, d2!.id]);
  });

  it('decides an approval once: a second decision from the same state does nothing', async () => {
    const a = await open();
    const b = await open(a.file);
    const actor = { name: 'herald', via: 'herald' as const };
    const { approval, created } = await a.createApproval({ channelId: 'c', kind: 'post', articleId: 'x', status: 'awaiting', releaseAt: now.toISOString(), cards: true, action: 'planned', actor }, now);
    expect(created).toBe(true);
    expect((await b.createApproval({ channelId: 'c', kind: 'post', articleId: 'x', status: 'held', cards: false, action: 'hold', actor }, now)).created).toBe(false);
    const plan1 = { channelId: 'c', decisions: [], deliveries: [{ channelId: 'c', kind: 'post' as const, recipient: 'chat', dedupeKey: 'auto:c:x' }], fanouts: [] };
    const results = await Promise.all([
      a.decideApproval(approval.id, { from: ['awaiting'], to: 'released', action: 'auto-release', actor, plan: plan1 }, now),
      b.decideApproval(approval.id, { from: ['awaiting'], to: 'held', action: 'hold', actor: { name: '@ann', id: '1', via: 'telegram' } }, now),
      b.decideApproval(approval.id, { from: ['awaiting'], to: 'released', action: 'send-now', actor: { name: 'Dora', via: 'discord' }, plan: plan1 }, now),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const final = (await a.getApproval(approval.id))!;
    expect(final.events).toHaveLength(2);
    expect((await a.counts())[0]?.pending ?? 0).toBe(final.status === 'released' ? 1 : 0);
    expect(await a.dueApprovals(now)).toEqual([]);
  });

  it('takes each chat update once, and knows where to poll from', async () => {
    const a = await open();
    const b = await open(a.file);
    expect(await a.chatCursor('tg')).toBeUndefined();
    const taken = await Promise.all([a.takeChatUpdate('tg', 10, { update_id: 10 }, now), b.takeChatUpdate('tg', 10, { update_id: 10 }, now)]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await a.takeChatUpdate('tg', 11, { update_id: 11 }, now)).toBe(true);
    expect(await a.chatCursor('tg')).toBe(12);
    await a.finishChatUpdate('tg', 10, now);
    expect(await a.unfinishedChatUpdates('tg')).toEqual([{ updateId: 11, body: { update_id: 11 } }]);
    await a.finishChatUpdate('tg', 11, now);
    await a.pruneChatUpdates('tg', new Date(now.getTime() + 1));
    // The newest stays: it carries the offset.
    expect(await a.chatCursor('tg')).toBe(12);
    expect(await a.takeChatUpdate('tg', 11, { update_id: 11 }, now)).toBe(false);
  });

  it('uses a chat confirmation once', async () => {
    const s = await open();
    const id = await s.createChatAction('send', { articleId: 'x', channel: 'c' }, now);
    const [first, second] = await Promise.all([s.takeChatAction(id, '@ann', now), s.takeChatAction(id, '@bob', now)]);
    expect([first?.usedBy, second?.usedBy].filter(Boolean)).toHaveLength(1);
    expect((await s.getChatAction(id))!.data).toEqual({ articleId: 'x', channel: 'c' });
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pgMigrations } from '../../src/store/postgres/migrations.ts';
import { migrations } from '../../src/store/sqlite/migrations.ts';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Delivery, NewDelivery, Store, SubscriberFanout } from '../../src/store/types.ts';
import { ENGINES } from '../helpers/store-engines.ts';

const now = new Date('2025-07-01T00:00:00Z');

async function plan(s: Store, n: number, channelId = 'c') {
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

const later = (ms: number) => new Date(now.getTime() + ms);
const events = async (s: Store, id: number) => (await s.consentHistory(id)).map((e) => [e.from ?? null, e.to, e.source, e.detail ?? null]);

// One contract, every engine: each test opens its own empty store (a file, or a PostgreSQL schema).
describe.each(ENGINES)('$name store', (engine) => {
  const open = (same?: Store) => engine.open(same);
  afterEach(() => engine.closeAll());
  afterAll(() => engine.dispose());

  describe('parse cache', () => {
    it('saves changed pages, forgets removed ones, and reads them back', async () => {
      const store = await open();
      const page = JSON.stringify({ warnings: [], skipped: { reason: 'list-page', detail: 'x' } });
      await store.saveParsedPages(
        [
          { path: '/a.md', size: 1, mtimeMs: 1.5, hash: 'h1', key: 'k', page },
          { path: '/b.md', size: 2, mtimeMs: 2, hash: 'h2', key: 'k', page },
        ],
        [],
      );
      await store.saveParsedPages([{ path: '/a.md', size: 3, mtimeMs: 1764590000123.25, hash: 'h3', key: 'k2', page: `${page} ` }], ['/b.md']);
      expect(await store.parsedPages()).toEqual([{ path: '/a.md', size: 3, mtimeMs: 1764590000123.25, hash: 'h3', key: 'k2', page: `${page} ` }]);
      await store.saveParsedPages([], ['/a.md']);
      expect(await store.parsedPages()).toEqual([]);
    });

    it('keeps one scan snapshot, found by its id only, byte for byte', async () => {
      const store = await open();
      expect(await store.scanSnapshot('f1')).toBeUndefined();
      expect(await store.scanSnapshotInputs()).toBeUndefined();
      // Every byte value, and a size past SQLite's page and PostgreSQL's TOAST thresholds.
      const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256);
      await store.saveScanSnapshot({ id: 'f1', inputs: Uint8Array.of(9, 0, 255), result: bytes });
      expect(Buffer.from((await store.scanSnapshot('f1')) as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
      const kept = await store.scanSnapshotInputs();
      expect(kept?.id).toBe('f1');
      expect([...(kept?.inputs ?? [])]).toEqual([9, 0, 255]);
      expect(await store.scanSnapshot('f2')).toBeUndefined();
      // A new one replaces it; none clears it.
      await store.saveScanSnapshot({ id: 'f2', inputs: Uint8Array.of(4), result: Uint8Array.of(1, 2, 3) });
      expect(await store.scanSnapshot('f1')).toBeUndefined();
      expect([...((await store.scanSnapshot('f2')) as Uint8Array)]).toEqual([1, 2, 3]);
      expect((await store.scanSnapshotInputs())?.id).toBe('f2');
      await store.saveScanSnapshot(undefined);
      expect(await store.scanSnapshot('f2')).toBeUndefined();
      expect(await store.scanSnapshotInputs()).toBeUndefined();
      expect(await engine.count(await open(store), 'scan_snapshot')).toBe(0);
    });
  });

  describe('delivery summaries', () => {
    it('reads every article and digest of a channel in one pass, as deliverySummary gives each', async () => {
      const s = await open();
      const waiting = ['a1', 'a2', 'a3'].map((articleId) => ({ articleId, status: 'waiting' as const }));
      await s.applyPlan({ channelId: 'n', createChannelAt: now.toISOString(), decisions: waiting, deliveries: [], fanouts: [] }, now);
      const d1 = (await s.createDigest('n', ['a1', 'a2'], now))!;
      await s.finishDigest(d1.id);
      const d2 = (await s.createDigest('n', ['a3'], later(1000)))!;
      await s.finishDigest(d2.id);
      const deliveries: NewDelivery[] = [
        ...['x', 'y', 'z', 'w'].map((r) => ({ channelId: 'n', kind: 'digest' as const, digestId: d1.id, recipient: `${r}@example.com`, dedupeKey: `d1:${r}` })),
        ...['x', 'y'].map((r) => ({ channelId: 'n', kind: 'digest' as const, digestId: d2.id, recipient: `${r}@example.com`, dedupeKey: `d2:${r}` })),
        ...['a1', 'a2', 'a3'].flatMap((a) => ['x', 'y'].map((r) => ({ channelId: 'n', kind: 'post' as const, articleId: a, recipient: `${r}@example.com`, dedupeKey: `${a}:${r}` }))),
        // Another channel's deliveries of the same article are not this channel's.
        { channelId: 'm', kind: 'post', articleId: 'a1', recipient: '@other', dedupeKey: 'm:a1' },
      ];
      await s.applyPlan({ channelId: 'n', decisions: [], deliveries, fanouts: [] }, now);
      const claimed = [...(await s.claim('n', 'me', now, 100)), ...(await s.claim('m', 'me', now, 100))];
      // "d1:x": digest d1's delivery to x; "a1:x": article a1's to x.
      const id = (key: string) => {
        const [what, who] = key.split(':') as [string, string];
        const digest = what === 'd1' ? d1.id : what === 'd2' ? d2.id : undefined;
        const found = claimed.find((d) => d.recipient === `${who}@example.com` && (digest !== undefined ? d.digestId === digest : d.articleId === what));
        return (found as Delivery).id;
      };
      // Sent at the same moment (the latest decided by id), sent later, failed twice (the latest error wins), left pending.
      await s.markSentMany([
        { id: id('d1:x'), providerMessageId: 'm-d1x', sentAt: later(5000) },
        { id: id('d1:y'), providerMessageId: 'm-d1y', sentAt: later(5000) },
        { id: id('d2:x'), providerMessageId: undefined, sentAt: later(2000) },
        { id: id('a1:x'), providerMessageId: 'm-a1x', sentAt: later(9000) },
        { id: id('a1:y'), providerMessageId: 'm-a1y', sentAt: later(3000) },
      ]);
      await s.markFailed(id('d1:z'), 'mailbox full', later(6000));
      await s.markFailed(id('d1:w'), '550 no such user', later(6000));
      await s.markFailed(id('a2:x'), 'timeout', later(6000));
      await s.release([id('a3:x')], later(60_000), false);
      const all = await s.deliverySummaries('n');
      expect([...all.articles.keys()].sort()).toEqual(['a1', 'a2', 'a3']);
      expect([...all.digests.keys()].sort()).toEqual([d1.id, d2.id].sort());
      for (const a of ['a1', 'a2', 'a3', 'none']) expect(all.articles.get(a) ?? { pending: 0, sending: 0, sent: 0, failed: 0 }, a).toEqual(await s.deliverySummary('n', { articleId: a }));
      for (const d of [d1.id, d2.id]) expect(all.digests.get(d), String(d)).toEqual(await s.deliverySummary('n', { digestId: d }));
      expect(all.digests.get(d1.id)).toMatchObject({ sent: 2, failed: 2, sending: 0, providerMessageId: 'm-d1y', lastError: '550 no such user' });
      expect(all.articles.get('a1')).toMatchObject({ sent: 2, providerMessageId: 'm-a1x', lastSentAt: later(9000).toISOString() });
      expect(all.articles.get('a3')).toMatchObject({ pending: 1, sending: 1 });
      expect((await s.deliverySummaries('m')).articles.get('a1')).toMatchObject({ sending: 1, sent: 0 });
    });
  });

  describe('ledger', () => {
    it('applies migrations once, even when opened again', async () => {
      const a = await open();
      const b = await open(a);
      expect(await engine.count(b, 'schema_migrations')).toBe(engine.name === 'sqlite' ? migrations.length : pgMigrations.length);
    });

    it('plans idempotently by dedupe key', async () => {
      const s = await open();
      expect((await plan(s, 3)).planned).toBe(3);
      expect((await plan(s, 3)).planned).toBe(0);
    });

    it('never lets two stores on one file claim the same delivery', async () => {
      const a = await open();
      const b = await open(a);
      await plan(a, 100);
      const claims = await Promise.all([a.claim('c', 'A', now, 60), b.claim('c', 'B', now, 60), a.claim('c', 'A2', now, 60)]);
      const ids = claims.flat().map((d) => d.id);
      expect(ids.length).toBe(100);
      expect(new Set(ids).size).toBe(100);
    });

    it('a claim takes at most its limit, whoever claims at the same time', async () => {
      const a = await open();
      const b = await open(a);
      await plan(a, 3000);
      if (engine.name === 'postgres') await engine.exec(a, 'ANALYZE'); // statistics, as a live database has them
      const claims = await Promise.all([a.claim('c', 'A', now, 250), b.claim('c', 'B', now, 250), a.claim('c', 'A2', now, 250), b.claim('c', 'B2', now, 250)]);
      for (const c of claims) expect(c.length).toBe(250);
      expect(new Set(claims.flat().map((d) => d.id)).size).toBe(1000);
      expect((await a.counts())[0]).toMatchObject({ pending: 2000, sending: 1000 });
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
      expect(await s.subscriberCounts()).toEqual({ pending: 0, active: 1, unsubscribed: 0, bounced: 0, complained: 0 });
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

    it('fans out in batches, any number of readers, with names as written (quotes, non-ASCII) and each alerts flag', async () => {
      const s = await open();
      const readers = await s.upsertSubscribers(
        Array.from({ length: 457 }, (_, i) => ({ email: `r${i}@x.com`, topics: i % 2 ? ['芯片'] : [], language: i % 3 ? 'zh-CN' : undefined, alerts: i % 5 === 0 })),
        now,
        { source: 'import' },
      );
      const byId = new Map(readers.map((r) => [r.subscriber.id, r.subscriber]));
      const seen: unknown[] = [];
      const fanout: SubscriberFanout = {
        channelId: "c'1",
        kind: 'post',
        articleId: "posts/o'brien-芯片",
        dedupePrefix: "alert:c'1:posts/o'brien-芯片",
        match: (x) => {
          seen.push(x);
          return x.alerts ? `["${x.language ?? '-'}"]` : null;
        },
        messageId: (x) => `<a.${x.publicId}@t>`,
      };
      const r = await s.applyPlan({ channelId: "c'1", decisions: [], deliveries: [], fanouts: [fanout] }, now);
      // Every reader was read as stored.
      expect(seen).toEqual(readers.map(({ subscriber: x }) => ({ id: x.id, publicId: x.publicId, email: x.email, topics: x.topics, language: x.language, alerts: x.alerts })));
      const wanted = readers.filter((x) => x.subscriber.alerts);
      expect(r.planned).toBe(wanted.length);
      const claimed = await s.claim("c'1", 'me', now, 1000);
      expect(claimed.map((d) => [d.channelId, d.kind, d.articleId, d.digestId, d.recipient, d.variant, d.messageId, d.nextAttemptAt]).sort()).toEqual(
        wanted
          .map(({ subscriber: x }) => ["c'1", 'post', "posts/o'brien-芯片", undefined, x.email, `["${x.language ?? '-'}"]`, `<a.${x.publicId}@t>`, now.toISOString()])
          .sort(),
      );
      for (const d of claimed) expect(byId.get(d.subscriberId as number)?.email).toBe(d.recipient);
      // The dedupe key is the prefix and the reader: planned again, nothing new.
      expect((await s.applyPlan({ channelId: "c'1", decisions: [], deliveries: [], fanouts: [fanout] }, now)).planned).toBe(0);
    });

    it('a plan naming a subscriber or digest that does not exist writes nothing', async () => {
      const s = await open();
      const { subscriber } = await s.upsertSubscriber({ email: 'a@x.com' }, now);
      const ok = { channelId: 'c', kind: 'post' as const, recipient: 'a@x.com', subscriberId: subscriber.id, dedupeKey: 'ok' };
      const plan = (deliveries: NewDelivery[], fanouts: SubscriberFanout[] = []) =>
        s.applyPlan({ channelId: 'c', createChannelAt: now.toISOString(), decisions: [{ articleId: 'p1', status: 'planned' }], deliveries, fanouts }, now);
      await expect(plan([ok, { ...ok, subscriberId: subscriber.id + 99, dedupeKey: 'bad' }])).rejects.toThrow();
      await expect(plan([ok, { ...ok, kind: 'digest', digestId: 99, dedupeKey: 'bad' }])).rejects.toThrow();
      const fanout: SubscriberFanout = { channelId: 'c', kind: 'digest', digestId: 99, dedupePrefix: 'digest:99', match: () => '["p1"]', messageId: (x) => `<${x.id}@t>` };
      await expect(plan([ok], [fanout])).rejects.toThrow();
      expect(await engine.count(s, 'deliveries')).toBe(0);
      expect(await engine.count(s, 'decisions')).toBe(0);
      expect(await s.getChannel('c')).toBeUndefined();
    });

    // PostgreSQL: the store locks what a new delivery names (migration 1003), as a foreign key did.
    it.runIf(engine.name === 'postgres')('a subscriber removed while a fan-out is written: the plan waits for the removal, then leaves that reader out', async () => {
      const s = await open();
      const a = await s.upsertSubscriber({ email: 'a@x.com' }, now);
      await s.upsertSubscriber({ email: 'b@x.com' }, now);
      const other = postgres(engine.url(s), { max: 2, onnotice: () => {} });
      try {
        // A removal under way in another process: the row locked and deleted, not committed yet.
        let commit!: () => void;
        const committing = new Promise<void>((r) => (commit = r));
        let removing!: (pid: number) => void;
        const removed = new Promise<number>((r) => (removing = r));
        const removal = other.begin(async (q) => {
          const [{ pid }] = (await q`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
          await q`SELECT id FROM subscribers WHERE id = ${a.subscriber.id} FOR UPDATE`;
          await q`DELETE FROM subscribers WHERE id = ${a.subscriber.id}`;
          removing(pid);
          await committing;
        });
        const pid = await removed;
        const planning = s.applyPlan(
          { channelId: 'e', decisions: [], deliveries: [], fanouts: [{ channelId: 'e', kind: 'digest', dedupePrefix: 'd1', match: () => '["a"]', messageId: (x) => `<${x.id}@t>` }] },
          now,
        );
        planning.catch(() => undefined);
        // The plan's read of the readers now waits for the removal's lock on a@.
        for (let i = 0; i < 500; i++) {
          const [w] = await other`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${pid}::int = ANY(pg_blocking_pids(pid))`;
          if (w?.n) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        commit();
        await removal;
        await expect(planning).resolves.toMatchObject({ planned: 1 });
        expect((await s.claim('e', 'me', now, 10)).map((d) => d.recipient)).toEqual(['b@x.com']);
      } finally {
        await other.end();
      }
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
      await s.unsubscribe(gone.subscriber.id, now, { source: 'editor' });
      expect(await s.retryNow('other', now)).toEqual({ failed: 0, deferred: 0 });
      expect(await s.retryNow('c', now)).toEqual({ failed: 1, deferred: 1 });
      expect((await s.claim('c', 'me', now, 10)).map((d) => d.id)).toEqual([d1!.id, d2!.id]);
    });

    it('decides an approval once: a second decision from the same state does nothing', async () => {
      const a = await open();
      const b = await open(a);
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
      const b = await open(a);
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

  describe('living posts: alerts and what a digest showed', () => {
    it('keeps a reader’s alerts choice through upserts and preferences (unchanged when not given)', async () => {
      const s = await open();
      const { subscriber: a } = await s.upsertSubscriber({ email: 'a@x.com', status: 'active', alerts: true }, now);
      expect(a.alerts).toBe(true);
      expect((await s.upsertSubscriber({ email: 'b@x.com', status: 'active' }, now)).subscriber.alerts).toBe(false);
      expect((await s.updatePreferences(a.id, { name: null, topics: [], paused: false }, now))?.alerts).toBe(true);
      expect((await s.updatePreferences(a.id, { name: null, topics: [], paused: false, alerts: false }, now))?.alerts).toBe(false);
      expect((await s.upsertSubscriber({ email: 'A@x.com', alerts: true }, now)).subscriber.alerts).toBe(true);
      expect((await s.getSubscriber('a@x.com'))?.alerts).toBe(true);
    });

    it('a digest keeps what its articles showed, only for the articles it took', async () => {
      const s = await open();
      await s.applyPlan({ channelId: 'e', createChannelAt: now.toISOString(), decisions: [{ articleId: 'p1', status: 'waiting' }], deliveries: [], fanouts: [] }, now);
      const shown = { p1: { title: 'One', summary: 's', url: 'u1', topics: [] }, p2: { title: 'Two', summary: '', url: 'u2', topics: [] } };
      const d = await s.createDigest('e', ['p1', 'p2'], now, shown);
      expect(d).toMatchObject({ articleIds: ['p1'], shown: { p1: shown.p1 } });
      expect((await s.getDigest(d!.id))?.shown).toEqual({ p1: shown.p1 });
    });
  });

  describe('consent: statuses stay honest', () => {
    it('records every status change with when, from, to and source; creation included', async () => {
      const s = await open();
      const { subscriber: a } = await s.upsertSubscriber({ email: 'a@x.com', status: 'pending' }, now, { source: 'editor', detail: 'cli' });
      await s.upsertSubscriber({ email: 'a@x.com', status: 'active' }, later(1000), { source: 'import', detail: 'line 2' });
      await s.unsubscribe(a.id, later(2000), { source: 'one-click', ip: '192.0.2.7' });
      const history = await s.consentHistory(a.id);
      expect(history.map((e) => [e.at, e.from ?? null, e.to, e.source, e.ip ?? null, e.detail ?? null])).toEqual([
        [now.toISOString(), null, 'pending', 'editor', null, 'cli'],
        [later(1000).toISOString(), 'pending', 'active', 'import', null, 'line 2'],
        [later(2000).toISOString(), 'active', 'unsubscribed', 'one-click', '192.0.2.7', null],
      ]);
      expect(await s.getSubscriberById(a.id)).toMatchObject({ status: 'unsubscribed', unsubscribedAt: later(2000).toISOString(), unsubscribeSource: 'one-click' });
      // A repeat keeps the first unsubscribe's time and source, and records nothing.
      await s.unsubscribe(a.id, later(3000), { source: 'link' });
      expect(await s.getSubscriberById(a.id)).toMatchObject({ unsubscribedAt: later(2000).toISOString(), unsubscribeSource: 'one-click' });
      expect(await s.consentHistory(a.id)).toHaveLength(3);
      // Across subscribers, with the address, for an export.
      await s.upsertSubscriber({ email: 'b@x.com' }, later(4000));
      expect((await s.consentEvents()).map((e) => [e.email, e.to])).toEqual([
        ['a@x.com', 'pending'],
        ['a@x.com', 'active'],
        ['a@x.com', 'unsubscribed'],
        ['b@x.com', 'active'],
      ]);
      expect((await s.consentEvents({ afterId: 2, limit: 1 })).map((e) => e.to)).toEqual(['unsubscribed']);
    });

    it('writes the record in the same transaction as the change: no record, no change', async () => {
      const s = await open();
      const { subscriber } = await s.upsertSubscriber({ email: 'a@x.com', status: 'active' }, now);
      await engine.exec(s, 'DROP TABLE subscriber_events');
      await expect(s.unsubscribe(subscriber.id, now, { source: 'link' })).rejects.toThrow(/subscriber_events/);
      expect((await s.getSubscriberById(subscriber.id))!.status).toBe('active');
    });

    for (const suppressed of ['unsubscribed', 'bounced', 'complained'] as const) {
      it(`never brings a ${suppressed} subscriber back: not by upsert, setSubscriberStatus or a sign-up`, async () => {
        const s = await open();
        const { subscriber } = await s.upsertSubscriber({ email: 'gone@x.com', name: 'Gone', topics: ['a'], status: suppressed }, now);
        expect(subscriber).toMatchObject({ status: suppressed, unsubscribedAt: now.toISOString(), unsubscribeSource: 'editor' });
        for (const status of ['active', 'pending'] as const) {
          await s.upsertSubscriber({ email: 'GONE@x.com', status }, later(1000));
          expect(await s.setSubscriberStatus(subscriber.id, status, later(1000))).toBe(false);
        }
        const signUp = await s.signUp({ email: 'gone@x.com', name: 'Mallory', topics: ['b'] }, later(2000), { ip: '198.51.100.1' });
        expect(signUp.outcome).toBe(suppressed === 'bounced' ? 'bounced' : 'requested');
        expect(await s.getSubscriberById(subscriber.id)).toMatchObject({ status: suppressed, name: 'Gone', topics: ['a'], unsubscribedAt: now.toISOString() });
        expect((await s.consentHistory(subscriber.id)).map((e) => e.to)).toEqual(suppressed === 'bounced' ? [suppressed] : [suppressed, suppressed]);
      });
    }

    it('moving into a suppressed status cancels pending deliveries', async () => {
      const s = await open();
      const { subscriber } = await s.upsertSubscriber({ email: 'a@x.com' }, now);
      await s.applyPlan(
        { channelId: 'c', decisions: [], deliveries: [{ channelId: 'c', kind: 'digest', subscriberId: subscriber.id, recipient: 'a@x.com', dedupeKey: 'k' }], fanouts: [] },
        now,
      );
      expect(await s.setSubscriberStatus(subscriber.id, 'complained', now, { source: 'complaint', detail: 'feedback loop' })).toBe(true);
      expect((await s.recentDeliveries({ limit: 1 }))[0]).toMatchObject({ status: 'failed', lastError: 'complained' });
      expect(await s.subscriberCounts()).toMatchObject({ complained: 1, active: 0 });
    });

    it('a sign-up never changes an existing pending or active reader (name, topics, status)', async () => {
      const s = await open();
      const first = await s.signUp({ email: 'ada@x.com', name: 'Ada', topics: ['AI'] }, now, { ip: '192.0.2.1' });
      expect(first.outcome).toBe('created');
      const again = await s.signUp({ email: 'ADA@x.com', name: 'Mallory', topics: ['spam'] }, later(1000), { ip: '203.0.113.9' });
      expect(again.outcome).toBe('pending');
      expect(await s.getSubscriber('ada@x.com')).toMatchObject({ name: 'Ada', topics: ['AI'], status: 'pending' });
      await s.confirmSubscriber(first.subscriber.id, { issuedAt: now }, later(2000), { ip: '192.0.2.1' });
      expect((await s.signUp({ email: 'ada@x.com', name: 'Mallory', topics: [] }, later(3000))).outcome).toBe('active');
      expect(await s.getSubscriber('ada@x.com')).toMatchObject({ name: 'Ada', topics: ['AI'], status: 'active', confirmedAt: later(2000).toISOString() });
      expect((await s.consentHistory(first.subscriber.id)).map((e) => [e.from ?? null, e.to, e.source, e.ip])).toEqual([
        [null, 'pending', 'signup', '192.0.2.1'],
        ['pending', 'active', 'confirm', '192.0.2.1'],
      ]);
    });

    it('confirmation links: one made before an unsubscribe never confirms; only a re-subscription request made after it does', async () => {
      const s = await open();
      const { subscriber } = await s.signUp({ email: 'ada@x.com', name: 'Ada', topics: ['AI'] }, now);
      const id = subscriber.id;
      const oldLink = { issuedAt: now };
      expect((await s.confirmSubscriber(id, oldLink, later(60_000)))!.outcome).toBe('confirmed');
      await s.unsubscribe(id, later(120_000), { source: 'link' });
      expect((await s.checkConfirmation(id, oldLink))!.outcome).toBe('stale');
      // A stranger signs the address up again: a request is recorded, nothing else changes.
      const req = await s.signUp({ email: 'ada@x.com', name: 'Mallory', topics: ['Sport'] }, later(180_000), { ip: '203.0.113.66' });
      expect(req).toMatchObject({ outcome: 'requested', requestId: expect.any(Number) });
      expect((await s.getSubscriberById(id))!.status).toBe('unsubscribed');
      // The old link still does nothing; nor does a link without the request, however new.
      expect((await s.confirmSubscriber(id, oldLink, later(200_000)))!.outcome).toBe('stale');
      expect((await s.confirmSubscriber(id, { issuedAt: later(190_000) }, later(200_000)))!.outcome).toBe('stale');
      expect((await s.confirmSubscriber(id, { issuedAt: now, requestId: req.requestId! + 1 }, later(200_000)))!.outcome).toBe('stale');
      expect((await s.getSubscriberById(id))!.status).toBe('unsubscribed');
      // The request's own link, seen first without changing anything, then followed.
      expect(await s.checkConfirmation(id, { issuedAt: later(180_000), requestId: req.requestId })).toMatchObject({ outcome: 'confirmable', topics: ['Sport'] });
      const done = await s.confirmSubscriber(id, { issuedAt: later(180_000), requestId: req.requestId }, later(240_000), { ip: '192.0.2.1' });
      expect(done!.outcome).toBe('confirmed');
      expect(done!.subscriber).toMatchObject({ status: 'active', name: 'Mallory', topics: ['Sport'], confirmedAt: later(240_000).toISOString() });
      // Once used, and after a second unsubscribe, that request's link is stale too.
      await s.unsubscribe(id, later(300_000), { source: 'preferences' });
      expect((await s.confirmSubscriber(id, { issuedAt: later(180_000), requestId: req.requestId }, later(360_000)))!.outcome).toBe('stale');
      expect((await s.consentHistory(id)).map((e) => [e.from ?? null, e.to, e.source])).toEqual([
        [null, 'pending', 'signup'],
        ['pending', 'active', 'confirm'],
        ['active', 'unsubscribed', 'link'],
        ['unsubscribed', 'unsubscribed', 'signup'],
        ['unsubscribed', 'active', 'confirm'],
        ['active', 'unsubscribed', 'preferences'],
      ]);
    });

    it('a request made before the latest unsubscribe cannot be completed', async () => {
      const s = await open();
      const { subscriber } = await s.upsertSubscriber({ email: 'a@x.com', status: 'unsubscribed' }, now);
      const req = await s.signUp({ email: 'a@x.com', topics: [] }, later(1000));
      // A second request is confirmed, then the reader unsubscribes again: the first, older request is dead.
      const req2 = await s.signUp({ email: 'a@x.com', topics: ['x'] }, later(2000));
      await s.confirmSubscriber(subscriber.id, { issuedAt: later(2000), requestId: req2.requestId }, later(3000));
      await s.unsubscribe(subscriber.id, later(4000), { source: 'link' });
      expect((await s.confirmSubscriber(subscriber.id, { issuedAt: later(1000), requestId: req.requestId }, later(5000)))!.outcome).toBe('stale');
      expect((await s.getSubscriberById(subscriber.id))!.status).toBe('unsubscribed');
    });

    it('confirmation emails: at most one per interval and maxPerDay in any 24 hours; a released claim frees its place', async () => {
      const s = await open();
      const { subscriber } = await s.signUp({ email: 'a@x.com', topics: [] }, now);
      const limits = { minIntervalMs: 5 * 60_000, maxPerDay: 3 };
      const at = (min: number) => later(min * 60_000);
      expect(await s.claimConfirmationSend(subscriber.id, at(0), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(4), limits)).toBe('throttled');
      expect(await s.claimConfirmationSend(subscriber.id, at(5), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(10), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(15), limits)).toBe('capped');
      expect(await s.claimConfirmationSend(subscriber.id, at(23 * 60), limits)).toBe('capped');
      // A failed send gives its place back.
      expect(await s.claimConfirmationSend(subscriber.id, at(24 * 60 + 1), limits)).toBe('ok');
      await s.releaseConfirmationSend(subscriber.id, at(24 * 60 + 1));
      expect(await s.claimConfirmationSend(subscriber.id, at(24 * 60 + 2), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(24 * 60 + 7), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(24 * 60 + 12), limits)).toBe('ok');
      expect(await s.claimConfirmationSend(subscriber.id, at(24 * 60 + 17), limits)).toBe('capped');
    });

    it('removing a subscriber erases their consent history and requests', async () => {
      const s = await open();
      const { subscriber } = await s.upsertSubscriber({ email: 'a@x.com', status: 'unsubscribed' }, now);
      await s.signUp({ email: 'a@x.com', topics: [] }, now, { ip: '192.0.2.1' });
      await s.claimConfirmationSend(subscriber.id, now, { minIntervalMs: 0, maxPerDay: 3 });
      expect(await s.removeSubscriber('a@x.com')).toBe(true);
      for (const table of ['subscriber_events', 'resubscribe_requests', 'confirmation_sends']) {
        expect(await engine.count(s, table), table).toBe(0);
      }
    });
  });
});

let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function openSqlite(file: string) {
  const s = await openStore({ path: file });
  stores.push(s);
  return s;
}

describe('migrations 3 and 4 on an existing v2 database', () => {
  /** A database as Herald 0.1 with migrations 1 and 2 left it, with data in it. */
  function v2Database(file: string): void {
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of migrations.slice(0, 2)) {
      db.exec(m.sql as string);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2025-06-01T00:00:00.000Z');
    }
    const add = db.prepare(
      'INSERT INTO subscribers (public_id, email, email_key, name, topics, status, created_at, updated_at, paused, confirm_sent_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    add.run('pubA', 'Ada@X.com', 'ada@x.com', 'Ada', '["AI"]', 'active', '2025-06-01T00:00:00.000Z', '2025-06-02T00:00:00.000Z', 0, '2025-06-01T00:01:00.000Z', '2025-06-01T00:02:00.000Z');
    add.run('pubB', 'bob@x.com', 'bob@x.com', null, '[]', 'pending', '2025-06-03T00:00:00.000Z', '2025-06-03T00:00:00.000Z', 1, null, null);
    add.run('pubC', 'cy@x.com', 'cy@x.com', '林', '["体育"]', 'unsubscribed', '2025-06-04T00:00:00.000Z', '2025-06-05T00:00:00.000Z', 0, null, null);
    add.run('pubD', 'di@x.com', 'di@x.com', null, '[]', 'bounced', '2025-06-06T00:00:00.000Z', '2025-06-07T00:00:00.000Z', 0, null, null);
    add.run('pubE', 'ed@x.com', 'ed@x.com', null, '[]', 'active', '2025-06-08T00:00:00.000Z', '2025-06-08T00:00:00.000Z', 0, null, null);
    db.prepare("DELETE FROM subscribers WHERE public_id = 'pubE'").run();
    db.prepare("INSERT INTO digests (channel_id, created_at, article_ids, status) VALUES ('news', '2025-06-09T00:00:00.000Z', '[\"a\"]', 'planned')").run();
    const delivery = db.prepare(
      "INSERT INTO deliveries (dedupe_key, channel_id, kind, digest_id, subscriber_id, recipient, status, next_attempt_at, created_at) VALUES (?, 'news', 'digest', 1, ?, ?, ?, '2025-06-09T00:00:00.000Z', '2025-06-09T00:00:00.000Z')",
    );
    delivery.run('d1', 1, 'Ada@X.com', 'sent');
    delivery.run('d2', 3, 'cy@x.com', 'failed');
    delivery.run('d3', 2, 'bob@x.com', 'pending');
    db.close();
  }

  const OLD_COLUMNS = 'id, public_id, email, email_key, name, topics, status, created_at, updated_at, paused, confirm_sent_at, confirmed_at';

  it('keeps every row, id and reference; allows complained; keeps the id counter, indexes and foreign keys', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'herald-v2-')), 'h.db');
    v2Database(file);
    const before = new Database(file);
    const rows = before.prepare(`SELECT ${OLD_COLUMNS} FROM subscribers ORDER BY id`).all();
    const deliveries = before.prepare('SELECT * FROM deliveries ORDER BY id').all();
    before.close();

    const s = await openSqlite(file);
    expect(s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(migrations.map((m) => m.version));
    expect(s.db.prepare(`SELECT ${OLD_COLUMNS} FROM subscribers ORDER BY id`).all()).toEqual(rows);
    expect(s.db.prepare('SELECT * FROM deliveries ORDER BY id').all()).toEqual(deliveries);
    expect(s.db.pragma('foreign_key_check')).toEqual([]);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'subscribers' AND sql IS NOT NULL").pluck().all()).toEqual(['subscribers_status']);
    // References are still enforced, now against the rebuilt table.
    expect(() =>
      s.db
        .prepare("INSERT INTO deliveries (dedupe_key, channel_id, kind, subscriber_id, recipient, status, next_attempt_at, created_at) VALUES ('x', 'news', 'post', 99, 'x', 'pending', 'x', 'x')")
        .run(),
    ).toThrow(/FOREIGN KEY/);
    // The CHECK knows 'complained' now, and still nothing else.
    const bob = (await s.getSubscriber('bob@x.com'))!;
    expect(await s.setSubscriberStatus(bob.id, 'complained', now, { source: 'complaint' })).toBe(true);
    expect(() => s.db.prepare("UPDATE subscribers SET status = 'bogus' WHERE id = 1").run()).toThrow(/CHECK/);
    // Unsubscribe times are the moments the store kept; the source was never recorded.
    expect(await s.getSubscriber('cy@x.com')).toMatchObject({ status: 'unsubscribed', unsubscribedAt: '2025-06-05T00:00:00.000Z', unsubscribeSource: undefined, name: '林' });
    expect(await s.getSubscriber('di@x.com')).toMatchObject({ unsubscribedAt: '2025-06-07T00:00:00.000Z' });
    expect(await s.getSubscriber('ada@x.com')).toMatchObject({ confirmedAt: '2025-06-01T00:02:00.000Z', unsubscribedAt: undefined });
    // Each subscriber's history starts with the status on record at the upgrade.
    expect(await events(s, 3)).toEqual([[null, 'unsubscribed', 'upgrade', 'status on record when consent history began']]);
    // The id of the removed subscriber (5) is never handed out again.
    expect((await s.upsertSubscriber({ email: 'new@x.com' }, now)).subscriber.id).toBe(6);
    // The cancelled delivery of bob is the only change the complaint made.
    expect(s.db.prepare("SELECT status, last_error FROM deliveries WHERE dedupe_key = 'd3'").get()).toEqual({ status: 'failed', last_error: 'complained' });
  });
});

describe.each(ENGINES)('$name store: sending and digests', (engine) => {
  afterEach(() => engine.closeAll());
  afterAll(() => engine.dispose());

  it('records sends in batches, gives claims back, and summarises what a digest reached', async () => {
    const s = await engine.open();
    const a = await s.upsertSubscriber({ email: 'a@x.com', topics: [] }, now);
    const b = await s.upsertSubscriber({ email: 'B@x.com', topics: [] }, now);
    await s.applyPlan({ channelId: 'e', createChannelAt: now.toISOString(), decisions: [{ articleId: 'p1', status: 'waiting' }, { articleId: 'p2', status: 'waiting' }], deliveries: [], fanouts: [] }, now);
    expect(await s.waitingArticles('e')).toEqual(['p1', 'p2']);
    const digest = (await s.createDigest('e', ['p1', 'p2'], now))!;
    expect(await s.createDigest('e', ['p1'], now)).toBeUndefined();
    const r = await s.applyPlan(
      {
        channelId: 'e',
        decisions: [],
        deliveries: [],
        fanouts: [{ channelId: 'e', kind: 'digest', digestId: digest.id, dedupePrefix: `digest:${digest.id}`, match: (x) => (x.id === a.subscriber.id ? '["p1"]' : null), messageId: (x) => `<${x.id}@t>` }],
      },
      now,
    );
    expect(r.planned).toBe(1);
    await s.finishDigest(digest.id);
    expect(await s.unfinishedDigests('e')).toEqual([]);
    expect([...(await s.subscribersReached('e', ['p1']))]).toEqual([a.subscriber.id]);
    expect([...(await s.subscribersReached('e', ['p2']))]).toEqual([]);
    await plan(s, 3);
    const claimed = await s.claim('c', 'me', now, 10);
    await s.release([claimed[2]!.id], later(1000), true);
    await s.markSentMany(claimed.slice(0, 2).map((d, i) => ({ id: d.id, providerMessageId: i === 0 ? 'p-0' : undefined, sentAt: later(i) })));
    expect((await s.recentDeliveries({ status: 'sent', channelId: 'c', limit: 5 })).map((d) => [d.recipient, d.providerMessageId ?? null, d.sentAt])).toEqual([
      ['r1', null, later(1).toISOString()],
      ['r0', 'p-0', now.toISOString()],
    ]);
    expect(await s.nextAttemptAt('c')).toBe(later(1000).toISOString());
    expect((await s.claim('c', 'me', later(1000), 10)).map((d) => [d.recipient, d.attempts])).toEqual([['r2', 1]]);
    expect(await s.counts()).toEqual([
      { channelId: 'c', pending: 0, sending: 1, sent: 2, failed: 0 },
      { channelId: 'e', pending: 1, sending: 0, sent: 0, failed: 0 },
    ]);
    expect((await s.deliverySummary('e', { digestId: digest.id })).pending).toBe(1);
    expect([...(await s.subscribersByIds([a.subscriber.id, b.subscriber.id])).keys()].sort()).toEqual([a.subscriber.id, b.subscriber.id].sort());
    expect([...(await s.subscribersByEmails(['b@X.com'])).keys()]).toEqual(['b@x.com']);
    expect((await s.searchSubscribers('B@', 5)).map((x) => x.email)).toEqual(['B@x.com']);
    expect((await s.subscribers({ status: 'active', afterId: a.subscriber.id })).map((x) => x.email)).toEqual(['B@x.com']);
  });
});

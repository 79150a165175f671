/**
 * The ledger of what happened to each sent chat post (living posts): the contract a
 * PostgreSQL store must keep too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const now = new Date('2025-07-01T00:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);
let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function open(file = path.join(mkdtempSync(path.join(tmpdir(), 'herald-rev-')), 'h.db')) {
  const s = await openStore({ path: file });
  stores.push(s);
  return s;
}

/** One sent post of article `a` and one sent roundup of a and b, on channel tg. */
async function sentPosts(s: SqliteStore): Promise<{ post: number; roundup: number }> {
  await s.applyPlan(
    {
      channelId: 'tg',
      createChannelAt: now.toISOString(),
      decisions: [],
      deliveries: [
        { channelId: 'tg', kind: 'post', articleId: 'a', recipient: 'chat:1', dedupeKey: 'auto:tg:a' },
        { channelId: 'tg', kind: 'post', recipient: 'chat:1', variant: JSON.stringify(['a', 'b']), dedupeKey: 'roundup:tg:x' },
      ],
      fanouts: [],
    },
    now,
  );
  const claimed = await s.claim('tg', 'me', now, 10);
  for (const d of claimed) await s.markSent(d.id, String(100 + d.id), now);
  return { post: claimed[0]!.id, roundup: claimed[1]!.id };
}

describe('post revisions', () => {
  it('lists a channel’s sent posts, and an article’s posts including the roundups it was in, with their revisions in order', async () => {
    const s = await open();
    const { post, roundup } = await sentPosts(s);
    const shown = { title: 'A', summary: 's', url: 'https://e.com/a/', topics: ['x'] };
    await s.addRevision({ deliveryId: post, channelId: 'tg', articleId: 'a', action: 'posted', shown, result: 'ok' }, now);
    await s.addRevision({ deliveryId: post, channelId: 'tg', articleId: 'a', action: 'edited', shown: { ...shown, title: 'A!' }, changes: ['title'], result: 'ok' }, later(1000));
    await s.addRevision({ deliveryId: roundup, channelId: 'tg', action: 'roundup', result: 'ok', reason: '2 articles' }, now);

    const channel = await s.postRecords({ channelId: 'tg' });
    expect(channel.map((r) => r.delivery.id)).toEqual([post, roundup]);
    expect(channel[0]!.revisions.map((r) => [r.action, r.shown?.title, r.changes])).toEqual([
      ['posted', 'A', undefined],
      ['edited', 'A!', ['title']],
    ]);
    expect((await s.postRecords({ articleId: 'b' })).map((r) => r.delivery.id)).toEqual([roundup]);
    expect((await s.postRecords({ articleId: 'a' })).map((r) => r.delivery.id)).toEqual([post, roundup]);
    expect(await s.postRecords({ channelId: 'tg', sentSince: later(1).toISOString() })).toEqual([]);
  });

  it('a pending revision is a claim: one process at a time, taken over after the lease', async () => {
    const a = await open();
    const b = await open(a.file);
    const { post } = await sentPosts(a);
    const rev = { deliveryId: post, channelId: 'tg', articleId: 'a', action: 'edited' as const, result: 'pending' as const };
    const first = await a.addRevision(rev, now, 60_000);
    expect(first).toBeTypeOf('number');
    expect(await b.addRevision(rev, later(1000), 60_000)).toBeUndefined();
    // The first process died: after the lease another takes over; the old claim is recorded as interrupted.
    const second = await b.addRevision(rev, later(61_000), 60_000);
    expect(second).toBeTypeOf('number');
    await b.finishRevision(second as number, { result: 'ok', shown: { title: 'B', summary: '', url: 'u', topics: [] }, messageId: '777' }, later(62_000));
    const [record] = await a.postRecords({ articleId: 'a' });
    expect(record!.revisions.map((r) => [r.result, r.reason?.slice(0, 11), r.messageId])).toEqual([
      ['failed', 'interrupted', undefined],
      ['ok', undefined, '777'],
    ]);
  });
});

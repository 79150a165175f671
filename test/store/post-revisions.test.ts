/**
 * The ledger of what happened to each sent chat post (living posts): the contract a
 * PostgreSQL store must keep too. Runs on every engine.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.ts';
import { ENGINES } from '../helpers/store-engines.ts';

const now = new Date('2025-07-01T00:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

/** One sent post of article `a` and one sent roundup of a and b, on channel tg. */
async function sentPosts(s: Store): Promise<{ post: number; roundup: number }> {
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

describe.each(ENGINES)('$name store: post revisions', (engine) => {
  const open = (same?: Store) => engine.open(same);
  afterEach(() => engine.closeAll());
  afterAll(() => engine.dispose());

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
    const b = await open(a);
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

  it('of claims of one post made at once by two processes, exactly one is taken', async () => {
    const a = await open();
    const b = await open(a);
    const { post } = await sentPosts(a);
    const rev = { deliveryId: post, channelId: 'tg', articleId: 'a', action: 'edited' as const, result: 'pending' as const };
    const got = await Promise.all([a, b, a, b, a, b].map((s, i) => s.addRevision(rev, later(i), 60_000)));
    expect(got.filter((x) => x !== undefined)).toHaveLength(1);
    const [record] = await a.postRecords({ articleId: 'a' });
    expect(record!.revisions.map((r) => r.result)).toEqual(['pending']);
  });
});

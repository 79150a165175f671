/** The store's side of bounces: the policy applied atomically with the event, reactivation, rates. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BouncePolicy, Store, Subscriber } from '../../src/store/types.ts';
import { ENGINES, type Engine } from '../helpers/store-engines.ts';

const t0 = new Date('2025-07-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * 86_400_000);
const policy: BouncePolicy = { hard: 1, soft: 3, softWindowMs: 30 * 86_400_000 };

async function setup(engine: Engine, recipients: string[]) {
  const s: Store = await engine.open();
  const subs: Subscriber[] = [];
  for (const email of recipients) subs.push((await s.upsertSubscriber({ email, status: 'active' }, t0)).subscriber);
  // One email per subscriber per "article", like a channel in `each` mode would plan.
  const send = async (article: string, when = t0) => {
    await s.applyPlan(
      {
        channelId: 'news',
        createChannelAt: t0.toISOString(),
        decisions: [],
        deliveries: subs.map((x) => ({ channelId: 'news', kind: 'post' as const, articleId: article, subscriberId: x.id, recipient: x.email, messageId: `<${article}.${x.id}@h>`, dedupeKey: `${article}:${x.id}` })),
        fanouts: [],
      },
      when,
    );
    const claimed = await s.claim('news', 'test', when, 1000);
    for (const d of claimed) await s.markSent(d.id, `q-${d.id}`, when);
    return claimed;
  };
  return { s, subs, send };
}

// Every engine: each test opens its own empty store (a file, or a PostgreSQL schema).
describe.each(ENGINES)('$name store', (engine) => {
  afterEach(() => engine.closeAll());
  afterAll(() => engine.dispose());

  describe('bounces in the store', () => {
    it('a hard bounce suppresses at once, cancels pending deliveries in every channel, records consent; a repeat key changes nothing', async () => {
      const { s, subs, send } = await setup(engine, ['a@x.test', 'b@x.test']);
      const [d] = await send('a1');
      await s.applyPlan({ channelId: 'other', decisions: [], deliveries: [{ channelId: 'other', kind: 'post', subscriberId: subs[0]?.id, recipient: 'a@x.test', dedupeKey: 'o1' }], fanouts: [] }, t0);
      const r = await s.recordBounce({ key: 'k1', source: 'imap', type: 'hard', code: '5.1.1', diagnostic: '550 user unknown', recipient: 'a@x.test', deliveryId: d?.id }, policy, at(1));
      expect(r).toMatchObject({ duplicate: false, event: { applied: 'bounced', channelId: 'news', subscriberId: subs[0]?.id, deliveryId: d?.id } });
      expect((await s.getSubscriberById(subs[0]?.id as number))?.status).toBe('bounced');
      expect((await s.recentDeliveries({ channelId: 'other', limit: 5 }))[0]).toMatchObject({ status: 'failed', lastError: 'bounced' });
      expect((await s.consentHistory(subs[0]?.id as number)).at(-1)).toMatchObject({ from: 'active', to: 'bounced', source: 'bounce', detail: expect.stringContaining('5.1.1') });
      const again = await s.recordBounce({ key: 'k1', source: 'imap', type: 'hard', deliveryId: d?.id }, policy, at(1));
      expect(again.duplicate).toBe(true);
      expect(await s.bounceEvents()).toHaveLength(1);
      // A bounce of nobody Herald knows: kept, unmatched, nothing else changes.
      const stray = await s.recordBounce({ key: 'k2', source: 'imap', type: 'hard', recipient: 'who@x.test', unmatched: 'no VERP' }, policy, at(1));
      expect(stray.event).toMatchObject({ unmatched: 'no VERP', applied: undefined, subscriberId: undefined });
      expect((await s.getSubscriberById(subs[1]?.id as number))?.status).toBe('active');
    });

    it('soft bounces count once per email within the window', async () => {
      const { s, subs, send } = await setup(engine, ['a@x.test']);
      const id = subs[0]?.id as number;
      const soft = async (key: string, deliveryId: number | undefined, day: number) => s.recordBounce({ key, source: 'smtp', type: 'soft', deliveryId }, policy, at(day));
      const [d1] = await send('a1');
      const [d2] = await send('a2');
      await soft('s1', d1?.id, 1);
      await soft('s1b', d1?.id, 1); // the same email again
      await soft('s2', d2?.id, 2);
      expect((await s.getSubscriberById(id))?.status).toBe('active');
      // A third email, 30½ days after the first: the first is out of the 30-day window.
      const [d3] = await send('a3', at(31.5));
      await soft('s3', d3?.id, 31.5);
      expect((await s.getSubscriberById(id))?.status).toBe('active');
      // A fourth a little later: the second, third and fourth are within 30 days.
      const [d4] = await send('a4', at(31.9));
      const r = await soft('s4', d4?.id, 31.9);
      expect(r.event.applied).toBe('bounced');
    });

    it('complaints and provider unsubscribes; an editor reactivates only a bounced address, and its old bounces no longer count', async () => {
      const { s, subs } = await setup(engine, ['c@x.test', 'u@x.test', 'b@x.test']);
      const [c, u, b] = subs.map((x) => x.id);
      await s.recordBounce({ key: 'c', source: 'ses', type: 'complaint', subscriberId: c }, policy, at(1));
      await s.recordBounce({ key: 'u', source: 'sendgrid', type: 'unsubscribe', subscriberId: u }, policy, at(1));
      await s.recordBounce({ key: 'b', source: 'mailgun', type: 'hard', subscriberId: b }, policy, at(1));
      expect((await s.getSubscriberById(c as number))?.status).toBe('complained');
      expect((await s.getSubscriberById(u as number))?.unsubscribeSource).toBe('provider');
      expect(await s.reactivateSubscriber(c as number, at(2), { source: 'editor' })).toBe(false);
      expect(await s.reactivateSubscriber(u as number, at(2), { source: 'editor' })).toBe(false);
      expect(await s.reactivateSubscriber(b as number, at(2), { source: 'editor', detail: 'dashboard (ann)' })).toBe(true);
      expect((await s.getSubscriberById(b as number))?.status).toBe('active');
      // A soft bounce now does not add up with the hard one from before the reactivation.
      const hardPolicy = { ...policy, hard: 2 };
      await s.recordBounce({ key: 'b2', source: 'mailgun', type: 'hard', subscriberId: b }, hardPolicy, at(3));
      expect((await s.getSubscriberById(b as number))?.status).toBe('active');
      await s.recordBounce({ key: 'b3', source: 'mailgun', type: 'hard', subscriberId: b }, hardPolicy, at(4));
      expect((await s.getSubscriberById(b as number))?.status).toBe('bounced');
    });

    it('rates: emails sent, bounced and complained, for a digest or since a time; finds deliveries by Message-ID or provider id', async () => {
      const { s, send } = await setup(engine, ['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test']);
      const ds = await send('a1');
      await s.recordBounce({ key: 'x1', source: 'imap', type: 'soft', deliveryId: ds[0]?.id }, policy, at(1));
      await s.recordBounce({ key: 'x2', source: 'imap', type: 'complaint', deliveryId: ds[1]?.id }, policy, at(1));
      expect(await s.bounceStats('news', { since: at(-1) })).toEqual({ sent: 4, bounced: 1, complained: 1 });
      expect(await s.bounceStats('news', { since: at(1) })).toEqual({ sent: 0, bounced: 0, complained: 0 });
      // A digest's own rates: only its deliveries.
      await s.applyPlan({ channelId: 'news', decisions: [{ articleId: 'd1', status: 'waiting' }], deliveries: [], fanouts: [] }, t0);
      const digest = await s.createDigest('news', ['d1'], t0);
      await s.applyPlan(
        { channelId: 'news', decisions: [], deliveries: ['a@x.test', 'b@x.test'].map((r, i) => ({ channelId: 'news', kind: 'digest' as const, digestId: digest?.id, recipient: r, dedupeKey: `dg${i}` })), fanouts: [] },
        t0,
      );
      const dg = await s.claim('news', 'test', t0, 10);
      for (const d of dg) await s.markSent(d.id, undefined, t0);
      await s.recordBounce({ key: 'x3', source: 'ses', type: 'hard', deliveryId: dg[0]?.id }, policy, at(1));
      expect(await s.bounceStats('news', { digestId: digest?.id as number })).toEqual({ sent: 2, bounced: 1, complained: 0 });
      expect((await s.findDelivery({ messageId: ds[2]?.messageId }))?.id).toBe(ds[2]?.id);
      expect((await s.findDelivery({ providerMessageId: `q-${ds[3]?.id}` }))?.id).toBe(ds[3]?.id);
      expect(await s.findDelivery({ messageId: '<nope@h>' })).toBeUndefined();
    });
  });

  describe('a retry for a reader stopped while the email was in flight', () => {
    it('is not a retry: failed with why (bounced, unsubscribed, paused), never back to pending', async () => {
      const { s, subs } = await setup(engine, ['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test']);
      await s.applyPlan(
        { channelId: 'news', decisions: [], deliveries: subs.map((x) => ({ channelId: 'news', kind: 'post' as const, subscriberId: x.id, recipient: x.email, dedupeKey: `r:${x.id}` })), fanouts: [] },
        t0,
      );
      const claimed = await s.claim('news', 'test', t0, 10);
      const [a, b, c] = subs.map((x) => x.id) as [number, number, number];
      await s.recordBounce({ key: 'ka', source: 'smtp', type: 'hard', subscriberId: a }, policy, t0);
      await s.unsubscribe(b, t0, { source: 'link' });
      await s.updatePreferences(c, { name: null, topics: [], paused: true }, t0);
      for (const d of claimed) await s.markRetry(d.id, '452 4.2.2 mailbox full', at(1), true);
      const after = (await s.recentDeliveries({ channelId: 'news', limit: 10 })).sort((x, y) => x.id - y.id);
      expect(after.map((d) => [d.recipient, d.status, d.lastError])).toEqual([
        ['a@x.test', 'failed', 'bounced'],
        ['b@x.test', 'failed', 'unsubscribed'],
        ['c@x.test', 'failed', 'paused'],
        ['d@x.test', 'pending', '452 4.2.2 mailbox full'],
      ]);
    });
  });
});

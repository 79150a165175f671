/** Dashboard: a subscriber's bounces and complaints, reactivating a bounced address, rates per channel. */
import { describe, expect, it } from 'vitest';
import { dashboardPerTest, flashOf, textOf } from './helpers.ts';

const admin = dashboardPerTest();
const policy = { hard: 1, soft: 2, softWindowMs: 30 * 86_400_000 };

describe('bounces on the dashboard', () => {
  it("shows the reports and the consent change; a hard-bounced address is reactivated only with the editor's confirmation", async () => {
    const t = await admin.loggedIn();
    const { subscriber: s } = await t.h.store.upsertSubscriber({ email: 'gone@example.net', status: 'active' }, t.h.now());
    await t.h.store.recordBounce(
      { key: 'k1', source: 'imap', type: 'hard', code: '5.1.1', diagnostic: '550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown', recipient: 'gone@example.net', subscriberId: s.id },
      policy,
      t.h.now(),
    );
    const page = await t.get(`/admin/subscribers/${s.id}`);
    expect(page.statusCode).toBe(200);
    const table = textOf(/<table class="bounces">([\s\S]*?)<\/table>/.exec(page.body)?.[1] ?? '');
    expect(table).toContain('1 report');
    expect(table).toMatch(/hard bounce bounce mailbox 5\.1\.1 550 5\.1\.1 <gone@example\.net>: Recipient address rejected: User unknown → bounced/);
    expect(textOf(page.body)).toContain('active → bounced');
    expect(page.body).toContain('name="confirm" value="yes" required');

    const refused = await t.post(`/admin/subscribers/${s.id}/reactivate`, {});
    expect(flashOf((await t.follow(refused)).body)).toMatchObject({ kind: 'error', text: expect.stringContaining('tick the confirmation') });
    expect((await t.h.store.getSubscriberById(s.id))?.status).toBe('bounced');

    const done = await t.post(`/admin/subscribers/${s.id}/reactivate`, { confirm: 'yes' });
    expect(flashOf((await t.follow(done)).body)).toMatchObject({ kind: 'ok', text: 'gone@example.net is active again.' });
    expect((await t.h.store.getSubscriberById(s.id))?.status).toBe('active');
    expect((await t.h.store.consentHistory(s.id)).at(-1)).toMatchObject({ from: 'bounced', to: 'active', source: 'editor', detail: 'reactivated from the dashboard (editor)' });
  });

  it('a soft-bounced address needs no confirmation; a complained one cannot be reactivated', async () => {
    const t = await admin.loggedIn();
    const { subscriber: s } = await t.h.store.upsertSubscriber({ email: 'full@example.net', status: 'active' }, t.h.now());
    for (const k of ['a', 'b']) await t.h.store.recordBounce({ key: k, source: 'smtp', type: 'soft', code: '4.2.2', subscriberId: s.id }, policy, t.h.now());
    expect((await t.h.store.getSubscriberById(s.id))?.status).toBe('bounced');
    expect((await t.get(`/admin/subscribers/${s.id}`)).body).not.toContain('name="confirm"');
    await t.post(`/admin/subscribers/${s.id}/reactivate`, {});
    expect((await t.h.store.getSubscriberById(s.id))?.status).toBe('active');

    const { subscriber: c } = await t.h.store.upsertSubscriber({ email: 'spam@example.net', status: 'active' }, t.h.now());
    await t.h.store.recordBounce({ key: 'c', source: 'ses', type: 'complaint', subscriberId: c.id }, policy, t.h.now());
    expect((await t.get(`/admin/subscribers/${c.id}`)).body).not.toContain('/reactivate');
    const r = await t.post(`/admin/subscribers/${c.id}/reactivate`, { confirm: 'yes' });
    expect(flashOf((await t.follow(r)).body)?.kind).toBe('info');
    expect((await t.h.store.getSubscriberById(c.id))?.status).toBe('complained');
  });

  it('the subscribers page shows bounce and complaint rates per email channel, and the latest reports, unmatched ones too', async () => {
    const t = await admin.loggedIn();
    expect((await t.get('/admin/subscribers')).body).not.toContain('recent-bounces');
    const { subscriber: s } = await t.h.store.upsertSubscriber({ email: 'gone@example.net', status: 'active' }, t.h.now());
    await t.h.store.recordBounce({ key: 'm1', source: 'smtp', type: 'hard', code: '5.1.1', recipient: 'gone@example.net', subscriberId: s.id }, policy, t.h.now());
    await t.h.store.recordBounce({ key: 'u1', source: 'imap', type: 'hard', code: '5.1.1', recipient: 'stranger@example.org', unmatched: 'Message-ID <x@elsewhere> is not one Herald sent' }, policy, t.h.now());
    const page = await t.get('/admin/subscribers');
    const recent = /<table class="recent-bounces">([\s\S]*?)<\/table>/.exec(page.body)?.[1] ?? '';
    expect(textOf(recent)).toMatch(/Latest 2 reports .* stranger@example\.org hard bounce bounce mailbox 5\.1\.1 unmatched: Message-ID <x@elsewhere> is not one Herald sent .* gone@example\.net hard bounce SMTP reply 5\.1\.1 → bounced/);
    expect(recent).toContain(`<a href="/admin/subscribers/${s.id}">gone@example.net</a>`);
    const table = textOf(/<table class="rates">([\s\S]*?)<\/table>/.exec(page.body)?.[1] ?? '');
    expect(table).toMatch(/Channel Last 30 days Last digest \S+ 0 bounced \(0\.0%\), 0 complaints \(0\.0%\) of 0/);
  });
});

/**
 * Consent that a stranger cannot override: the sequences found by the attack on the reader
 * pages (issue 7), end to end over HTTP, with the emails read back from a real SMTP server.
 */
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportSubscribersCsv, importSubscribersCsv } from '../../../src/pipeline/subscriber-import.ts';
import type { TestServer } from '../helpers.ts';
import { form } from '../helpers.ts';
import { confirmLink, pathOf, rawHeader, startReader } from './fixtures.ts';

let t: TestServer;
beforeEach(async () => {
  t = await startReader({ language: 'en' });
});
afterEach(async () => {
  await t.close();
});

const ADA = 'ada@example.com';
const signUp = (fields: Record<string, string | string[]>, ip: string) => {
  const f = form(fields);
  return t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, 'x-forwarded-for': ip } });
};
const open = (url: string) => t.app.inject({ method: 'GET', url: pathOf(url) });
const press = (url: string, ip = '192.0.2.10') =>
  t.app.inject({ method: 'POST', url: pathOf(url), payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip } });
const ada = async () => (await t.h.store.getSubscriber(ADA))!;
/** Every email sent so far to an address, parsed, in order. */
async function mailsTo(address: string, count: number): Promise<ParsedMail[]> {
  await t.smtp.waitForMessages(count);
  const parsed = await t.smtp.parsed();
  return parsed.filter((_, i) => t.smtp.messages[i]!.envelope.to.includes(address));
}
const minutes = (n: number) => t.clock.advance(n * 60_000);

describe('someone who unsubscribed', () => {
  it('is never signed up again by a stranger; an old link never confirms; only their own fresh link brings them back', async () => {
    // Ada signs up, confirms, and later unsubscribes with her mail client's one-click button.
    expect((await signUp({ email: ADA, name: 'Ada', topics: ['AI'] }, '192.0.2.10')).statusCode).toBe(200);
    const [first] = await mailsTo(ADA, 1);
    const oldLink = confirmLink(first!);
    expect((await press(oldLink)).statusCode).toBe(200);
    expect((await ada()).status).toBe('active');
    minutes(10);
    const oneClick = /<(https:[^>]+)>/.exec(rawHeader(first!, 'list-unsubscribe') ?? '')![1]!;
    const unsub = await t.app.inject({
      method: 'POST',
      url: pathOf(oneClick),
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.18.0.1' },
    });
    expect(unsub.statusCode).toBe(200);
    const unsubscribedAt = t.clock.now.toISOString();
    expect(await ada()).toMatchObject({ status: 'unsubscribed', unsubscribedAt, unsubscribeSource: 'one-click' });

    // A stranger posts her address with their own name and topics: the same page as always…
    minutes(10);
    const stranger = await signUp({ email: ADA, name: 'Mallory', topics: ['体育'] }, '203.0.113.66');
    expect(stranger.statusCode).toBe(200);
    expect(stranger.body).toContain('<h1>Check your inbox</h1>');
    // …and nothing about Ada changes: still unsubscribed, her own name and topics, the unsubscribe on record.
    expect(await ada()).toMatchObject({ status: 'unsubscribed', name: 'Ada', topics: ['AI'], unsubscribedAt, unsubscribeSource: 'one-click' });
    // The link from before the unsubscribe stays dead, opened or pressed.
    for (const res of [await open(oldLink), await press(oldLink)]) {
      expect(res.statusCode).toBe(410);
      expect(res.body).toContain('<h1>This link is no longer valid</h1>');
    }
    expect((await ada()).status).toBe('unsubscribed');
    // The export says so, and an import without a status column does not revive her.
    let csv = '';
    await exportSubscribersCsv(t.h, (c) => (csv += c));
    expect(csv).toContain(`${ADA},Ada,AI,unsubscribed`);
    expect(await importSubscribersCsv(t.h, `email,name\n${ADA},Ada\n`)).toMatchObject({ kept: 1 });
    expect((await ada()).status).toBe('unsubscribed');

    // Ada gets a fresh double opt-in for the stranger's request; the name is not in it, and
    // her mail scanner opening its link changes nothing.
    const [, second] = await mailsTo(ADA, 2);
    expect(second!.text).not.toContain('Mallory');
    const strangersLink = confirmLink(second!);
    const page = await open(strangersLink);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ad…@example.com unsubscribed from 测试新闻 earlier. Subscribe it again?');
    expect(page.body).toContain('Topics: 体育');
    expect((await ada()).status).toBe('unsubscribed');

    // Ada herself really wants back: her own request, her own link, her own choices.
    minutes(10);
    await signUp({ email: ADA, name: 'Ada L.', topics: ['算力与芯片'] }, '192.0.2.10');
    const [, , third] = await mailsTo(ADA, 3);
    const ownLink = confirmLink(third!);
    expect(ownLink).not.toBe(strangersLink);
    minutes(1);
    const back = await press(ownLink);
    expect(back.statusCode).toBe(200);
    expect(back.body).toContain('<h1>Welcome to 测试新闻!</h1>');
    expect(await ada()).toMatchObject({ status: 'active', name: 'Ada L.', topics: ['算力与芯片'], confirmedAt: t.clock.now.toISOString(), unsubscribedAt });

    // Her consent history tells the whole story, each step with its source.
    const history = await t.h.store.consentHistory((await ada()).id);
    expect(history.map((e) => [e.from ?? null, e.to, e.source, e.ip ?? null])).toEqual([
      [null, 'pending', 'signup', '192.0.2.10'],
      ['pending', 'active', 'confirm', '192.0.2.10'],
      ['active', 'unsubscribed', 'one-click', '198.18.0.1'],
      ['unsubscribed', 'unsubscribed', 'signup', '203.0.113.66'],
      ['unsubscribed', 'unsubscribed', 'signup', '192.0.2.10'],
      ['unsubscribed', 'active', 'confirm', '192.0.2.10'],
    ]);
    expect(history[5]!.detail).toMatch(/^re-subscription request #\d+$/);
  });

  it('a stranger cannot change a pending reader’s name or topics', async () => {
    await signUp({ email: ADA, name: 'Ada', topics: ['AI'] }, '192.0.2.10');
    minutes(6);
    await signUp({ email: ADA, name: 'Mallory', topics: ['体育'] }, '203.0.113.66');
    expect(await ada()).toMatchObject({ status: 'pending', name: 'Ada', topics: ['AI'] });
    // Both emails confirm the reader's own choices.
    const mails = await mailsTo(ADA, 2);
    minutes(1);
    expect((await open(confirmLink(mails[1]!))).body).toContain('Topics: AI');
    await press(confirmLink(mails[1]!));
    expect(await ada()).toMatchObject({ status: 'active', name: 'Ada', topics: ['AI'] });
  });

  it('who complained gets a fresh double opt-in like an unsubscribed reader; a bounced address gets nothing', async () => {
    const complained = (await t.h.store.upsertSubscriber({ email: 'spam@example.com', status: 'complained' }, t.clock.now, { source: 'complaint' })).subscriber;
    const bounced = (await t.h.store.upsertSubscriber({ email: 'gone@example.com', status: 'bounced' }, t.clock.now, { source: 'bounce' })).subscriber;
    minutes(1);
    await signUp({ email: 'gone@example.com' }, '192.0.2.20');
    await signUp({ email: 'spam@example.com', topics: ['AI'] }, '192.0.2.21');
    const [mail] = await mailsTo('spam@example.com', 1);
    expect((await t.h.store.getSubscriberById(complained.id))!.status).toBe('complained');
    minutes(1);
    expect((await press(confirmLink(mail!))).statusCode).toBe(200);
    expect(await t.h.store.getSubscriberById(complained.id)).toMatchObject({ status: 'active', topics: ['AI'], unsubscribeSource: 'complaint' });
    await t.app.close();
    // No email went to the bounced address; only the request's link brings the complainer back.
    expect(t.smtp.messages.map((m) => m.envelope.to[0])).toEqual(['spam@example.com']);
    expect((await t.h.store.getSubscriberById(bounced.id))!.status).toBe('bounced');
  });
});

describe('confirmation emails to one address', () => {
  it('at most 3 in 24 hours, whoever asks and from however many addresses; then again the next day', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await signUp({ email: 'target@example.com' }, `203.0.113.${i + 1}`)).statusCode).toBe(200);
      minutes(6);
      await t.smtp.waitForMessages(Math.min(i + 1, 3));
    }
    expect(t.smtp.messages).toHaveLength(3);
    t.clock.advance(24 * 3_600_000);
    await signUp({ email: 'target@example.com' }, '203.0.113.99');
    await t.smtp.waitForMessages(4);
    await t.app.close();
    expect(t.smtp.messages).toHaveLength(4);
    expect(t.logs.some((l) => l.includes('no confirmation email sent, 3 already went out in 24 hours'))).toBe(true);
  });
});

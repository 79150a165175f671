/**
 * Provider webhooks, each signed as the provider signs it: correctly (recorded, the address
 * stops) and incorrectly (401, nothing changes). SES comes through SNS: the signing
 * certificate is fetched from a server on loopback standing in for sns.<region>.amazonaws.com.
 */
import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchReport, recordReport } from '../../src/bounces/record.ts';
import { verpAddress } from '../../src/bounces/verp.ts';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { form } from '../server/helpers.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';

const TLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const certPem = readFileSync(path.join(TLS, 'server.pem'));
const keyPem = readFileSync(path.join(TLS, 'server-key.pem'));
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-bounces';
const POSTMARK = { user: 'postmark', password: 'pm-hook-password-1' };
const MAILGUN_KEY = 'key-mailgun-signing-0123456789';
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const sendgridPublic = (sendgrid.publicKey as KeyObject).export({ type: 'spki', format: 'der' }).toString('base64');

let t: TestServer;
let sns: Server;
let snsBase: string;
const snsHits: string[] = [];
const READERS = ['ses-hard@example.net', 'ses-complaint@example.net', 'pm-hard@example.net', 'pm-spam@example.net', 'pm-unsub@example.net', 'mg-hard@example.net', 'mg-soft@example.net', 'sg-hard@example.net', 'sg-spam@example.net', 'keep@example.net', 'ses-event@example.net', 'mg-spam@example.net', 'mg-unsub@example.net', 'sg-unsub@example.net', 'sg-group@example.net', 'sg-blocked@example.net'];

beforeAll(async () => {
  // Stands in for https://sns.us-east-1.amazonaws.com: the certificate and the subscription link.
  sns = createServer((req, res) => {
    snsHits.push(req.url ?? '');
    if (req.url === '/SimpleNotificationService-test.pem') res.end(certPem);
    else if (req.url?.startsWith('/?Action=ConfirmSubscription')) res.end('<ConfirmSubscriptionResponse/>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => sns.listen(0, '127.0.0.1', r));
  snsBase = `http://127.0.0.1:${(sns.address() as { port: number }).port}`;
  t = await startTestServer({
    start: '2025-07-02T01:00:00Z',
    channels: `  news:\n    type: email\n    smtp: {smtp}\n    from: "News <news@example.com>"\n    mode: each\n`,
    articles: { 'a.md': '---\ntitle: Article A\ndate: 2025-07-02T08:00:00+08:00\n---\n\nBody.\n' },
    extra: `bounces:
  returnPath: bounces@news.example.com
  webhooks:
    ses: { topicArn: "${TOPIC}", snsUrl: "^${snsBase.replace(/\./g, '\\\\.')}/" }
    postmark: { user: ${POSTMARK.user}, password: ${POSTMARK.password} }
    mailgun: { signingKey: ${MAILGUN_KEY} }
    sendgrid: { publicKey: "${sendgridPublic}" }
`,
  });
  for (const email of READERS) await t.h.store.upsertSubscriber({ email, status: 'active' }, t.clock.now);
  await runPass(t.h);
  expect(t.smtp.messages).toHaveLength(READERS.length);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await new Promise((r) => sns?.close(r));
});

async function statusOf(email: string) {
  return (await t.h.store.getSubscriber(email))?.status;
}
async function eventCount() {
  return (await t.h.store.bounceEvents({ limit: 10_000 })).length;
}
async function messageIdOf(email: string) {
  const parsed = await t.smtp.parsed();
  return parsed.find((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === email)?.messageId as string;
}
const post = (provider: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/hooks/bounces/${provider}`, payload, headers: { 'content-type': 'application/json', ...headers } });

// ── SES through SNS ──────────────────────────────────────────────────────

function signSns(m: Record<string, string>, version: '1' | '2' = '1'): Record<string, string> {
  const fields = m.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = fields.filter((f) => m[f] !== undefined).map((f) => `${f}\n${m[f]}\n`).join('');
  const signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(text).sign(keyPem, 'base64');
  return { ...m, SignatureVersion: version, Signature: signature, SigningCertURL: `${snsBase}/SimpleNotificationService-test.pem` };
}

function snsNotification(id: string, message: unknown, version: '1' | '2' = '1') {
  return signSns({ Type: 'Notification', MessageId: id, TopicArn: TOPIC, Message: JSON.stringify(message), Timestamp: '2025-07-02T01:05:00.000Z' }, version);
}

describe('Amazon SES (SNS)', () => {
  it('confirms the subscription of the configured topic, and only that one', async () => {
    const confirm = (topic: string) =>
      signSns({
        Type: 'SubscriptionConfirmation',
        MessageId: `sub-${topic.length}`,
        Token: 'tok-123',
        TopicArn: topic,
        Message: `You have chosen to subscribe to the topic ${topic}.`,
        SubscribeURL: `${snsBase}/?Action=ConfirmSubscription&TopicArn=${topic}&Token=tok-123`,
        Timestamp: '2025-07-02T01:00:00.000Z',
      });
    const other = await post('ses', JSON.stringify(confirm('arn:aws:sns:us-east-1:999999999999:someone-else')), { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    expect(other.statusCode).toBe(401);
    expect(snsHits.filter((u) => u.startsWith('/?Action'))).toHaveLength(0);
    const res = await post('ses', JSON.stringify(confirm(TOPIC)), { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    expect(res.statusCode).toBe(200);
    expect(snsHits.filter((u) => u.startsWith('/?Action=ConfirmSubscription'))).toHaveLength(1);
  });

  it('a permanent bounce (matched by Message-ID) and a complaint stop the addresses', async () => {
    const bounce = snsNotification('sns-1', {
      notificationType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'ses-hard@example.net', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
        timestamp: '2025-07-02T01:04:00.000Z',
        feedbackId: '0100018-bounce-1',
      },
      mail: { messageId: '0100018-ses-id-1', source: 'news@example.com', destination: ['ses-hard@example.net'], headers: [{ name: 'Message-ID', value: await messageIdOf('ses-hard@example.net') }] },
    });
    expect((await post('ses', JSON.stringify(bounce), { 'content-type': 'text/plain; charset=UTF-8' })).json()).toEqual({ ok: true, recorded: 1 });
    expect(await statusOf('ses-hard@example.net')).toBe('bounced');
    const [e] = await t.h.store.bounceEvents({ subscriberId: (await t.h.store.getSubscriber('ses-hard@example.net'))?.id, limit: 1 });
    expect(e).toMatchObject({ source: 'ses', type: 'hard', code: '5.1.1', applied: 'bounced', channelId: 'news' });
    expect(e?.deliveryId).toBeTypeOf('number');
    // SNS delivers at least once: the same notification again records nothing.
    expect((await post('ses', JSON.stringify(bounce))).json()).toEqual({ ok: true, recorded: 0 });

    const complaint = snsNotification('sns-2', {
      notificationType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'ses-complaint@example.net' }], complaintFeedbackType: 'abuse', feedbackId: 'c-1', timestamp: '2025-07-02T01:06:00.000Z' },
      mail: { messageId: '0100018-ses-id-2', headers: [] },
    }, '2');
    expect((await post('ses', JSON.stringify(complaint))).statusCode).toBe(200);
    expect(await statusOf('ses-complaint@example.net')).toBe('complained');
  });

  it('reads the event publishing format (eventType) too', async () => {
    const event = snsNotification('sns-4', {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', bouncedRecipients: [{ emailAddress: 'ses-event@example.net', diagnosticCode: 'smtp; 550 5.1.1 no mailbox' }] },
      mail: { messageId: '0100018-ses-id-4', commonHeaders: { messageId: await messageIdOf('ses-event@example.net') } },
    }, '2');
    expect((await post('ses', JSON.stringify(event))).json()).toEqual({ ok: true, recorded: 1 });
    expect(await statusOf('ses-event@example.net')).toBe('bounced');
  });

  it('a wrong signature, or a certificate from anywhere but SNS: 401, nothing changes', async () => {
    const before = await eventCount();
    const good = snsNotification('sns-3', { notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'keep@example.net' }] }, mail: {} });
    const tampered = { ...good, Message: good.Message?.replace('Permanent', 'Permanent ') as string };
    expect((await post('ses', JSON.stringify(tampered))).statusCode).toBe(401);
    const hits = snsHits.length;
    const elsewhere = { ...good, SigningCertURL: 'http://evil.example/cert.pem' };
    expect((await post('ses', JSON.stringify(elsewhere))).statusCode).toBe(401);
    expect(snsHits.length).toBe(hits); // nothing fetched
    expect((await post('ses', 'not json')).statusCode).toBe(401);
    expect(await statusOf('keep@example.net')).toBe('active');
    expect(await eventCount()).toBe(before);
  });
});

// ── Postmark ─────────────────────────────────────────────────────────────

describe('Postmark', () => {
  const auth = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  it('bounce, spam complaint and suppression with the right credentials', async () => {
    const bounce = { RecordType: 'Bounce', ID: 4323372036, Type: 'HardBounce', TypeCode: 1, MessageID: '883953f4-6105-42a2-a16a-77a8eac79483', Email: 'pm-hard@example.net', Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).', Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.', BouncedAt: '2025-07-02T01:10:00Z', Inactive: true, CanActivate: true };
    expect((await post('postmark', JSON.stringify(bounce), auth(POSTMARK.user, POSTMARK.password))).json()).toEqual({ ok: true, recorded: 1 });
    expect(await statusOf('pm-hard@example.net')).toBe('bounced');
    const spam = { RecordType: 'SpamComplaint', ID: 42, Type: 'SpamComplaint', TypeCode: 512, MessageID: 'a2d7f9c1', Email: 'pm-spam@example.net', Description: 'The subscriber explicitly marked this message as spam.' };
    await post('postmark', JSON.stringify(spam), auth(POSTMARK.user, POSTMARK.password));
    expect(await statusOf('pm-spam@example.net')).toBe('complained');
    const unsub = { RecordType: 'SubscriptionChange', MessageID: 'b3', Recipient: 'pm-unsub@example.net', SuppressSending: true, SuppressionReason: 'ManualSuppression', ChangedAt: '2025-07-02T01:12:00Z' };
    await post('postmark', JSON.stringify(unsub), auth(POSTMARK.user, POSTMARK.password));
    expect(await statusOf('pm-unsub@example.net')).toBe('unsubscribed');
    const history = await t.h.store.consentHistory((await t.h.store.getSubscriber('pm-unsub@example.net'))?.id as number);
    expect(history.at(-1)).toMatchObject({ from: 'active', to: 'unsubscribed', source: 'provider' });
  });

  it('wrong or missing credentials: 401, nothing changes', async () => {
    const before = await eventCount();
    const bounce = JSON.stringify({ RecordType: 'Bounce', ID: 7, Type: 'HardBounce', Email: 'keep@example.net' });
    expect((await post('postmark', bounce, auth(POSTMARK.user, 'wrong-password'))).statusCode).toBe(401);
    expect((await post('postmark', bounce, auth('someone', POSTMARK.password))).statusCode).toBe(401);
    expect((await post('postmark', bounce)).statusCode).toBe(401);
    expect(await statusOf('keep@example.net')).toBe('active');
    expect(await eventCount()).toBe(before);
  });
});

// ── Mailgun ──────────────────────────────────────────────────────────────

function mailgun(event: Record<string, unknown>, key = MAILGUN_KEY, at = t.clock.now) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const token = `tok${Math.random().toString(36).slice(2)}${'x'.repeat(30)}`;
  const signature = createHmac('sha256', key).update(timestamp + token).digest('hex');
  return JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': event });
}

describe('Mailgun', () => {
  it('permanent failure: bounced; temporary: a soft bounce only', async () => {
    const hard = mailgun({
      event: 'failed', id: 'mg-ev-1', severity: 'permanent', reason: 'bounce', recipient: 'mg-hard@example.net',
      'delivery-status': { code: 550, message: '5.1.1 The email account that you tried to reach does not exist.', description: '', 'attempt-no': 1 },
      message: { headers: { 'message-id': (await messageIdOf('mg-hard@example.net')).slice(1, -1) } },
    });
    expect((await post('mailgun', hard)).json()).toEqual({ ok: true, recorded: 1 });
    expect(await statusOf('mg-hard@example.net')).toBe('bounced');
    const soft = mailgun({ event: 'failed', id: 'mg-ev-2', severity: 'temporary', reason: 'generic', recipient: 'mg-soft@example.net', 'delivery-status': { code: 452, message: '4.2.2 mailbox full' }, message: { headers: {} } });
    expect((await post('mailgun', soft)).statusCode).toBe(200);
    expect(await statusOf('mg-soft@example.net')).toBe('active');
    const [e] = await t.h.store.bounceEvents({ subscriberId: (await t.h.store.getSubscriber('mg-soft@example.net'))?.id });
    expect(e).toMatchObject({ source: 'mailgun', type: 'soft', code: '4.2.2' });
  });

  it('complaints and unsubscribes', async () => {
    await post('mailgun', mailgun({ event: 'complained', id: 'mg-ev-4', recipient: 'mg-spam@example.net', message: { headers: {} } }));
    await post('mailgun', mailgun({ event: 'unsubscribed', id: 'mg-ev-5', recipient: 'mg-unsub@example.net', message: { headers: {} } }));
    expect(await statusOf('mg-spam@example.net')).toBe('complained');
    expect(await statusOf('mg-unsub@example.net')).toBe('unsubscribed');
  });

  it('a wrong key or an old signature: 401, nothing changes', async () => {
    const before = await eventCount();
    const event = { event: 'failed', id: 'mg-ev-3', severity: 'permanent', recipient: 'keep@example.net' };
    expect((await post('mailgun', mailgun(event, 'key-not-the-right-one'))).statusCode).toBe(401);
    expect((await post('mailgun', mailgun(event, MAILGUN_KEY, new Date(t.clock.now.getTime() - 3 * 3_600_000)))).statusCode).toBe(401);
    expect(await statusOf('keep@example.net')).toBe('active');
    expect(await eventCount()).toBe(before);
  });
});

// ── SendGrid ─────────────────────────────────────────────────────────────

function sendgridCall(events: unknown[], key: KeyObject = sendgrid.privateKey as KeyObject) {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(t.clock.now.getTime() / 1000));
  const signature = createSign('sha256').update(timestamp + body).sign(key, 'base64');
  return { body, headers: { 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp } };
}

describe('SendGrid', () => {
  it('signed events: bounce and spam report', async () => {
    const c = sendgridCall([
      { email: 'sg-hard@example.net', timestamp: 1751418000, 'smtp-id': await messageIdOf('sg-hard@example.net'), event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 The email account that you tried to reach does not exist.', sg_event_id: 'sg-ev-1', sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0' },
      { email: 'sg-spam@example.net', timestamp: 1751418001, event: 'spamreport', sg_event_id: 'sg-ev-2', sg_message_id: '14c5d75ce94.dfd.64b469.filter0001.16648.5515E0B88.0' },
      { email: 'keep@example.net', timestamp: 1751418002, event: 'delivered', sg_event_id: 'sg-ev-3' },
    ]);
    expect((await post('sendgrid', c.body, c.headers)).json()).toEqual({ ok: true, recorded: 2 });
    expect(await statusOf('sg-hard@example.net')).toBe('bounced');
    expect(await statusOf('sg-spam@example.net')).toBe('complained');
    expect(await statusOf('keep@example.net')).toBe('active');
  });

  it('unsubscribe and group unsubscribe stop the address; a block is a soft bounce', async () => {
    const c = sendgridCall([
      { email: 'sg-unsub@example.net', event: 'unsubscribe', sg_event_id: 'sg-ev-4' },
      { email: 'sg-group@example.net', event: 'group_unsubscribe', asm_group_id: 42, sg_event_id: 'sg-ev-5' },
      { email: 'sg-blocked@example.net', event: 'bounce', type: 'blocked', status: '5.7.1', reason: '554 5.7.1 blocked by policy', sg_event_id: 'sg-ev-6' },
    ]);
    expect((await post('sendgrid', c.body, c.headers)).json()).toEqual({ ok: true, recorded: 3 });
    expect(await statusOf('sg-unsub@example.net')).toBe('unsubscribed');
    expect(await statusOf('sg-group@example.net')).toBe('unsubscribed');
    expect(await statusOf('sg-blocked@example.net')).toBe('active');
  });

  it('signed with another key, or the body changed: 401, nothing changes', async () => {
    const before = await eventCount();
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const events = [{ email: 'keep@example.net', event: 'bounce', type: 'bounce', status: '5.1.1', sg_event_id: 'sg-ev-9' }];
    const wrongKey = sendgridCall(events, other.privateKey as KeyObject);
    expect((await post('sendgrid', wrongKey.body, wrongKey.headers)).statusCode).toBe(401);
    const good = sendgridCall(events);
    expect((await post('sendgrid', good.body.replace('5.1.1', '5.1.2'), good.headers)).statusCode).toBe(401);
    expect((await post('sendgrid', good.body)).statusCode).toBe(401);
    expect(await statusOf('keep@example.net')).toBe('active');
    expect(await eventCount()).toBe(before);
  });
});

describe('the confirmation email', () => {
  it('goes out with a VERP sender naming the subscriber: its bounce stops the pending address', async () => {
    const before = t.smtp.messages.length;
    const f = form({ email: 'typo@example.net' });
    expect((await t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, 'x-forwarded-for': '192.0.2.7' } })).statusCode).toBe(200);
    await t.smtp.waitForMessages(before + 1);
    const s = await t.h.store.getSubscriber('typo@example.net');
    expect(s?.status).toBe('pending');
    const sender = t.smtp.messages[before]?.envelope.from as string;
    expect(sender).toBe(verpAddress('bounces@news.example.com', t.h.secret, { kind: 'subscriber', id: s?.id as number }));
    const match = await matchReport(t.h, { returnPaths: [sender] });
    expect(match).toEqual({ subscriberId: s?.id });
    await recordReport(t.h, { key: 'confirm-bounce', source: 'imap', type: 'hard', code: '5.1.1', recipient: 'typo@example.net' }, match);
    expect(await statusOf('typo@example.net')).toBe('bounced');
    // A forged token for the same subscriber matches nothing.
    const forged = sender.replace(/-[0-9a-f]{16}@/, '-0000000000000000@');
    expect(await matchReport(t.h, { returnPaths: [forged], messageId: await messageIdOf('keep@example.net') })).toEqual({ unmatched: expect.stringContaining('wrong signature') });
  });
});

describe('unknown or unconfigured provider', () => {
  it('404', async () => {
    expect((await post('sparkpost', '{}')).statusCode).toBe(404);
  });
});

/**
 * A subscriber's name is text they (or a stranger at the sign-up form) typed. Through every
 * email template (digest, each, confirm), in the HTML and text parts, the To header and the
 * outbox preview file, it must arrive exactly as typed: never read as a placeholder, never as
 * a `String.replace` pattern, never as markup. Emails go to a real SMTP server on loopback and
 * are read back with mailparser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { seedArticle } from '../helpers/site.ts';
import { form, startTestServer, type TestServer } from '../server/helpers.ts';

/** Every trick at once: placeholders, every `$` pattern of String.replace, markup, the i18n `{name}`. */
const HOSTILE = "%%HERALD_UNSUBSCRIBE_URL%% $` $' $& $$ $1 <script>alert(1)</script> {name} %%HERALD_NAME%%";
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const CHANNELS = `  digest:
    type: email
    smtp: {smtp}
    from: "Test News <news@example.com>"
    mode: digest
    schedule: "0 8 * * *"
  each:
    type: email
    smtp: {smtp}
    from: "Test Alerts <alerts@example.com>"
    mode: each
  outbox:
    type: email
    smtp: ""
    from: "Test News <news@example.com>"
    mode: digest
    schedule: "0 8 * * *"
`;

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

async function start(): Promise<TestServer> {
  t = await startTestServer({
    language: 'en',
    channels: CHANNELS,
    articles: { 'posts/a.md': seedArticle({ title: 'Chip news', date: '2025-07-02T20:00:00+08:00', slug: 'chips' }) },
  });
  return t;
}

async function mailsTo(address: string): Promise<ParsedMail[]> {
  return Promise.all(t.smtp.messages.filter((m) => m.envelope.to.includes(address)).map((m) => simpleParser(m.raw)));
}

describe('hostile names through every email template', () => {
  it('digest and each emails: the greeting, the To header and the outbox HTML show the name exactly as typed', async () => {
    await start();
    await t.h.store.upsertSubscriber({ email: 'eve@example.com', name: HOSTILE, status: 'active' }, t.clock.now);
    const r = await runPass(t.h, { channels: ['digest', 'each', 'outbox'], forceDigest: 'digest' });
    expect(r.errors).toEqual([]);
    await runPass(t.h, { channels: ['outbox'], forceDigest: 'outbox' });
    await t.smtp.waitForMessages(2);
    const mails = await mailsTo('eve@example.com');
    expect(mails.map((m) => m.subject).sort()).toEqual(['Chip news', expect.stringMatching(/^测试新闻 digest/)].sort());
    for (const mail of mails) {
      const what = mail.subject;
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0] : undefined, what).toEqual({ address: 'eve@example.com', name: HOSTILE });
      expect(mail.text, what).toContain(`Hi ${HOSTILE},`);
      expect(String(mail.html), what).toContain(`Hi ${escapeHtml(HOSTILE)},`);
      expect(String(mail.html), what).not.toContain('<script>');
      // The footer's unsubscribe link is there once in the text; the name did not become a second one.
      expect(mail.text!.match(/https:\/\/news\.example\.com\/herald\/unsubscribe\//g), what).toHaveLength(1);
    }
    const dir = path.join(t.h.config.outboxDir, 'outbox');
    const files = readdirSync(dir).filter((f) => f.endsWith('.html'));
    expect(files).toHaveLength(1);
    const html = readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(html).toContain(`Hi ${escapeHtml(HOSTILE)},`);
    expect(html).not.toContain('<script>');
    expect(html.match(/https:\/\/news\.example\.com\/herald\/unsubscribe\//g)).toHaveLength(1);
    const eml = await simpleParser(readFileSync(path.join(dir, files[0]!.replace(/\.html$/, '.eml'))));
    expect(eml.text).toContain(`Hi ${HOSTILE},`);
  });

  it('a name stored with a line break (before names were checked) is left out: the reader still gets the email', async () => {
    await start();
    await t.h.store.upsertSubscriber({ email: 'old@example.com', name: 'Old\r\nBcc: victim@example.com', status: 'active' }, t.clock.now);
    const r = await runPass(t.h, { channels: ['digest'], forceDigest: 'digest' });
    expect(r.errors).toEqual([]);
    expect(r.runs[0]).toMatchObject({ sent: 1, failed: 0 });
    await t.smtp.waitForMessages(1);
    const [mail] = await mailsTo('old@example.com');
    expect(mail!.text).toContain('Hello,');
    expect(mail!.to && !Array.isArray(mail!.to) ? mail!.to.value[0] : undefined).toEqual({ address: 'old@example.com', name: '' });
    expect(t.smtp.messages[0]!.envelope.to).toEqual(['old@example.com']);
  });

  it('the confirmation email leaves the sign-up name out entirely (greeting, To header, HTML, text)', async () => {
    await start();
    const f = form({ email: 'victim@example.com', name: HOSTILE.replace(/%%HERALD_\w+%%/g, 'Pay at evil.example') });
    const res = await t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: f.headers });
    expect(res.statusCode).toBe(200);
    await t.smtp.waitForMessages(1);
    const [mail] = await mailsTo('victim@example.com');
    expect(mail!.subject).toBe('Confirm your subscription to 测试新闻');
    expect(mail!.to && !Array.isArray(mail!.to) ? mail!.to.value[0] : undefined).toEqual({ address: 'victim@example.com', name: '' });
    expect(mail!.text).toContain('Hello,');
    const raw = t.smtp.messages[0]!.raw.toString('utf8');
    for (const part of [mail!.text ?? '', String(mail!.html), raw]) {
      expect(part).not.toContain('evil.example');
      expect(part).not.toContain('alert(1)');
    }
  });
});

/**
 * The bounce mailbox end to end: Herald sends through a real SMTP server with a VERP envelope
 * sender, real-shaped reports land in a real IMAP server (Dovecot), `herald bounces fetch`
 * reads them; the addresses stop receiving mail, reports move to the processed folder, other
 * mail stays exactly as it was, bad reports are recorded as unmatched, a second fetch does nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { herald, startHerald } from '../helpers/cli.ts';
import { dovecotAvailable, startDovecot, type TestDovecot } from '../helpers/dovecot.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { eximPlain, gmailDsn, type Original, outlookDsn, postfixDelay, postfixDsn, readerReply, yahooArf } from './reports.ts';

const T = '2025-07-02T09:00:00+08:00';
const CA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls/ca.pem');
const READERS = ['postfix@example.net', 'gmail@example.net', 'outlook@example.net', 'yahoo@example.net', 'exim@example.net', 'keep@example.net'];

let smtp: TestSmtpServer;
let imap: TestDovecot;
let site: TestSite;
const sent = new Map<string, Original>();
// The IMAP server's certificate is signed by the test CA: verified for real, not switched off.
const env = () => site.env(T, { NODE_EXTRA_CA_CERTS: CA });
const run = (args: string[]) => herald(args, { cwd: site.dir, env: env() });

beforeAll(async () => {
  if (!dovecotAvailable) throw new Error('Dovecot is not installed: apt-get install -y dovecot-imapd (see .ci/run)');
  [smtp, imap] = await Promise.all([startSmtpServer(), startDovecot()]);
  site = makeSite({
    channels: `  news:\n    type: email\n    smtp: "${smtp.url}"\n    from: "News <news@example.com>"\n    mode: each\n`,
    extra: `bounces:\n  returnPath: bounces@news.example.com\n  mailbox: "${imap.url('INBOX')}"\n  processed: Herald/Processed\n`,
  });
  site.write('a.md', '---\ntitle: Article A\ndate: 2025-07-02T08:00:00+08:00\n---\n\nBody.\n');
  // One import instead of six `add`s: every CLI start costs seconds on a loaded machine.
  writeFileSync(path.join(site.dir, 'readers.csv'), `email,name,topics\n${READERS.map((r) => `${r},,`).join('\n')}\n`);
  expect((await run(['subscribers', 'import', path.join(site.dir, 'readers.csv')])).code).toBe(0);
  const d = await run(['dispatch']);
  expect(d.code, d.stderr).toBe(0);
  const parsed = await smtp.parsed();
  smtp.messages.forEach((m, i) => {
    sent.set(m.envelope.to[0] as string, { returnPath: m.envelope.from, messageId: parsed[i]?.messageId as string, to: m.envelope.to[0] as string });
  });
}, 180_000);

afterAll(async () => {
  await Promise.all([smtp?.close(), imap?.close()]);
});

const of = (email: string) => sent.get(email) as Original;

describe('bounce mailbox (Dovecot)', () => {
  it('every email goes out with a signed VERP envelope sender naming its delivery', () => {
    expect(sent.size).toBe(READERS.length);
    const senders = [...sent.values()].map((o) => o.returnPath);
    for (const s of senders) expect(s).toMatch(/^bounces\+d\d+-[0-9a-f]{16}@news\.example\.com$/);
    expect(new Set(senders).size).toBe(READERS.length);
  });

  it('reads every report shape, stops the addresses, moves the reports, leaves other mail alone, and never processes twice', async () => {
    const forgedFor = { ...of('keep@example.net'), returnPath: 'bounces+d1-0000000000000000@news.example.com' };
    const full = postfixDsn(of('keep@example.net'), 'truncated-1');
    const reports = [
      postfixDsn(of('postfix@example.net')),
      postfixDsn(of('postfix@example.net')), // the same report delivered twice
      gmailDsn(of('gmail@example.net')),
      outlookDsn(of('outlook@example.net'), 'editor@news.example.com'), // no VERP: matched by Message-ID
      yahooArf(of('yahoo@example.net')),
      eximPlain(of('exim@example.net')),
      postfixDelay(of('keep@example.net')),
      // Bad input: each recorded as unmatched, nothing else changes.
      postfixDsn(of('keep@example.net'), 'malformed-1').replace(/Reporting-MTA[\s\S]*?(?=\n--8F2A)/, 'garbage without fields\n'),
      full.slice(0, full.indexOf('Content-Description: Delivery report')),
      gmailDsn({ ...of('keep@example.net'), returnPath: 'someone@elsewhere.example', messageId: '<not-ours@elsewhere.example>' }, 'editor@news.example.com'),
      postfixDsn(forgedFor, 'forged-1'),
    ];
    for (const r of reports) await imap.append('INBOX', r);
    await imap.append('INBOX', readerReply('bounces@news.example.com'), ['\\Flagged']);
    const replyBefore = (await imap.list('INBOX')).at(-1);

    const r = await run(['bounces', 'fetch']);
    expect(r.code, `${r.stderr}\n${imap.log()}`).toBe(0);
    expect(r.stdout).toContain('read 12 message(s): 11 report(s), 9 event(s) recorded, 4 address(es) stopped, 4 unmatched; 1 other message(s) left untouched');

    // The mailbox: only the reader's reply is left, exactly as it was (not read, still flagged).
    const inbox = await imap.list('INBOX');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.source).toBe(replyBefore?.source);
    expect(inbox[0]?.flags.filter((f) => f !== '\\Recent')).toEqual(['\\Flagged']);
    expect(await imap.folders()).toContain('Herald/Processed');
    expect(await imap.list('Herald/Processed')).toHaveLength(11);

    const list = JSON.parse((await run(['subscribers', 'list', '--json'])).stdout) as Array<{ email: string; status: string; reason?: { text: string } }>;
    const status = Object.fromEntries(list.map((s) => [s.email, s.status]));
    expect(status).toEqual({
      'postfix@example.net': 'bounced',
      'gmail@example.net': 'bounced',
      'outlook@example.net': 'active', // one soft bounce (mailbox full) of the five allowed
      'yahoo@example.net': 'complained',
      'exim@example.net': 'bounced',
      'keep@example.net': 'active', // the forged token, the delay and the bad reports changed nothing
    });

    const events = JSON.parse((await run(['bounces', '--json'])).stdout) as Array<{ type: string; recipient?: string; unmatched?: string; applied?: string; source: string; code?: string }>;
    expect(events).toHaveLength(9);
    const unmatched = events.filter((e) => e.unmatched).map((e) => e.unmatched);
    expect(unmatched).toHaveLength(4);
    expect(unmatched.some((u) => /wrong signature/.test(u ?? ''))).toBe(true);
    expect(unmatched.some((u) => /not-ours@elsewhere\.example.*not one Herald sent/.test(u ?? ''))).toBe(true);
    expect(unmatched.filter((u) => /unreadable report/.test(u ?? ''))).toHaveLength(2);
    expect(events.find((e) => e.recipient === 'outlook@example.net')).toMatchObject({ type: 'soft', code: '5.2.2', source: 'imap' });
    expect(events.find((e) => e.recipient === 'yahoo@example.net')).toMatchObject({ type: 'complaint', applied: 'complained' });

    const text = (await run(['bounces'])).stdout;
    expect(text).toMatch(/imap +hard 5\.1\.1 +postfix@example\.net \(news delivery #\d+\) → bounced\n {4}550 5\.1\.1 <postfix@example\.net>: Recipient address rejected/);
    expect(text).toMatch(/UNMATCHED: VERP token "d1-0000000000000000" has a wrong signature/);
    expect(text).toMatch(/9 event\(s\), 4 unmatched\n$/);

    // A second fetch: nothing new, nothing moved, the reply still untouched.
    const again = await run(['bounces', 'fetch']);
    expect(again.stdout).toContain('read 1 message(s): 0 report(s), 0 event(s) recorded');
    expect(JSON.parse((await run(['bounces', '--json'])).stdout)).toHaveLength(9);
    expect((await imap.list('INBOX'))[0]?.flags.filter((f) => f !== '\\Recent')).toEqual(['\\Flagged']);

    // Editors see why: the bounced addresses with the reason and the date.
    const bounced = await run(['subscribers', 'list', '--status', 'bounced']);
    expect(bounced.stdout).toMatch(/bounced\s+postfix@example\.net\n\s+since \S+: hard bounce 5\.1\.1 via imap: 550 5\.1\.1/);
    expect(bounced.stdout).toContain('3 subscriber(s)');

    // The next article reaches only the addresses still active.
    const before = smtp.messages.length;
    site.write('b.md', '---\ntitle: Article B\ndate: 2025-07-02T08:30:00+08:00\n---\n\nBody.\n');
    expect((await run(['dispatch'])).code).toBe(0);
    expect(smtp.messages.slice(before).map((m) => m.envelope.to[0]).sort()).toEqual(['keep@example.net', 'outlook@example.net']);

    // Rates and warnings: of 8 emails, 4 bounced (3 hard, 1 soft) and 1 drew a complaint in the last 30 days.
    const st = await run(['status']);
    expect(st.stdout).toMatch(/last 30 days: 8 sent, 4 bounced \(50\.0%\), 1 complaints \(12\.5%\)/);
    expect(st.stdout).toMatch(/warning: news: complaint rate 12\.5% in the last 30 days \(1 of 8\) is over 0\.10%/);
    expect(st.stdout).toMatch(/warning: news: bounce rate 50\.0% in the last 30 days \(4 of 8\) is over 2\.0%/);
  }, 300_000);

  it('`herald run` reads the bounce mailbox by itself: a bounce waiting there stops the address', async () => {
    const latest = [...smtp.messages].reverse().find((m) => m.envelope.to[0] === 'keep@example.net');
    const parsed = await smtp.parsed();
    const messageId = parsed[smtp.messages.indexOf(latest as (typeof smtp.messages)[number])]?.messageId as string;
    await imap.append('INBOX', postfixDsn({ returnPath: latest?.envelope.from as string, messageId, to: 'keep@example.net' }, 'run-1'));
    const { child, done } = startHerald(['run', '--no-server'], { cwd: site.dir, env: env() });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await vi.waitFor(() => expect(stderr).toContain('keep@example.net is now bounced'), { timeout: 90_000, interval: 200 });
    } finally {
      child.kill('SIGTERM');
    }
    expect((await done).code).toBe(0);
    expect((await imap.list('INBOX')).map((m) => m.source)).toEqual([expect.stringContaining('Re: your newsletter')]);
  }, 120_000);

  it('imap:// upgrades with STARTTLS (the certificate verified) and reads the same mailbox', async () => {
    const other = makeSite({
      channels: '  news:\n    type: email\n    smtp: ""\n    from: "News <news@example.com>"\n',
      extra: `bounces:\n  mailbox: "${imap.url('INBOX', 'imap')}"\n`,
    });
    const r = await herald(['bounces', 'fetch'], { cwd: other.dir, env: other.env(T, { NODE_EXTRA_CA_CERTS: CA }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^read \d+ message\(s\): 0 report\(s\)/);
  }, 60_000);

  it('a mailbox that refuses the login: exit 1, the password never shown', async () => {
    const bad = makeSite({
      channels: '  news:\n    type: email\n    smtp: ""\n    from: "News <news@example.com>"\n',
      extra: `bounces:\n  mailbox: "imaps://bounces:wrong-password-xyz@127.0.0.1:${imap.port}/INBOX"\n`,
    });
    const r = await herald(['bounces', 'fetch'], { cwd: bad.dir, env: bad.env(T, { NODE_EXTRA_CA_CERTS: CA }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bounce mailbox 127\.0\.0\.1:\d+\/INBOX: could not connect or log in/);
    expect(r.stderr + r.stdout).not.toContain('wrong-password-xyz');
  }, 60_000);
});

/**
 * What mailbox providers check, end to end: the real CLI sends to a real SMTP server on
 * loopback, every message read back is verified by python3-dkim and mailauth against the
 * published keys (RSA and Ed25519 side by side), headers and footers are complete, bad
 * keys stop the command (exit 2), and links that readers could not use are reported.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dkimKeyFrom } from '../../src/channels/email/dkim-keys.ts';
import { dkimPublicRecord } from '../../src/render/email/dkim.ts';
import { form, startTestServer } from '../server/helpers.ts';
import { herald } from '../helpers/cli.ts';
import { tamperBody, verifyWithDkimpy, verifyWithMailauth } from '../helpers/dkim-verify.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const T0 = '2025-07-02T01:00:00+08:00';
const DAY2 = '2025-07-03T08:01:00+08:00';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const pem = (k: typeof rsa.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
const records = Object.fromEntries(
  [dkimKeyFrom('example.com', 'herald-rsa', rsa.privateKey), dkimKeyFrom('example.com', 'herald-ed', ed.privateKey)]
    .map(dkimPublicRecord)
    .map((r) => [r.name, r.value]),
);

let smtp: TestSmtpServer;
let site: TestSite;
let keyDir: string;

function writeKeys() {
  keyDir = mkdtempSync(path.join(tmpdir(), 'herald-keys-'));
  writeFileSync(path.join(keyDir, 'rsa.pem'), pem(rsa.privateKey));
  writeFileSync(path.join(keyDir, 'ed.pem'), pem(ed.privateKey));
}

const header = (m: ParsedMail, key: string) =>
  m.headerLines
    .find((h) => h.key === key)
    ?.line.replace(/^[^:]+:\s*/, '')
    .replace(/\r\n\s+/g, ' ');

async function expectSigned(raw: Buffer) {
  const [py, ma] = await Promise.all([verifyWithDkimpy(raw, records), verifyWithMailauth(raw, records)]);
  expect(py.results, py.log).toEqual([true, true]);
  expect(ma.results, ma.log).toEqual([true, true]);
  const bad = tamperBody(raw);
  expect((await verifyWithDkimpy(bad, records)).results).toEqual([false, false]);
  expect((await verifyWithMailauth(bad, records)).results).toEqual([false, false]);
}

describe('deliverability, end to end', () => {
  beforeEach(async () => {
    smtp = await startSmtpServer();
    writeKeys();
    site = makeSite({
      extra: `email:
  dkim:
    - { domain: example.com, selector: herald-rsa, privateKey: "file:${path.join(keyDir, 'rsa.pem')}" }
    - { domain: example.com, selector: herald-ed, privateKey: "\${DKIM_ED_KEY}" }
`,
      channels: `  news:
    type: email
    smtp: ${smtp.url}
    from: "测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
  alerts:
    type: email
    smtp: ${smtp.url}
    from: "Alerts <alerts@example.com>"
    mode: each
    feedbackId: "alerts-{kind}:herald:{host}"
`,
    });
    writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace('  timezone: Asia/Shanghai\n', '  timezone: Asia/Shanghai\n  address: "测试新闻社, 1 Example Road, Springfield"\n'));
    site.write('posts/europe-ai.md', seedArticle({ title: '欧洲的AI“千兆工厂”热潮', date: '2025-07-02T00:40:05+08:00', slug: 'europe-ai', summary: '欧盟委员会的AI“千兆工厂”计划收到了76份意向书。' }));
    site.write('posts/later.md', `---\ntitle: Later today\ndate: 2025-07-02T12:00:00+08:00\ntags: [herald]\n---\n\nScheduled.\n`);
    const add = await herald(['subscribers', 'add', 'ada@example.com', '--name', 'Ada Lovelace'], { cwd: site.dir, env: env(T0) });
    expect(add.code).toBe(0);
  });

  afterEach(async () => {
    await smtp.close();
  });

  const env = (now: string) => site.env(now, { DKIM_ED_KEY: pem(ed.privateKey) });

  it('signs every digest and each-article email so that independent verifiers accept it; headers and footer complete', async () => {
    expect((await herald(['dispatch'], { cwd: site.dir, env: env(T0) })).code).toBe(0);
    // The each-article channel sends at once (the article is within the lookback); the digest waits.
    const r = await herald(['dispatch'], { cwd: site.dir, env: env(DAY2) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/publicUrl/);
    const mails = await smtp.parsed();
    const kinds = mails.map((m) => header(m, 'feedback-id'));
    expect(kinds.sort()).toEqual(['alerts-each:herald:news.example.com', 'alerts-each:herald:news.example.com', 'news:digest:news.example.com']);
    for (const [i, m] of mails.entries()) {
      await expectSigned(smtp.messages[i]!.raw);
      const channel = header(m, 'feedback-id')?.startsWith('alerts') ? 'alerts' : 'news';
      expect(header(m, 'list-id')).toMatch(new RegExp(`<${channel}\\.news\\.example\\.com>$`));
      expect(header(m, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(m.html).toContain('测试新闻社, 1 Example Road, Springfield');
      expect(m.text).toContain('测试新闻社, 1 Example Road, Springfield');
      expect(m.html).not.toContain('height="auto"');
      expect(m.html).toContain('<meta name="color-scheme" content="light">');
    }
    const digest = mails.find((m) => header(m, 'feedback-id')?.startsWith('news'))!;
    expect(digest.subject).toContain('测试新闻');
  });

  it('refuses a key it cannot sign with: config error naming the key path, exit 2', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey;
    const cases: Array<[string, string, RegExp]> = [
      [`file:${path.join(keyDir, 'missing.pem')}`, 'email.dkim.0.privateKey', /cannot read the key file .*missing\.pem \(ENOENT\)/],
      [rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string, 'email.dkim.0.privateKey', /not a PEM private key/],
      [pem(small), 'email.dkim.0.privateKey', /768 bits.*1024/],
      [pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'email.dkim.0.privateKey', /is ec; DKIM signs with RSA .* or Ed25519/],
    ];
    for (const [key, where, message] of cases) {
      writeFileSync(path.join(keyDir, 'bad.pem'), key.startsWith('file:') ? '' : key);
      const value = key.startsWith('file:') ? key : `file:${path.join(keyDir, 'bad.pem')}`;
      const config = readFileSync(site.configFile, 'utf8').replace(/privateKey: "file:[^"]+"/, `privateKey: "${value}"`);
      writeFileSync(path.join(site.dir, 'bad.yaml'), config);
      // Every command stops the same way; dispatch is tried once, check for each kind of bad key.
      for (const cmd of key === cases[0]?.[0] ? [['check'], ['dispatch']] : [['check']]) {
        const r = await herald(['--config', 'bad.yaml', ...cmd], { cwd: site.dir, env: env(T0) });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`${where}: `);
        expect(r.stderr).toMatch(message);
        // Never the key itself.
        if (!key.startsWith('file:')) expect(r.stderr).not.toContain(key.split('\n')[1]);
      }
    }
    expect(smtp.messages).toHaveLength(0);
    // A key given inline in a channel is named by the channel's path.
    const inline = readFileSync(site.configFile, 'utf8').replace('    mode: each\n', '    mode: each\n    dkim: { domain: example.com, selector: x, privateKey: "not a key" }\n');
    writeFileSync(path.join(site.dir, 'inline.yaml'), inline);
    const r = await herald(['--config', 'inline.yaml', 'check'], { cwd: site.dir, env: env(T0) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('channels.alerts.dkim.privateKey: the value is not a PEM private key');
  });
});

describe('links readers could not use, missing address', () => {
  beforeEach(async () => {
    smtp = await startSmtpServer();
  });
  afterEach(async () => {
    await smtp.close();
  });

  it('herald check exits 1 for a loopback or http publicUrl while email sends for real; dispatch warns once naming the links', async () => {
    site = makeSite({ channels: `  news:\n    type: email\n    smtp: ${smtp.url}\n    from: news@example.com\n    mode: each\n` });
    site.write('posts/a.md', seedArticle({ title: 'A', date: '2025-07-02T00:40:05+08:00', slug: 'a' }));
    await herald(['subscribers', 'add', 'ada@example.com'], { cwd: site.dir, env: site.env(T0) });
    const ok = await herald(['check'], { cwd: site.dir, env: site.env(T0) });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('warning: site.address is not set: email from news has no postal address');
    expect(ok.stdout).toContain('warning: news: no DKIM key configured');

    for (const [url, why] of [
      ['http://localhost:8080/', /points at this machine \(loopback\).* and is not https/],
      ['http://news.example.com/herald/', /is not https/],
      ['https://127.0.0.1/herald/', /loopback/],
    ] as const) {
      writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace(/publicUrl: .*/, `publicUrl: ${url}`));
      const r = await herald(['check'], { cwd: site.dir, env: site.env(T0) });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(why);
      expect(r.stdout).toContain(`problem: server.publicUrl "${url}"`);
      expect(r.stdout).toContain('the unsubscribe links (footer and List-Unsubscribe header), the preferences links and the sign-up confirmation links in email from news would not work');
    }
    writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace(/ {2}publicUrl: .*\n/, ''));
    const unset = await herald(['check'], { cwd: site.dir, env: site.env(T0) });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toContain('problem: server.publicUrl (default http://localhost:0/) is not set');

    const d = await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) });
    expect(d.stderr.match(/server\.publicUrl .* would not work/g)).toHaveLength(1);
    expect(d.stderr).toContain('the unsubscribe links (footer and List-Unsubscribe header)');

    // Preview mode sends nothing real: nothing to report.
    writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace(/smtp: .*/, 'smtp: ""'));
    expect((await herald(['check'], { cwd: site.dir, env: site.env(T0) })).code).toBe(0);
  });
});

describe('the sign-up confirmation email', () => {
  it('is signed too (and carries List-Id, Feedback-ID and List-Unsubscribe)', async () => {
    writeKeys();
    const t = await startTestServer({
      channels: `  news:
    type: email
    smtp: {smtp}
    from: "测试新闻 <news@example.com>"
    dkim:
      - { domain: example.com, selector: herald-rsa, privateKey: "file:${path.join(keyDir, 'rsa.pem')}" }
      - { domain: example.com, selector: herald-ed, privateKey: "file:${path.join(keyDir, 'ed.pem')}" }
`,
    });
    try {
      const f = form({ email: 'new@example.com', name: 'New Reader' });
      const res = await t.app.inject({ method: 'POST', url: '/subscribe', payload: f.payload, headers: { ...f.headers, 'x-forwarded-for': '203.0.113.7' } });
      expect(res.statusCode).toBe(200);
      await t.smtp.waitForMessages(1);
      const raw = t.smtp.messages[0]!.raw;
      await expectSigned(raw);
      const [mail] = await t.smtp.parsed();
      expect(header(mail!, 'feedback-id')).toBe('news:confirm:news.example.com');
      expect(header(mail!, 'list-id')).toMatch(/<news\.news\.example\.com>$/);
      expect(header(mail!, 'list-unsubscribe')).toMatch(/^<https:\/\/news\.example\.com\/herald\/unsubscribe\//);
    } finally {
      await t.close();
    }
  });
});

/** The HTML part of a raw message exactly as it was sent (still encoded). */
function htmlPartAsSent(raw: Buffer): { bytes: number; encoding: string } {
  const s = raw.toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(s)?.[1] as string;
  const part = s.split(`--${boundary}`).find((p) => /Content-Type: text\/html/.test(p)) as string;
  const [head, ...body] = part.split('\r\n\r\n');
  return { bytes: Buffer.byteLength(body.join('\r\n\r\n'), 'latin1'), encoding: /Content-Transfer-Encoding: (\S+)/.exec(head ?? '')?.[1] ?? '' };
}

describe('clipping', () => {
  beforeEach(async () => {
    smtp = await startSmtpServer();
  });
  afterEach(async () => {
    await smtp.close();
  });

  it('a 20-article Chinese digest stays under email.maxBytes: its last articles move into the "more" line; preview shows the size against the limit', async () => {
    const channel = (maxBytes: string) => `  news:\n    type: email\n    smtp: ${smtp.url}\n    from: "测试新闻 <news@example.com>"\n    schedule: "0 8 * * *"\n    maxArticles: 20\n${maxBytes}`;
    site = makeSite({ channels: channel('') });
    const summary = '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书，远超预期，彰显了欧洲在AI基础设施建设方面的强烈决心。'.repeat(6);
    for (let i = 0; i < 20; i++) {
      site.write(`posts/a${i}.md`, seedArticle({ title: `欧洲的AI“千兆工厂”热潮 第${i}篇：算力基础设施竞赛中的主权宣言`, date: `2025-07-02T00:${String(10 + i).padStart(2, '0')}:05+08:00`, slug: `a${i}`, summary, image: `/img/cover ${i}.jpg` }));
    }
    await herald(['subscribers', 'add', 'ada@example.com', '--name', '林小明'], { cwd: site.dir, env: site.env(T0) });
    expect((await herald(['dispatch'], { cwd: site.dir, env: site.env(T0) })).code).toBe(0);

    const preview = await herald(['preview', '--digest', 'news'], { cwd: site.dir, env: site.env(DAY2) });
    expect(preview.code, preview.stderr).toBe(0);
    const moved = /digest: (\d+) article\(s\) in the body; (\d+) moved into the "more articles" line to stay under the limit/.exec(preview.stdout);
    expect(moved, preview.stdout).not.toBeNull();
    expect(Number(moved![1]) + Number(moved![2])).toBe(20);
    expect(preview.stdout).toMatch(/HTML part: \d+\.\d KB of 100\.0 KB \(email\.maxBytes\)\n/);
    expect(preview.stdout).not.toContain('OVER THE LIMIT');

    const r = await herald(['digest', 'news'], { cwd: site.dir, env: site.env(DAY2) });
    expect(r.code, r.stderr).toBe(0);
    const raw = smtp.messages[0]!.raw;
    const html = htmlPartAsSent(raw);
    expect(html.bytes).toBeLessThanOrEqual(100_000);
    const [mail] = await smtp.parsed();
    const kept = Number(moved![1]);
    expect(mail!.html).toContain(`测试新闻 上还有 ${20 - kept} 篇文章`);
    expect((String(mail!.html).match(/千兆工厂”热潮 第\d+篇/g) ?? []).length / 2).toBeGreaterThanOrEqual(kept);
    // The footer (unsubscribe link) is there: that is what clipping would hide.
    expect(mail!.html).toMatch(/href="https:\/\/news\.example\.com\/herald\/unsubscribe\/[^"]+"/);

    // The same digest with a larger limit is over 100 KB: the test data really needed the cut.
    writeFileSync(site.configFile, readFileSync(site.configFile, 'utf8').replace('    maxArticles: 20\n', '    maxArticles: 20\n    maxBytes: 1MB\n'));
    const big = await herald(['preview', '--digest', 'news'], { cwd: site.dir, env: site.env(DAY2) });
    const size = Number(/HTML part: (\d+\.\d) KB of 1000\.0 KB/.exec(big.stdout)?.[1]);
    expect(size, big.stdout).toBeGreaterThan(100);
  });
});

/**
 * `herald doctor` against real servers on loopback: DNS from dnsmasq with the records each
 * test writes (HERALD_DNS), SMTP servers with and without STARTTLS/AUTH and with a
 * certificate from a test CA (trusted through NODE_EXTRA_CA_CERTS), and Herald's own web
 * server behind an https proxy. A correct set-up passes; each broken piece gives its fail line.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimKeyFrom } from '../../src/channels/email/dkim-keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { dkimPublicRecord } from '../../src/render/email/dkim.ts';
import { buildServer } from '../../src/server/app.ts';
import { herald } from '../helpers/cli.ts';
import { startDnsServer, type DnsRecords, type TestDnsServer } from '../helpers/dns-server.ts';
import { type HttpsProxy, startHttpsProxy } from '../helpers/https-proxy.ts';
import { makeSite, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const CA = path.join(TLS_DIR, 'ca.pem');
const CERT = { key: readFileSync(path.join(TLS_DIR, 'server-key.pem')), cert: readFileSync(path.join(TLS_DIR, 'server.pem')) };
const NOW = '2025-07-02T09:00:00+08:00';
const USER = 'herald';
const PASS = 'pa55:w/rd';

const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string;
const keys = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ed: generateKeyPairSync('ed25519').privateKey,
  other: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const record = (domain: string, selector: string, key: KeyObject) => dkimPublicRecord(dkimKeyFrom(domain, selector, key));

let keyDir: string;
let smtp: TestSmtpServer;
let proxy: HttpsProxy;
let site: TestSite;
let web: { h: Herald; app: FastifyInstance };
const servers: Array<{ close(): Promise<void> }> = [];

/** DNS of a correctly set up example.test. */
function goodRecords(): DnsRecords {
  const rsa = record('example.test', 'herald', keys.rsa);
  const ed = record('example.test', 'herald-ed', keys.ed);
  return {
    zones: ['example.test'],
    txt: {
      'example.test': 'v=spf1 a:mail.example.test ~all',
      [rsa.name]: rsa.value,
      [ed.name]: ed.value,
      '_dmarc.example.test': 'v=DMARC1; p=quarantine; adkim=r; aspf=r',
    },
    mx: { 'example.test': 'mail.example.test' },
    a: { 'mail.example.test': '127.0.0.1', 'news.example.test': '127.0.0.1' },
  };
}

async function dnsWith(records: DnsRecords): Promise<TestDnsServer> {
  const d = await startDnsServer(records);
  servers.push(d);
  return d;
}

const emailChannel = (id: string, o: { from: string; smtp: string; dkim?: string; extra?: string }) =>
  `  ${id}:
    type: email
    smtp: "${o.smtp}"
    from: "${o.from}"
    schedule: "0 8 * * *"
${o.dkim ? `    dkim:\n${o.dkim}` : ''}${o.extra ?? ''}`;

const dkimList = (entries: Array<[string, string, string]>) => entries.map(([domain, selector, file]) => `      - { domain: ${domain}, selector: ${selector}, privateKey: "file:${path.join(keyDir, file)}" }\n`).join('');

function doctor(args: string[], dns: TestDnsServer, config = site.configFile) {
  return herald(['--config', config, 'doctor', ...args], { cwd: site.dir, env: site.env(NOW, { HERALD_DNS: dns.servers, NODE_EXTRA_CA_CERTS: CA }) });
}

const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));

beforeAll(async () => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'herald-doctor-keys-'));
  writeFileSync(path.join(keyDir, 'rsa.pem'), pem(keys.rsa));
  writeFileSync(path.join(keyDir, 'ed.pem'), pem(keys.ed));
  writeFileSync(path.join(keyDir, 'other.pem'), pem(keys.other));
  smtp = await startSmtpServer({ tls: 'starttls', auth: { user: USER, pass: PASS }, certificate: CERT });
  proxy = await startHttpsProxy(CERT);
  const smtpUrl = `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}@mail.example.test:${smtp.port}`;
  site = makeSite({ channels: emailChannel('news', { from: 'Example News <news@example.test>', smtp: smtpUrl, dkim: dkimList([['example.test', 'herald', 'rsa.pem'], ['example.test', 'herald-ed', 'ed.pem']]) }) });
  const yaml = readFileSync(site.configFile, 'utf8')
    .replace(/publicUrl: .*/, `publicUrl: https://news.example.test:${proxy.port}/herald/`)
    .replace('  timezone: Asia/Shanghai\n', '  timezone: Asia/Shanghai\n  address: "Example News, 1 Example Road, Springfield"\n');
  writeFileSync(site.configFile, yaml);
  site.write('posts/europe-ai.md', seedArticle({ title: '欧洲的AI“千兆工厂”热潮', date: '2025-07-02T00:40:05+08:00', slug: 'europe-ai', summary: '欧盟委员会收到了76份意向书。' }));
  expect((await herald(['subscribers', 'add', 'ada@example.com'], { cwd: site.dir, env: site.env(NOW) })).code).toBe(0);

  // Herald's web server, behind the https proxy (as behind nginx in production).
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: site.env(NOW) });
  const h = await createHerald(config, { log: pino({ level: 'silent' }), quiet: true });
  const app = await buildServer(h);
  await app.listen({ port: 0, host: '127.0.0.1' });
  proxy.target = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  web = { h, app };
}, 60_000);

afterAll(async () => {
  await web?.app.close();
  await web?.h.close();
  await proxy?.close();
  await smtp?.close();
  for (const s of servers) await s.close();
});

describe('herald doctor', () => {
  it('passes against a correctly set up DNS, SMTP server and web server, without sending or unsubscribing anything', async () => {
    const dns = await dnsWith(goodRecords());
    const r = await doctor([], dns);
    expect(failLines(r.stdout), r.stdout + r.stderr).toEqual([]);
    expect(r.stdout).not.toMatch(/^WARN/m);
    expect(r.code).toBe(0);
    for (const line of [
      /^PASS dns +news: SPF example\.test: "v=spf1 a:mail\.example\.test ~all" \(1 DNS lookup\)$/m,
      /^PASS dns +news: DKIM herald\._domainkey\.example\.test: matches the configured 2048-bit RSA key$/m,
      /^PASS dns +news: DKIM herald-ed\._domainkey\.example\.test: matches the configured Ed25519 key$/m,
      /^PASS dns +news: DMARC _dmarc\.example\.test: "v=DMARC1; p=quarantine; adkim=r; aspf=r"$/m,
      /^PASS dns +news: DKIM alignment with From @example\.test: d=example\.test$/m,
      /^PASS dns +news: MX example\.test: 10 mail\.example\.test$/m,
      /^PASS web +publicUrl https: https:\/\/news\.example\.test:\d+\/herald\/$/m,
      /^PASS web +one-click unsubscribe: POST https:\/\/news\.example\.test:\d+\/herald\/unsubscribe\/… answered 200 without a redirect$/m,
      /^PASS web +\/healthz: .* answered 200$/m,
      /^PASS smtp +news: connect mail\.example\.test:\d+: connected to 127\.0\.0\.1$/m,
      /^PASS smtp +news: TLS: STARTTLS, TLSv1\.[23]$/m,
      /^PASS smtp +news: certificate for mail\.example\.test: valid, issued by Herald Test CA/m,
      /^PASS smtp +news: AUTH: logged in as herald$/m,
      /^PASS sample +news: DKIM d=example\.test s=herald on the next digest: verifies against the published key$/m,
      /^PASS sample +news: DKIM d=example\.test s=herald-ed on the next digest: verifies against the published key$/m,
      /^PASS sample +news: List-Unsubscribe of the next digest: .* with List-Unsubscribe-Post \(one-click\)$/m,
      /^PASS sample +news: size of the next digest: .*HTML part \d+\.\d KB of 100\.0 KB/m,
    ]) {
      expect(r.stdout).toMatch(line);
    }
    expect(r.stdout).not.toContain(PASS);
    expect(r.stdout).toMatch(/^\d+ passed, 0 warning\(s\), 0 failed$/m);
    // The one-click check unsubscribed nobody, and the SMTP check sent nothing.
    expect((await web.h.store.subscribers()).map((s) => s.status)).toEqual(['active']);
    expect(smtp.messages).toHaveLength(0);

    const json = await doctor(['--json'], dns);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; channels: string[]; results: Array<{ status: string; area: string }> };
    expect(report).toMatchObject({ ok: true, channels: ['news'] });
    expect(new Set(report.results.map((x) => x.area))).toEqual(new Set(['config', 'dns', 'web', 'smtp', 'sample']));

    // --dns-records prints what the DNS above publishes for DKIM.
    const records = await doctor(['--dns-records'], dns);
    expect(records.code).toBe(0);
    const dkim = /^herald\._domainkey\.example\.test\.\tIN TXT\t(.+)$/m.exec(records.stdout)?.[1] ?? '';
    expect(dkim.replace(/" "/g, '').replace(/^"|"$/g, '')).toBe(record('example.test', 'herald', keys.rsa).value);
    expect(records.stdout).toMatch(/^herald-ed\._domainkey\.example\.test\.\tIN TXT\t"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/=]{44}"$/m);
    expect(records.stdout).toMatch(/^example\.test\.\tIN TXT\t"v=spf1 a:mail\.example\.test ~all"$/m);
    expect(records.stdout).toMatch(/^_dmarc\.example\.test\.\tIN TXT\t"v=DMARC1; p=none; adkim=r; aspf=r; rua=mailto:dmarc-reports@example\.test"$/m);
  }, 120_000);

  it('fails with a clear line for each broken DNS record, SMTP server and oversized email', async () => {
    const plain = await startSmtpServer();
    const selfSigned = await startSmtpServer({ tls: 'starttls' });
    const implicit = await startSmtpServer({ tls: 'implicit', auth: { user: USER, pass: PASS }, certificate: CERT });
    const closed = await startSmtpServer();
    await closed.close();
    servers.push(plain, selfSigned, implicit);
    const good = `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}@mail.example.test:${smtp.port}`;
    const includes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`i${i}.toomany.test`, 'v=spf1 ip4:192.0.2.1 ~all']));
    const g = goodRecords();
    const dns = await dnsWith({
      zones: ['example.test', 'nospf.test', 'plusall.test', 'toomany.test', 'keys.test', 'other.test'],
      txt: {
        ...g.txt,
        'plusall.test': 'v=spf1 +all',
        '_dmarc.plusall.test': 'v=DMARC1; p=none',
        'toomany.test': `v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:i${i}.toomany.test`).join(' ')} -all`,
        ...includes,
        'keys.test': 'v=spf1 -all',
        '_dmarc.keys.test': 'v=DMARC1; p=reject',
        // The "wrong" selector publishes another key than the one configured.
        'wrong._domainkey.keys.test': record('keys.test', 'wrong', keys.other).value,
        'herald._domainkey.other.test': record('other.test', 'herald', keys.rsa).value,
      },
      mx: { ...g.mx, 'plusall.test': 'mail.example.test', 'toomany.test': 'mail.example.test', 'keys.test': 'mail.example.test' },
      a: g.a,
    });
    const long = '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书。'.repeat(150);
    site.write('posts/long.md', seedArticle({ title: '很长的文章', date: '2025-07-02T00:50:05+08:00', slug: 'long', summary: long, topics: ['长文'] }));
    const channels = [
      emailChannel('nospf', { from: 'a@nospf.test', smtp: good }),
      emailChannel('plusall', { from: 'b@plusall.test', smtp: good }),
      emailChannel('toomany', { from: 'c@toomany.test', smtp: good }),
      emailChannel('dkimmissing', { from: 'd@keys.test', smtp: good, dkim: dkimList([['keys.test', 'missing', 'rsa.pem']]) }),
      emailChannel('dkimwrong', { from: 'e@keys.test', smtp: good, dkim: dkimList([['keys.test', 'wrong', 'rsa.pem']]) }),
      emailChannel('misaligned', { from: 'f@example.test', smtp: good, dkim: dkimList([['other.test', 'herald', 'rsa.pem']]) }),
      emailChannel('nostarttls', { from: 'news@example.test', smtp: `smtp://${USER}:x@127.0.0.1:${plain.port}` }),
      emailChannel('badcert', { from: 'news@example.test', smtp: `smtp://mail.example.test:${selfSigned.port}` }),
      emailChannel('badauth', { from: 'news@example.test', smtp: `smtp://${USER}:wrong@mail.example.test:${smtp.port}` }),
      emailChannel('down', { from: 'news@example.test', smtp: `smtp://mail.example.test:${closed.port}` }),
      emailChannel('toobig', { from: 'news@example.test', smtp: good, extra: '    topics: [长文]\n    maxBytes: 10KB\n' }),
      emailChannel('implicit', { from: 'news@example.test', smtp: `smtps://${USER}:${encodeURIComponent(PASS)}@mail.example.test:${implicit.port}` }),
    ].join('');
    const file = path.join(site.dir, 'broken.yaml');
    writeFileSync(file, readFileSync(site.configFile, 'utf8').replace(/\nchannels:\n[\s\S]*$/, `\nchannels:\n${channels}`));
    const r = await doctor([], dns, file);
    expect(r.code, r.stderr).toBe(1);
    const fails = failLines(r.stdout).join('\n');
    for (const line of [
      /^FAIL dns +nospf: SPF nospf\.test: no SPF record/m,
      /^FAIL dns +nospf: DMARC _dmarc\.nospf\.test: no DMARC record/m,
      /^FAIL dns +nospf: MX nospf\.test: no MX and no address record/m,
      /^FAIL dns +plusall: SPF plusall\.test: "v=spf1 \+all" ends with \+all: anyone may send as plusall\.test$/m,
      /^FAIL dns +toomany: SPF toomany\.test: .* needs 11 DNS lookups; receivers stop at 10/m,
      /^FAIL dns +dkimmissing: DKIM missing\._domainkey\.keys\.test: no DKIM key record$/m,
      /^FAIL dns +dkimwrong: DKIM wrong\._domainkey\.keys\.test: the published key does not match the configured private key/m,
      /^FAIL dns +misaligned: DKIM alignment with From @example\.test: d=other\.test does not align/m,
      /^FAIL smtp +nostarttls: TLS: STARTTLS is not offered/m,
      /^FAIL smtp +badcert: certificate for mail\.example\.test: /m,
      /^FAIL smtp +badauth: AUTH: login as herald rejected: 535/m,
      /^FAIL smtp +down: connect mail\.example\.test:\d+: .*ECONNREFUSED/m,
      /^FAIL sample +dkimmissing: DKIM d=keys\.test s=missing on the next digest: /m,
      /^FAIL sample +dkimwrong: DKIM d=keys\.test s=wrong on the next digest: fail/m,
      /^FAIL sample +toobig: size of the next digest: .*HTML part \d+\.\d KB, over 10\.0 KB: Gmail clips it/m,
    ]) {
      expect(fails, r.stdout).toMatch(line);
    }
    // smtps:// with a valid certificate passes.
    expect(r.stdout).toMatch(/^PASS smtp +implicit: connect mail\.example\.test:\d+: connected to 127\.0\.0\.1 with TLS \(smtps\)$/m);
    expect(r.stdout).toMatch(/^PASS smtp +implicit: TLS: implicit TLS, TLSv1\.[23]$/m);
    expect(r.stdout).toMatch(/^PASS smtp +implicit: certificate for mail\.example\.test: valid/m);
    expect(r.stdout).toMatch(/^PASS smtp +implicit: AUTH: logged in as herald$/m);
    expect(r.stdout).toMatch(/^WARN dns +plusall: DMARC _dmarc\.plusall\.test: "v=DMARC1; p=none": p=none only monitors$/m);
    // Every fail line says what to do.
    const lines = r.stdout.split('\n');
    lines.forEach((l, i) => {
      if (l.startsWith('FAIL')) expect(lines[i + 1], l).toMatch(/^ {12}fix: \S/);
    });
    // No password in the report.
    expect(r.stdout).not.toContain(PASS);
    expect(r.stdout).not.toContain(':wrong@');
  }, 180_000);

  it('with bounces.returnPath, checks SPF and MX of the return path domain (the envelope sender receivers check)', async () => {
    const g = goodRecords();
    const dns = await dnsWith({ ...g, zones: [...g.zones, 'bounce.example.test'], mx: { ...g.mx, 'bounce.example.test': 'mail.example.test' } });
    const file = path.join(site.dir, 'return-path.yaml');
    writeFileSync(file, readFileSync(site.configFile, 'utf8').replace(/\nchannels:\n/, '\nbounces:\n  returnPath: bounces@bounce.example.test\nchannels:\n'));
    const r = await doctor(['--channel', 'news'], dns, file);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([expect.stringMatching(/^FAIL dns +news: SPF bounce\.example\.test: no SPF record/)]);
    expect(r.stdout).toMatch(/^PASS dns +news: MX bounce\.example\.test: 10 mail\.example\.test$/m);
    expect(r.stdout).toMatch(/^PASS dns +news: SPF example\.test: /m);
  }, 120_000);

  it('fails when the web side is wrong: a redirecting one-click, an unhealthy server, plain http, nothing listening', async () => {
    const dns = await dnsWith(goodRecords());
    proxy.override = (req) =>
      req.method === 'POST' ? { status: 301, location: 'https://news.example.test/herald/unsubscribe/' } : req.url?.endsWith('/healthz') ? { status: 503 } : undefined;
    try {
      const r = await doctor(['--channel', 'news'], dns);
      expect(r.code).toBe(1);
      expect(failLines(r.stdout).join('\n')).toMatch(/^FAIL web +one-click unsubscribe: POST answered 301 redirecting to https:\/\/news\.example\.test\/herald\/unsubscribe\/; mail clients do not follow redirects/m);
      expect(failLines(r.stdout).join('\n')).toMatch(/^FAIL web +\/healthz: .* answered 503 \(Herald cannot reach its store\)$/m);
    } finally {
      proxy.override = undefined;
    }

    const closed = await startSmtpServer();
    await closed.close();
    const file = path.join(site.dir, 'http.yaml');
    writeFileSync(file, readFileSync(site.configFile, 'utf8').replace(/publicUrl: .*/, `publicUrl: http://news.example.test:${closed.port}/herald/`));
    const r = await doctor(['--channel', 'news'], dns, file);
    expect(r.code).toBe(1);
    const fails = failLines(r.stdout).join('\n');
    expect(fails).toMatch(/^FAIL web +publicUrl https: http:\/\/news\.example\.test:\d+\/herald\/ is not https/m);
    expect(fails).toMatch(/^FAIL web +one-click unsubscribe: POST http:\/\/news\.example\.test:\d+: .*ECONNREFUSED/m);
    expect(fails).toMatch(/^FAIL sample +news: List-Unsubscribe of the next digest: .* without List-Unsubscribe-Post/m);

    const loop = path.join(site.dir, 'loop.yaml');
    writeFileSync(loop, readFileSync(site.configFile, 'utf8').replace(/publicUrl: .*/, 'publicUrl: https://localhost/herald/'));
    const l = await doctor(['--channel', 'news'], dns, loop);
    expect(failLines(l.stdout).join('\n')).toMatch(/^FAIL web +publicUrl reachable: localhost is this machine \(loopback\)/m);
    expect((await doctor(['--channel', 'nope'], dns)).code).toBe(2);
    const badDns = await herald(['doctor'], { cwd: site.dir, env: site.env(NOW, { HERALD_DNS: 'not an address' }) });
    expect(badDns.code).toBe(2);
    expect(badDns.stderr).toContain('HERALD_DNS: expected addresses like 127.0.0.1:5353');
  }, 120_000);

  it('shows the same report on the dashboard', async () => {
    const dns = await dnsWith(goodRecords());
    const config = loadConfig({ file: site.configFile, cwd: site.dir, env: site.env(NOW, { HERALD_DNS: dns.servers, HERALD_ADMIN_USER: 'editor', HERALD_ADMIN_PASSWORD: 'correct-horse-battery-staple-42' }) });
    const h = await createHerald(config, { log: pino({ level: 'silent' }), quiet: true });
    const app = await buildServer(h);
    try {
      const login = await app.inject({ method: 'GET', url: '/admin/login' });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)?.[1] ?? '';
      const cookies = [login.headers['set-cookie']].flat().filter(Boolean).map((c) => String(c).split(';')[0]).join('; ');
      const res = await app.inject({
        method: 'POST',
        url: '/admin/login',
        payload: new URLSearchParams({ user: 'editor', password: 'correct-horse-battery-staple-42', _csrf: csrf }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
      });
      const session = [res.headers['set-cookie']].flat().filter(Boolean).map((c) => String(c).split(';')[0]).join('; ');
      const page = await app.inject({ method: 'GET', url: '/admin/doctor', headers: { cookie: `${cookies}; ${session}` } });
      expect(page.statusCode, page.body.slice(0, 500)).toBe(200);
      expect(page.body).toContain('<h1>体检</h1>');
      expect(page.body).toMatch(/<tr class="doctor-pass"><td><strong>PASS<\/strong><\/td><td>dns<\/td><td>news: SPF example\.test<\/td>/);
      expect(page.body).toContain('news: DKIM herald._domainkey.example.test');
      expect(page.body).toMatch(/通过 \d+ 项，警告 \d+ 项，失败 \d+ 项/);
      expect(page.body).toContain('herald-ed._domainkey.example.test.\tIN TXT');
      expect(page.body).not.toContain(PASS);
    } finally {
      await app.close();
      await h.close();
    }
  }, 60_000);
});

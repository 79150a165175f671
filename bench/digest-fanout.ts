/**
 * npm run bench:fanout [-- --subscribers 20000 --connections 8 --articles 12]
 * (`npm run bench` runs the whole-command part of it with every other target: bench/run.ts)
 * npm run bench -- --store postgres://… [--plan 1000000] [--only one,two,plan] [--engines sqlite,postgres]:
 * SQLite and PostgreSQL compared (bench/store-compare.ts)
 *
 * Fans one digest out to N subscribers into a local SMTP sink on loopback (Postfix's
 * smtp-sink when installed, else a minimal sink of ours), with DKIM off and on (RSA-2048):
 *
 * 1. Whole command: the wall time of `herald digest <channel>` as a user runs it (start-up,
 *    planning, rendering, signing, sending), next to Postfix's `smtp-source` sending the same
 *    message (signed, for DKIM on) the same number of times over as many sessions, same run.
 * 2. Send loop: Herald's send path in this process (claims, prepared MIME, signing, pooled
 *    SMTP) after planning, in emails per second, with peak memory.
 * 3. Signing: what one signature costs per message (build signed vs unsigned), signatures per
 *    second per key type, and the DKIM signers of nodemailer and mailauth on the same message.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import NodemailerDkim from 'nodemailer/lib/dkim/index.js';
import { dkimKeyFrom } from '../src/channels/email/dkim-keys.ts';
import type { EmailChannelConfig } from '../src/channels/email/email-config.ts';
import { loadConfig } from '../src/config/load.ts';
import { runPass } from '../src/pipeline/dispatch.ts';
import { createHerald } from '../src/pipeline/herald.ts';
import { renderEmailBody } from '../src/pipeline/payloads/email-kind.ts';
import type { RecipientParts } from '../src/render/email/prepared-message.ts';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { createLogger } from '../src/util/logger.ts';
import { startMinimalSink } from './minimal-sink.ts';

const { values } = parseArgs({
  strict: false,
  options: {
    subscribers: { type: 'string', default: '20000' },
    // Unset: Herald's default pool (what a user gets) and smtp-source -s 10.
    connections: { type: 'string' },
    articles: { type: 'string', default: '12' },
    store: { type: 'string' },
    plan: { type: 'string', default: '1000000' },
    // With --store: which parts (one,two,plan) and which engines (sqlite,postgres); all by default.
    only: { type: 'string', default: 'one,two,plan' },
    engines: { type: 'string', default: 'sqlite,postgres' },
  },
});
export const N = Number(values.subscribers);
const CONNECTIONS: number | undefined = values.connections === undefined ? undefined : Number(values.connections);
/** smtp-source's sessions: as many as Herald's pool when one is given, else 10 (the issue's reference). */
const SOURCE_SESSIONS = CONNECTIONS ?? 10;
const ARTICLES = Number(values.articles);
const SMTP_SINK = '/usr/sbin/smtp-sink';
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const BIN = fileURLToPath(new URL('../bin/herald', import.meta.url));
const T0 = '2025-07-02T01:00:00+08:00';
const DAY2 = '2025-07-03T08:00:30+08:00';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export async function startSink(): Promise<{ port: number; kind: string; close: () => Promise<void> }> {
  if (existsSync(SMTP_SINK)) {
    const port = await freePort();
    const args = ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'];
    const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    // Wait until it accepts connections.
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { port, kind: 'postfix smtp-sink', close: async () => void child.kill('SIGTERM') };
  }
  const sink = await startMinimalSink();
  return { port: sink.port, kind: "Herald's minimal sink (install Debian's postfix for smtp-sink)", close: sink.close };
}

function articleText(i: number): string {
  const zh = i % 2 === 0;
  return `---
title: ${JSON.stringify(zh ? `欧洲的AI“千兆工厂”热潮 第${i}篇：算力基础设施竞赛中的主权宣言` : `Article ${i}: what changed in the compute race this week`)}
date: 2025-07-02T00:${String(10 + i).padStart(2, '0')}:05+08:00
featured_image: "/newsimages/selected_image_YYYY-07-Jul 2, 2025_00-32-31-${i}.jpg"
summary: ${JSON.stringify(zh ? '欧盟委员会的AI“千兆工厂”计划收到了来自16个成员国60个站点的76份意向书，远超预期，彰显了欧洲在AI基础设施建设方面的强烈决心。这些工厂将提供大规模计算和数据存储能力。' : 'The European Commission received 76 expressions of interest from 16 member states for AI gigafactories, far more than expected, showing how seriously Europe takes compute.')}
tags: [AI千兆工厂, 欧洲AI战略, 算力基础设施]
main_topics: [算力与芯片, 安全与地缘政治]
---

Body ${i}.
`;
}

export interface Setup {
  dir: string;
  sinkPort: number;
  config: (dkim: boolean) => string;
  /** A fresh copy of the seeded store (subscribers in, first run done, digest due at DAY2). */
  resetStore: () => void;
}

export async function setUp(sinkPort: number): Promise<Setup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  mkdirSync(path.join(dir, 'content'));
  for (let i = 0; i < ARTICLES; i++) writeFileSync(path.join(dir, 'content', `a${i}.md`), articleText(i));
  writeFileSync(path.join(dir, 'dkim.pem'), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const yaml = (dkim: boolean) => `site: { title: 基准测试新闻, url: "https://news.example.com/", language: zh-CN, timezone: Asia/Shanghai, address: "1 Example Road" }
content: { dir: content }
store: { url: "sqlite:data/herald.db" }
server: { publicUrl: "https://news.example.com/herald/" }
${dkim ? 'email: { dkim: { domain: example.com, selector: herald, privateKey: "file:dkim.pem" } }' : ''}
channels:
  news:
    type: email
    smtp: "smtp://127.0.0.1:${sinkPort}"
    from: "基准测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
    maxArticles: ${ARTICLES}
${CONNECTIONS === undefined ? '' : `    pool: { maxConnections: ${CONNECTIONS} }\n`}`;
  writeFileSync(path.join(dir, 'herald.yaml'), yaml(false));
  writeFileSync(path.join(dir, 'herald-dkim.yaml'), yaml(true));

  // Seed once: subscribers straight into the store, then the first pass (nothing sent yet).
  const config = loadConfig({ file: path.join(dir, 'herald.yaml'), env: benchEnv() });
  const h = await createHerald(config, { log: createLogger({ level: 'warn', pretty: false }), now: () => new Date(T0) });
  const store = h.store as SqliteStore;
  const insert = store.db.prepare(
    "INSERT INTO subscribers (public_id, email, email_key, name, topics, status, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', 'active', ?, ?)",
  );
  const t = new Date(T0).toISOString();
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) insert.run(`p${i.toString(36)}x${i}`, `reader${i}@example.com`, `reader${i}@example.com`, `读者 ${i}`, t, t);
  })();
  await runPass(h);
  await h.close();
  const db = path.join(dir, 'data/herald.db');
  copyFileSync(db, path.join(dir, 'seeded.db'));
  return {
    dir,
    sinkPort,
    config: (dkim) => path.join(dir, dkim ? 'herald-dkim.yaml' : 'herald.yaml'),
    resetStore() {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      copyFileSync(path.join(dir, 'seeded.db'), db);
    },
  };
}

function benchEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, HERALD_SECRET: 'bench-secret', HERALD_LOG_LEVEL: 'warn', ...extra };
}

const sampleRecipient: RecipientParts = {
  to: { address: 'reader0@example.com', name: '读者 0' },
  messageId: '<bench@news.example.com>',
  unsubscribeUrl: 'https://news.example.com/herald/unsubscribe/cDB4MA.abcdefghijklmnopqrstuvwx',
  preferencesUrl: 'https://news.example.com/herald/preferences/cDB4MA.abcdefghijklmnopqrstuvwx',
};

/** The digest body Herald sends, with DKIM off or on, and a sample message. */
export async function sampleBody(s: Setup, dkim: boolean) {
  const config = loadConfig({ file: s.config(dkim), env: benchEnv() });
  const h = await createHerald(config, { log: createLogger({ level: 'warn', pretty: false }), now: () => new Date(DAY2) });
  try {
    const articles = (await h.store.listArticles()).map((a) => a.article).sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
    const c = config.channels[0] as EmailChannelConfig;
    const started = performance.now();
    const body = await renderEmailBody(h, c, { kind: 'digest', articles, date: new Date(DAY2) });
    const renderMs = performance.now() - started;
    return { body, renderMs, sample: await body.prepared.build(sampleRecipient), keys: c.dkimKeys ?? [] };
  } finally {
    await h.close();
  }
}

/** Send loop only: plan first (not timed), then time the sending of every planned email. */
async function sendLoop(s: Setup, dkim: boolean): Promise<{ sent: number; failed: number; seconds: number; peakRss: number; notes: string[] }> {
  s.resetStore();
  const config = loadConfig({ file: s.config(dkim), env: benchEnv() });
  const h = await createHerald(config, { log: createLogger({ level: 'warn', pretty: false }), now: () => new Date(DAY2) });
  try {
    await runPass(h, { planOnly: true });
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    const result = await runPass(h);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    return {
      sent: result.runs.reduce((n, r) => n + r.sent, 0),
      failed: result.runs.reduce((n, r) => n + r.failed + r.deferred, 0),
      seconds,
      peakRss: Math.max(peakRss, process.memoryUsage().rss),
      notes: [...result.errors, ...result.runs.flatMap((r) => r.messages)].slice(0, 5),
    };
  } finally {
    await h.close();
  }
}

/** `herald digest news` as a user runs it: a child process, start-up included. */
export async function wholeCommand(s: Setup, dkim: boolean, extraEnv: Record<string, string> = {}): Promise<{ seconds: number; code: number | null; stdout: string; stderr: string }> {
  s.resetStore();
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'digest', 'news'], {
    cwd: s.dir,
    env: benchEnv({ HERALD_CONFIG: s.config(dkim), HERALD_NOW: DAY2, ...extraEnv }) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { seconds: (performance.now() - started) / 1000, code, stdout, stderr };
}

/** Postfix's smtp-source sending `message` N times over CONNECTIONS sessions: the raw reference. */
export function smtpSource(s: Setup, message: Buffer, label: string): number | string {
  if (!existsSync(SMTP_SOURCE)) return 'not installed (Debian package postfix)';
  const file = path.join(s.dir, `${label}.eml`);
  // smtp-source appends CRLF to each line itself.
  writeFileSync(file, message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  const started = performance.now();
  const r = spawnSync(
    SMTP_SOURCE,
    ['-s', String(SOURCE_SESSIONS), '-m', String(N), '-f', 'news@example.com', '-t', 'reader@example.com', '-F', file, `127.0.0.1:${s.sinkPort}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const seconds = (performance.now() - started) / 1000;
  return r.status === 0 ? seconds : `failed: ${r.stderr.toString().trim()}`;
}

async function timeBuilds(build: (i: number) => Promise<unknown>, count: number): Promise<number> {
  for (let i = 0; i < 50; i++) await build(i); // warm up
  const started = performance.now();
  for (let i = 0; i < count; i++) await build(i);
  return ((performance.now() - started) * 1000) / count;
}

const recipient = (i: number): RecipientParts => ({
  ...sampleRecipient,
  to: { address: `reader${i}@example.com`, name: `读者 ${i}` },
  messageId: `<bench.${i}@news.example.com>`,
  unsubscribeUrl: `${sampleRecipient.unsubscribeUrl}${i}`,
});

async function signing(s: Setup) {
  const off = await sampleBody(s, false);
  const on = await sampleBody(s, true);
  const count = 2000;
  const unsignedUs = await timeBuilds((i) => off.body.prepared.build(recipient(i)), count);
  const signedUs = await timeBuilds((i) => on.body.prepared.build(recipient(i)), count);

  // Throughput as in the send loop: many builds in flight, signatures in the thread pool.
  const inFlight = async (build: (i: number) => Promise<unknown>, total: number, parallel = 32) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < total) await build(next++);
    }));
    return total / ((performance.now() - started) / 1000);
  };
  const signedPerSecond = await inFlight((i) => on.body.prepared.build(recipient(i)), count * 2);
  const unsignedPerSecond = await inFlight((i) => off.body.prepared.build(recipient(i)), count * 2);

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;
  const perSecond = (fn: () => void) => {
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < 1000) {
      fn();
      n++;
    }
    return n / ((performance.now() - started) / 1000);
  };
  const data = Buffer.alloc(700, 'x');
  const rsaPerSecond = perSecond(() => cryptoSign('sha256', data, rsa));
  const edPerSecond = perSecond(() => cryptoSign(null, data, ed));

  // The same message signed by the libraries' DKIM signers, per message.
  const unsigned = off.sample;
  const pem = rsa.export({ type: 'pkcs8', format: 'pem' }) as string;
  const libCount = 300;
  const nodemailerUs = await timeBuilds(async () => {
    const signer = new NodemailerDkim({ domainName: 'example.com', keySelector: 'herald', privateKey: pem, headerFieldNames: 'From:To:Subject:Date:Message-ID:List-Unsubscribe' });
    let head = '';
    for await (const chunk of signer.sign(Readable.from([unsigned]))) if (head.length < 20) head += chunk.toString();
    if (!head.startsWith('DKIM-Signature:')) throw new Error('nodemailer did not sign');
  }, libCount);
  // mailauth's typings put the key at the top level, but it signs only with signatureData.
  const mailauthOptions = { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: 'example.com', selector: 'herald', privateKey: pem }] } as never;
  const mailauthUs = await timeBuilds(async () => {
    const r = await dkimSign(unsigned, mailauthOptions);
    if (!r.signatures.startsWith('DKIM-Signature:')) throw new Error(`mailauth did not sign: ${JSON.stringify(r.errors)}`);
  }, libCount);
  const own = dkimKeyFrom('example.com', 'herald', rsa);
  return { off, on, unsignedUs, signedUs, signedPerSecond, unsignedPerSecond, rsaPerSecond, edPerSecond, nodemailerUs, mailauthUs, ownKey: own.algorithm };
}

async function main() {
  const sink = await startSink();
  if (values.store) {
    try {
      const { compareStores } = await import('./store-compare.ts');
      await compareStores(String(values.store), { subscribers: N, plan: Number(values.plan), connections: CONNECTIONS ?? 8, articles: ARTICLES, sinkPort: sink.port, sinkKind: sink.kind, parts: String(values.only).split(','), engines: String(values.engines).split(',') });
    } finally {
      await sink.close();
    }
    return;
  }
  const s = await setUp(sink.port);
  try {
    console.log(`Herald digest fan-out benchmark (${N} subscribers, ${ARTICLES} articles, ${CONNECTIONS ?? 'default'} SMTP connections, DKIM RSA-2048)`);
    console.log(`  sink:                 ${sink.kind} on 127.0.0.1:${sink.port}`);

    const sig = await signing(s);
    const size = (b: Buffer) => `${(b.length / 1024).toFixed(1)} KB`;
    console.log(`  message size:         ${size(sig.off.sample)} unsigned, ${size(sig.on.sample)} signed (HTML part ${sig.off.body.prepared.parts.html.encoding}, text part ${sig.off.body.prepared.parts.text.encoding})`);
    console.log(`  render one digest:    ${sig.off.renderMs.toFixed(0)} ms (Liquid + MJML + minify + MIME prepare, once per distinct body)`);

    console.log('\n  Signing (one thread)');
    console.log(`    one build at a time: ${sig.unsignedUs.toFixed(0)} µs unsigned, ${sig.signedUs.toFixed(0)} µs signed: DKIM adds ${(sig.signedUs - sig.unsignedUs).toFixed(0)} µs per message (latency)`);
    console.log(`    32 builds in flight: ${sig.unsignedPerSecond.toFixed(0)} messages/s unsigned, ${sig.signedPerSecond.toFixed(0)} signed (RSA in the thread pool)`);
    console.log(`    RSA-2048 sign:      ${sig.rsaPerSecond.toFixed(0)} signatures/s;  Ed25519: ${sig.edPerSecond.toFixed(0)} signatures/s`);
    console.log(`    libraries, same message: nodemailer DKIM ${sig.nodemailerUs.toFixed(0)} µs, mailauth dkimSign ${sig.mailauthUs.toFixed(0)} µs per message (Herald's: ${(sig.signedUs - sig.unsignedUs).toFixed(0)} µs on top of the build)`);

    console.log('\n  Send loop (in process, after planning)');
    const loops: Record<string, number> = {};
    for (const dkim of [false, true]) {
      const r = await sendLoop(s, dkim);
      loops[String(dkim)] = r.sent / r.seconds;
      console.log(`    DKIM ${dkim ? 'on: ' : 'off:'}           ${r.sent} sent${r.failed ? `, ${r.failed} not sent` : ''} in ${r.seconds.toFixed(2)} s = ${(r.sent / r.seconds).toFixed(0)} emails/s, peak RSS ${(r.peakRss / 1024 / 1024).toFixed(0)} MB`);
      for (const n of r.notes) console.log(`      note: ${n}`);
    }
    console.log(`    DKIM on / off:      ${((loops.true as number) / (loops.false as number) * 100).toFixed(0)}%`);

    console.log(`\n  Whole command: \`herald digest news\` (start-up, planning, sending) vs smtp-source, same sink, same message size`);
    for (const dkim of [false, true]) {
      const cmd = await wholeCommand(s, dkim);
      const sent = Number(/(\d+) sent/.exec(cmd.stdout)?.[1] ?? 0);
      const raw = smtpSource(s, dkim ? sig.on.sample : sig.off.sample, dkim ? 'signed' : 'unsigned');
      const label = `DKIM ${dkim ? 'on: ' : 'off:'}`;
      if (cmd.code !== 0) console.log(`    ${label} herald digest exited ${cmd.code}: ${cmd.stderr.trim().slice(0, 400)}`);
      console.log(`    ${label}           herald digest ${cmd.seconds.toFixed(2)} s for ${sent} emails (${(sent / cmd.seconds).toFixed(0)} emails/s)`);
      if (typeof raw === 'number') {
        console.log(`                        smtp-source  ${raw.toFixed(2)} s for ${N} messages (${(N / raw).toFixed(0)} messages/s, ${SOURCE_SESSIONS} sessions)`);
        console.log(`                        Herald / raw: ${((raw / cmd.seconds) * 100).toFixed(0)}%`);
      } else console.log(`                        smtp-source: ${raw}`);
    }
  } finally {
    await sink.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

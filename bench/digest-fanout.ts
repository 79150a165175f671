/**
 * npm run bench [-- --subscribers 20000 --connections 8]
 *
 * Fans one digest out to N subscribers through Herald's real send path (store, claims,
 * prepared MIME bodies, pooled nodemailer SMTP) into a local SMTP sink on loopback, and
 * prints emails per second, peak memory and the MJML compile time. With Postfix's
 * smtp-source installed, also sends the same message the same number of times raw and
 * prints Herald's rate as a ratio of that.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EmailChannelConfig } from '../src/channels/email/email-config.ts';
import { loadConfig } from '../src/config/load.ts';
import { runPass } from '../src/pipeline/dispatch.ts';
import { createHerald } from '../src/pipeline/herald.ts';
import { renderEmailBody } from '../src/pipeline/payloads/email-kind.ts';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { createLogger } from '../src/util/logger.ts';
import { startMinimalSink } from './minimal-sink.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '8' },
    articles: { type: 'string', default: '12' },
  },
});
const N = Number(values.subscribers);
const CONNECTIONS = Number(values.connections);
const SMTP_SINK = '/usr/sbin/smtp-sink';
const SMTP_SOURCE = '/usr/sbin/smtp-source';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function startSink(): Promise<{ port: number; kind: string; close: () => Promise<void> }> {
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

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const sink = await startSink();
  mkdirSync(path.join(dir, 'content'));
  const articles = Number(values.articles);
  for (let i = 0; i < articles; i++) writeFileSync(path.join(dir, 'content', `a${i}.md`), articleText(i));
  writeFileSync(
    path.join(dir, 'herald.yaml'),
    `site: { title: 基准测试新闻, url: "https://news.example.com/", language: zh-CN, timezone: Asia/Shanghai }
content: { dir: content }
store: { url: "sqlite:data/herald.db" }
server: { publicUrl: "https://news.example.com/herald/" }
channels:
  news:
    type: email
    smtp: "smtp://127.0.0.1:${sink.port}"
    from: "基准测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
    maxArticles: ${articles}
    pool: { maxConnections: ${CONNECTIONS} }
`,
  );
  const env = { ...process.env, HERALD_SECRET: 'bench-secret' };
  const config = loadConfig({ file: path.join(dir, 'herald.yaml'), env });
  const log = createLogger({ level: 'warn', pretty: false });
  let clock = Date.parse('2025-07-02T01:00:00+08:00');
  const h = await createHerald(config, { log, now: () => new Date(clock) });
  const store = h.store as SqliteStore;

  // Subscribers, straight into the store in one transaction.
  const insert = store.db.prepare(
    "INSERT INTO subscribers (public_id, email, email_key, name, topics, status, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', 'active', ?, ?)",
  );
  const t = new Date(clock).toISOString();
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) insert.run(`p${i.toString(36)}x${i}`, `reader${i}@example.com`, `reader${i}@example.com`, `读者 ${i}`, t, t);
  })();

  await runPass(h); // first contact: articles wait for the first scheduled digest

  // MJML compile time for this digest (what one distinct body costs).
  const scanned = (await h.store.listArticles()).map((s) => s.article).sort((a, b) => b.publishedAt.localeCompare(a.publishedAt));
  const c = config.channels[0] as EmailChannelConfig;
  const compileStart = performance.now();
  const body = await renderEmailBody(h, c, { kind: 'digest', articles: scanned, date: new Date(clock) });
  const compileMs = performance.now() - compileStart;
  const sample = await body.prepared.build({
    to: { address: 'reader0@example.com', name: '读者 0' },
    messageId: '<bench@news.example.com>',
    unsubscribeUrl: 'https://news.example.com/herald/unsubscribe/token',
  });

  // The timed part: plan the digest, fan out, send everything.
  clock = Date.parse('2025-07-03T08:00:30+08:00');
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const result = await runPass(h);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const sent = result.runs.reduce((n, r) => n + r.sent, 0);
  const failed = result.runs.reduce((n, r) => n + r.failed + r.deferred, 0);
  for (const m of [...result.errors, ...result.runs.flatMap((r) => r.messages)].slice(0, 5)) console.log(`  note: ${m}`);
  await h.close();

  const rate = sent / seconds;
  console.log(`Herald digest fan-out benchmark (${N} subscribers, ${articles} articles, ${CONNECTIONS} SMTP connections)`);
  console.log(`  sink:               ${sink.kind} on 127.0.0.1:${sink.port}`);
  console.log(`  message size:       ${(sample.length / 1024).toFixed(1)} KB (HTML ${(Buffer.byteLength(body.html) / 1024).toFixed(1)} KB)`);
  console.log(`  MJML compile:       ${compileMs.toFixed(0)} ms for one digest body (render + compile + MIME prepare)`);
  console.log(`  sent:               ${sent} emails${failed ? `, ${failed} not sent` : ''} in ${seconds.toFixed(2)} s (plan + send)`);
  console.log(`  rate:               ${rate.toFixed(0)} emails/s`);
  console.log(`  peak memory (RSS):  ${(peakRss / 1024 / 1024).toFixed(0)} MB`);

  if (existsSync(SMTP_SOURCE)) {
    const file = path.join(dir, 'message.eml');
    // smtp-source appends CRLF to each line itself.
    writeFileSync(file, sample.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const rawStart = performance.now();
    const r = spawnSync(
      SMTP_SOURCE,
      ['-s', String(CONNECTIONS), '-m', String(N), '-f', 'news@example.com', '-t', 'reader@example.com', '-F', file, `127.0.0.1:${sink.port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const rawSeconds = (performance.now() - rawStart) / 1000;
    if (r.status === 0) {
      const raw = N / rawSeconds;
      console.log(`  raw smtp-source:    ${raw.toFixed(0)} messages/s (same message, ${N} times, ${CONNECTIONS} sessions)`);
      console.log(`  Herald / raw:       ${((rate / raw) * 100).toFixed(0)}%`);
    } else console.log(`  raw smtp-source failed: ${r.stderr.toString().trim()}`);
  } else console.log('  raw smtp-source:    not installed (Debian package postfix) — no ratio');

  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();

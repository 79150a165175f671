/**
 * npm run bench -- --store postgres://user@host:port/database [--subscribers 20000] [--plan 1000000]
 *
 * SQLite (the reference) and PostgreSQL side by side, same run, same sink, same site:
 *
 * 1. One sending process: the wall time of `herald digest news` as a user runs it.
 * 2. Two sending processes: a `herald worker` started first, then `herald digest news`; the
 *    time until every email of the digest is sent.
 * 3. Planning: making one digest for `--plan` subscribers (1,000,000 by default), i.e. writing
 *    that many deliveries, in one process (start-up not included: it is the store's part).
 *
 * PostgreSQL work happens in a schema of its own, made for the run and dropped after it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConfig } from '../src/config/load.ts';
import { runPass } from '../src/pipeline/dispatch.ts';
import { createHerald } from '../src/pipeline/herald.ts';
import { openStoreUrl } from '../src/store/open.ts';
import type { PostgresStore } from '../src/store/postgres/pg-store.ts';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { createLogger } from '../src/util/logger.ts';

const BIN = fileURLToPath(new URL('../bin/herald', import.meta.url));
const T0 = '2025-07-02T01:00:00+08:00';
const DAY2 = '2025-07-03T08:00:30+08:00';
const log = createLogger({ level: 'warn', pretty: false });

interface Engine {
  name: 'SQLite' | 'PostgreSQL';
  url: string;
  /** Empty store with `n` active subscribers, first pass done (the digest is due at DAY2). */
  seed(n: number): Promise<void>;
}

function siteDir(articles: number, sinkPort: number, connections: number): { dir: string; config: (url: string) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-store-'));
  mkdirSync(path.join(dir, 'content'));
  for (let i = 0; i < articles; i++) {
    writeFileSync(
      path.join(dir, 'content', `a${i}.md`),
      `---\ntitle: "第${i}篇：算力基础设施竞赛"\ndate: 2025-07-02T00:${String(10 + i).padStart(2, '0')}:05+08:00\nsummary: "欧盟委员会的AI千兆工厂计划收到了76份意向书。"\ntags: [AI]\n---\n\nBody ${i}.\n`,
    );
  }
  return {
    dir,
    config(url) {
      const file = path.join(dir, `herald-${url.startsWith('sqlite') ? 'sqlite' : 'pg'}.yaml`);
      writeFileSync(
        file,
        `site: { title: 基准测试新闻, url: "https://news.example.com/", language: zh-CN, timezone: Asia/Shanghai, address: "1 Example Road" }
content: { dir: content }
store: { url: "${url}" }
server: { publicUrl: "https://news.example.com/herald/" }
channels:
  news:
    type: email
    smtp: "smtp://127.0.0.1:${sinkPort}"
    from: "基准测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
    maxArticles: ${articles}
    pool: { maxConnections: ${connections} }
`,
      );
      return file;
    },
  };
}

const env = (extra: Record<string, string> = {}) => ({ ...process.env, HERALD_SECRET: 'bench-secret', HERALD_LOG_LEVEL: 'warn', ...extra });

async function firstPass(configFile: string): Promise<void> {
  const h = await createHerald(loadConfig({ file: configFile, env: env() }), { log, now: () => new Date(T0) });
  try {
    await runPass(h);
  } finally {
    await h.close();
  }
}

function sqliteEngine(dir: string, configFor: (url: string) => string): Engine {
  const file = path.join(dir, 'data/herald.db');
  const url = `sqlite:${file}`;
  const seeded = new Map<number, string>();
  return {
    name: 'SQLite',
    url,
    async seed(n) {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      const copy = seeded.get(n);
      if (copy) {
        copyFileSync(copy, file);
        return;
      }
      const store = (await openStoreUrl(url)) as SqliteStore;
      const t = new Date(T0).toISOString();
      const insert = store.db.prepare("INSERT INTO subscribers (public_id, email, email_key, name, topics, status, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', 'active', ?, ?)");
      store.db.transaction(() => {
        for (let i = 0; i < n; i++) insert.run(`p${i.toString(36)}x${i}`, `reader${i}@example.com`, `reader${i}@example.com`, `读者 ${i}`, t, t);
      })();
      await store.close();
      await firstPass(configFor(url));
      const keep = path.join(dir, `seeded-${n}.db`);
      copyFileSync(file, keep);
      seeded.set(n, keep);
    },
  };
}

function postgresEngine(base: string, schema: string, configFor: (url: string) => string): Engine {
  const url = `${base}${base.includes('?') ? '&' : '?'}search_path=${schema}`;
  return {
    name: 'PostgreSQL',
    url,
    async seed(n) {
      const admin = postgres(base, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.unsafe(`CREATE SCHEMA ${schema}`);
      } finally {
        await admin.end();
      }
      const store = (await openStoreUrl(url)) as PostgresStore;
      const t = new Date(T0).toISOString();
      await store.sql`INSERT INTO subscribers (public_id, email, email_key, name, topics, status, created_at, updated_at)
        SELECT 'p' || g || 'x', 'reader' || g || '@example.com', 'reader' || g || '@example.com', '读者 ' || g, '[]', 'active', ${t}, ${t} FROM generate_series(0, ${n - 1}) g`;
      await store.sql`ANALYZE`;
      await store.close();
      await firstPass(configFor(url));
    },
  };
}

function spawnHerald(args: string[], configFile: string, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: env({ HERALD_CONFIG: configFile, HERALD_NOW: DAY2, ...extra }) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
  return { child, done };
}

/** Emails sent so far, read through one store connection for the whole wait. */
async function sentCounter(url: string): Promise<{ sent: () => Promise<number>; close: () => Promise<void> }> {
  const store = await openStoreUrl(url);
  return { sent: async () => (await store.counts()).reduce((n, c) => n + c.sent, 0), close: () => store.close() };
}

/** `herald digest news` alone: seconds and emails/s. */
async function oneProcess(e: Engine, configFile: string, n: number): Promise<{ seconds: number; sent: number }> {
  await e.seed(n);
  const started = performance.now();
  const r = await spawnHerald(['digest', 'news'], configFile).done;
  const seconds = (performance.now() - started) / 1000;
  if (r.code !== 0) throw new Error(`${e.name}: herald digest exited ${r.code}: ${r.out.slice(0, 400)}`);
  return { seconds, sent: Number(/(\d+) sent/.exec(r.out)?.[1] ?? 0) };
}

/** A worker waiting, then `herald digest news`: seconds until every email is sent. */
async function twoProcesses(e: Engine, configFile: string, n: number): Promise<{ seconds: number; sent: number; byWorker: number }> {
  await e.seed(n);
  const worker = spawnHerald(['worker'], configFile, { HERALD_POLL_MS: '250', HERALD_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'info' });
  await new Promise((r) => setTimeout(r, 2500)); // started and idle
  const started = performance.now();
  const digest = spawnHerald(['digest', 'news'], configFile);
  const r = await digest.done;
  if (r.code !== 0) throw new Error(`${e.name}: herald digest exited ${r.code}: ${r.out.slice(0, 400)}`);
  const counter = await sentCounter(e.url);
  let sent = await counter.sent();
  while (sent < n && performance.now() - started < 600_000) {
    await new Promise((res) => setTimeout(res, 100));
    sent = await counter.sent();
  }
  const seconds = (performance.now() - started) / 1000;
  await counter.close();
  worker.child.kill('SIGTERM');
  const w = await worker.done;
  const byWorker = [...w.out.matchAll(/news: (\d+) sent/g)].reduce((s, m) => s + Number(m[1]), 0);
  if (process.env.BENCH_DEBUG) console.log(`--- digest:\n${r.out}\n--- worker:\n${w.out}`);
  return { seconds, sent, byWorker };
}

/** Making the digest for `n` subscribers: the deliveries written, in seconds. */
async function planning(e: Engine, configFile: string, n: number): Promise<{ seconds: number; planned: number }> {
  await e.seed(n);
  const h = await createHerald(loadConfig({ file: configFile, env: env() }), { log, now: () => new Date(DAY2) });
  try {
    const started = performance.now();
    const r = await runPass(h, { planOnly: true });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, planned: r.digests.reduce((s, d) => s + d.recipients, 0) };
  } finally {
    await h.close();
  }
}

export async function compareStores(pgUrl: string, opts: { subscribers: number; plan: number; connections: number; articles: number; sinkPort: number; sinkKind: string; parts?: string[]; engines?: string[] }): Promise<void> {
  const site = siteDir(opts.articles, opts.sinkPort, opts.connections);
  const schema = `herald_bench_${randomBytes(4).toString('hex')}`;
  const sqlite = sqliteEngine(site.dir, site.config);
  const pg = postgresEngine(pgUrl, schema, site.config);
  const parts = new Set(opts.parts ?? ['one', 'two', 'plan']);
  const wanted = new Set(opts.engines ?? ['sqlite', 'postgres']);
  const engines = [sqlite, pg].filter((e) => wanted.has(e === sqlite ? 'sqlite' : 'postgres'));
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const shown = pgUrl.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  try {
    console.log(`Herald stores: SQLite (reference) and PostgreSQL ${shown} (schema ${schema}), ${opts.subscribers} subscribers, ${opts.articles} articles, ${opts.connections} SMTP connections per process`);
    console.log(`  sink: ${opts.sinkKind} on 127.0.0.1:${opts.sinkPort}`);
    const rates: Record<string, Record<string, number>> = { SQLite: {}, PostgreSQL: {} };

    const ratio = (k: 'one' | 'two') =>
      engines.length === 2 && console.log(`    PostgreSQL / SQLite: ${(((rates.PostgreSQL?.[k] as number) / (rates.SQLite?.[k] as number)) * 100).toFixed(0)}%`);

    if (parts.has('one')) {
      console.log('\n  One sending process: `herald digest news` (start-up, planning, sending)');
      for (const e of engines) {
        const r = await oneProcess(e, site.config(e.url), opts.subscribers);
        (rates[e.name] as Record<string, number>).one = r.sent / r.seconds;
        console.log(`    ${e.name.padEnd(11)} ${r.seconds.toFixed(2)} s for ${r.sent} emails = ${(r.sent / r.seconds).toFixed(0)} emails/s (load average ${load()})`);
      }
      ratio('one');
    }

    if (parts.has('two')) {
      console.log('\n  Two sending processes: `herald worker` waiting, then `herald digest news`; until every email is sent');
      for (const e of engines) {
        const r = await twoProcesses(e, site.config(e.url), opts.subscribers);
        (rates[e.name] as Record<string, number>).two = r.sent / r.seconds;
        console.log(`    ${e.name.padEnd(11)} ${r.seconds.toFixed(2)} s for ${r.sent} emails = ${(r.sent / r.seconds).toFixed(0)} emails/s (the worker sent ${r.byWorker}; load average ${load()})`);
      }
      ratio('two');
    }

    if (parts.has('plan')) {
      console.log(`\n  Planning: one digest for ${opts.plan} subscribers (deliveries written; in process, after start-up)`);
      for (const e of engines) {
        const r = await planning(e, site.config(e.url), opts.plan);
        console.log(`    ${e.name.padEnd(11)} ${r.seconds.toFixed(2)} s for ${r.planned} deliveries = ${(r.planned / r.seconds).toFixed(0)} deliveries/s (load average ${load()})`);
      }
    }
  } finally {
    const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
    rmSync(site.dir, { recursive: true, force: true });
  }
}

/**
 * npm run bench [-- --subscribers 20000 --sites 2000,10000 --only start,scan,fanout --runs 3 --dkim off,on]
 *
 * Every target of Herald's speed and size, each next to its reference measured in the same run,
 * timing what a user waits for: whole commands in their own processes, start-up included,
 * default settings, the median of `--runs` (3) where a run is short.
 *
 * - start: `herald --help` (reference: `node -e ""`), `herald status` on the example site,
 *   the memory of an idle `herald run`.
 * - scan: a generated Hugo site (bench/site.ts: CJK and English, bundles, 3–30 KB bodies) listed
 *   by `herald articles --json` cold (no parse cache), unchanged, and after one file changed,
 *   next to `hugo list all` on the same site.
 * - fanout: `herald digest <channel>` to N subscribers into Postfix's smtp-sink, DKIM off and
 *   on, next to `smtp-source -s 10` sending the same message size to the same sink; the planning
 *   time and peak memory come from the command's own `--profile` line.
 *
 * `npm run bench -- --store postgres://… [--plan 1000000]` compares SQLite and PostgreSQL instead
 * (bench/store-compare.ts): one and two sending processes, and planning a large fan-out.
 *
 * Run while other work shares the cores, numbers are noisy: the load average is printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateHugoSite } from './site.ts';

const { values } = parseArgs({
  strict: false,
  options: {
    subscribers: { type: 'string', default: '20000' },
    sites: { type: 'string', default: '2000,10000' },
    only: { type: 'string', default: 'start,scan,fanout' },
    runs: { type: 'string', default: '3' },
    // Fan-out with DKIM off, on, or both (a 1,000,000-subscriber run takes a while per mode).
    dkim: { type: 'string', default: 'off,on' },
    // `--store postgres://…` [--plan 1000000] [--only one,two,plan] [--engines sqlite,postgres]: SQLite and PostgreSQL
    // compared instead (bench/store-compare.ts; there --only names its parts).
    store: { type: 'string' },
  },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin/herald');
const RUNS = Math.max(1, Number(values.runs));
const ONLY = new Set(String(values.only).split(','));
const HUGO = spawnSync('sh', ['-c', 'command -v hugo']).stdout.toString().trim();

interface Timed {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command in its own process, wall time from spawn to exit. */
/**
 * Standard output goes to a file, read once the command has ended, as `herald articles --json >
 * list.json` (or a pipe into jq) would take it: through a pipe into this process, its event loop
 * reading 64 KB at a time held the command back (5 MB of JSON: ~100 ms more than into `cat`).
 */
function timed(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Timed> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-out-'));
  const out = path.join(dir, 'stdout');
  const fd = openSync(out, 'w');
  const started = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const stdout = readFileSync(out, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      resolve({ seconds, code, stdout, stderr });
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (s: number) => `${Math.round(s * 1000)} ms`;
const secs = (s: number) => (s < 1 ? ms(s) : `${s.toFixed(2)} s`);
const mark = (ok: boolean) => (ok ? 'met' : 'NOT MET');

/** Median of RUNS runs of `fn` (each a whole command); fails loudly when a run fails. */
async function medianOf(label: string, fn: () => Promise<Timed>): Promise<{ seconds: number; last: Timed; all: number[] }> {
  const all: number[] = [];
  let last: Timed | undefined;
  for (let i = 0; i < RUNS; i++) {
    last = await fn();
    if (last.code !== 0) throw new Error(`${label} exited ${last.code}: ${last.stderr.slice(0, 600)}`);
    all.push(last.seconds);
  }
  return { seconds: median(all), last: last as Timed, all };
}

/** "herald profile: start-up 120 ms, scan 310 ms, …; total 1.84 s, peak RSS 97 MB" → numbers in ms / MB. */
function profileOf(stderr: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.startsWith('herald profile:'));
  const out: Record<string, number> = {};
  if (!line) return out;
  for (const part of line.slice('herald profile: '.length).split(/[,;] /)) {
    const m = /^(.+) (\d+(?:\.\d+)?) (ms|s|MB)$/.exec(part.trim());
    if (m) out[(m[1] as string).replace(' ', '-')] = m[3] === 's' ? Number(m[2]) * 1000 : Number(m[2]);
  }
  return out;
}

function exampleConfig(dir: string, port: number): string {
  // The shipped demo config, with its store, outbox and port moved into `dir`.
  const text = readFileSync(path.join(ROOT, 'config/herald.yaml'), 'utf8')
    .replace(/^( {2}dir: ).*$/m, `$1${path.join(ROOT, 'examples/site/content')}`)
    .replace(/^( {2}url: )sqlite:.*$/m, `$1sqlite:${path.join(dir, 'herald.db')}`)
    .replace(/^outbox: .*$/m, `outbox: ${path.join(dir, 'outbox')}`)
    .replace(/^( {2}port: ).*$/m, `$1${port}`);
  const file = path.join(dir, 'herald.yaml');
  writeFileSync(file, text);
  return file;
}

const env = (extra: Record<string, string> = {}) => ({ HERALD_SECRET: 'bench-secret-0123456789', HERALD_LOG_LEVEL: 'warn', NO_COLOR: '1', ...extra });

/** RSS of an idle `herald run` on the example site: started, given time to settle, read from /proc. */
async function idleRunRss(config: string): Promise<{ rssMb: number; peakMb: number } | string> {
  const child = spawn(process.execPath, [BIN, '--config', config, 'run'], { cwd: ROOT, env: { ...process.env, ...env({ HERALD_LOG_LEVEL: 'info' }) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    for (let i = 0; i < 300 && !/web server on/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    if (!/web server on/.test(stderr)) return `did not start: ${stderr.slice(0, 300)}`;
    // Idle = after its first pass (the demo's email and chat previews are rendered): the
    // memory has not changed for five seconds, at least ten seconds after start.
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(kb('VmRSS'));
      const last = samples.slice(-5);
      if (i >= 10 && Math.max(...last) - Math.min(...last) < 1024) break;
    }
    return { rssMb: (samples.at(-1) ?? 0) / 1024, peakMb: kb('VmHWM') / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
}

async function startSection(): Promise<void> {
  console.log('\nStart-up (whole commands, median of runs)');
  const node = await medianOf('node -e ""', () => timed(process.execPath, ['-e', '']));
  const help = await medianOf('herald --help', () => timed(process.execPath, [BIN, '--help']));
  console.log(`  herald --help:        ${ms(help.seconds)}  (target ≤ 250 ms: ${mark(help.seconds <= 0.25)}; reference: node -e "" ${ms(node.seconds)})`);
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-start-'));
  try {
    const config = exampleConfig(dir, 0);
    // The store exists (a first command made it), as for any `status` after set-up.
    await timed(process.execPath, [BIN, '--config', config, 'status'], { env: env() });
    const status = await medianOf('herald status', () => timed(process.execPath, [BIN, '--config', config, 'status'], { env: env() }));
    console.log(`  herald status:        ${ms(status.seconds)}  (example site; target ≤ 400 ms: ${mark(status.seconds <= 0.4)})`);
    const idle = await idleRunRss(config);
    if (typeof idle === 'string') console.log(`  idle herald run:      ${idle}`);
    else console.log(`  idle herald run RSS:  ${idle.rssMb.toFixed(0)} MB (peak ${idle.peakMb.toFixed(0)} MB; target ≤ 90 MB: ${mark(idle.rssMb <= 90)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scanSection(size: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `herald-bench-site-${size}-`));
  try {
    const started = performance.now();
    generateHugoSite(path.join(dir, 'site'), size);
    console.log(`\nScan: ${size} articles (Hugo site generated in ${secs((performance.now() - started) / 1000)}; CJK and English, a third bundles, 3–30 KB bodies)`);
    const config = path.join(dir, 'herald.yaml');
    writeFileSync(
      config,
      `site: { address: "1 Example Road" }\ncontent: { site: site }\nstore: { url: "sqlite:data/herald.db" }\nserver: { publicUrl: "https://news.example.com/herald/" }\nchannels:\n  news: { type: email, smtp: "", from: "News <news@example.com>", schedule: "0 8 * * *" }\n  tg: { type: telegram, token: "", chat: "@news" }\n`,
    );
    const db = path.join(dir, 'data/herald.db');
    const articles = () => timed(process.execPath, [BIN, '--config', config, '--profile', 'articles', '--json'], { cwd: dir, env: env() });
    const fresh = () => {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    };
    // Hugo first, so both read from the same warm file cache.
    let hugo: { seconds: number; last: Timed } | undefined;
    if (HUGO) hugo = await medianOf('hugo list all', () => timed(HUGO, ['list', 'all'], { cwd: path.join(dir, 'site') }));
    const cold = await medianOf('herald articles (cold)', async () => {
      fresh();
      return articles();
    });
    const warm = await medianOf('herald articles (unchanged)', articles);
    // One article edited: only that file is read and parsed again.
    const one = path.join(dir, 'site/content/posts/post-00001.md');
    let edits = 0;
    const changed = await medianOf('herald articles (one file changed)', async () => {
      writeFileSync(one, readFileSync(one, 'utf8').replace(/^title: .*$/m, `title: "Edited ${++edits}"`));
      const past = Date.now() / 1000 - 60 + edits;
      utimesSync(one, past, past);
      return articles();
    });
    const rows = (JSON.parse(warm.last.stdout) as Array<{ status: string }>).length;
    const hugoRows = hugo ? hugo.last.stdout.trim().split('\n').length - 1 : 0;
    const coldTarget = size <= 2000 ? 1.0 : 3.0;
    const warmTarget = size <= 2000 ? 0.3 : 0.5;
    const ref = hugo ? `; hugo list all ${secs(hugo.seconds)}, ${hugoRows} pages` : '; hugo not installed';
    const p = profileOf(cold.last.stderr);
    console.log(`  cold (no parse cache): ${secs(cold.seconds)}  (target ≤ ${coldTarget} s: ${mark(cold.seconds <= coldTarget)}${ref}); peak RSS ${p['peak-RSS'] ?? '?'} MB, ${rows} rows`);
    const pw = profileOf(warm.last.stderr);
    console.log(`  unchanged:             ${secs(warm.seconds)}  (target ≤ ${warmTarget * 1000} ms: ${mark(warm.seconds <= warmTarget)}); start-up ${ms((pw['start-up'] ?? 0) / 1000)}, scan ${ms((pw.scan ?? 0) / 1000)}, peak RSS ${pw['peak-RSS'] ?? '?'} MB`);
    const pc = profileOf(changed.last.stderr);
    console.log(`  one file changed:      ${secs(changed.seconds)}  (scan ${ms((pc.scan ?? 0) / 1000)} vs ${ms((pw.scan ?? 0) / 1000)} unchanged: a rescan reads only what changed)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fanoutSection(): Promise<void> {
  // Imported here: it parses --subscribers itself and seeds a store.
  const f = await import('./digest-fanout.ts');
  const sink = await f.startSink();
  console.log(`\nFan-out: herald digest to ${f.N} subscribers, default settings, into ${sink.kind}; reference smtp-source -s 10, same sink, same message size`);
  const started = performance.now();
  const s = await f.setUp(sink.port);
  console.log(`  (store seeded in ${secs((performance.now() - started) / 1000)})`);
  try {
    for (const dkim of String(values.dkim).split(',').map((m) => m === 'on')) {
      const sample = (await f.sampleBody(s, dkim)).sample;
      const heraldRuns: number[] = [];
      const sourceRuns: number[] = [];
      let last: Timed | undefined;
      let sent = 0;
      const runs = f.N > 50_000 ? 1 : RUNS;
      for (let i = 0; i < runs; i++) {
        last = await f.wholeCommand(s, dkim, { HERALD_PROFILE: '1' });
        if (last.code !== 0) throw new Error(`herald digest exited ${last.code}: ${last.stderr.slice(0, 600)}`);
        sent = Number(/(\d+) sent/.exec(last.stdout)?.[1] ?? 0);
        heraldRuns.push(last.seconds);
        const raw = f.smtpSource(s, sample, dkim ? 'signed' : 'unsigned');
        if (typeof raw === 'number') sourceRuns.push(raw);
        else console.log(`  smtp-source: ${raw}`);
      }
      const h = median(heraldRuns);
      const p = profileOf(last?.stderr ?? '');
      const label = `DKIM ${dkim ? 'on ' : 'off'}`;
      console.log(`  ${label}: herald digest ${secs(h)} for ${sent} emails (${Math.round(sent / h)}/s), peak RSS ${p['peak-RSS'] ?? '?'} MB; plan ${ms((p.plan ?? 0) / 1000)}, render ${ms((p.render ?? 0) / 1000)}, send ${secs((p.send ?? 0) / 1000)}, start-up ${ms((p['start-up'] ?? 0) / 1000)}`);
      if (sourceRuns.length > 0) {
        const r = median(sourceRuns);
        const ratio = r / h;
        const target = dkim ? 0.5 : 0.6;
        console.log(`           smtp-source ${secs(r)} (${Math.round(f.N / r)}/s): ratio ${ratio.toFixed(2)} (target ≥ ${target}: ${mark(ratio >= target)})`);
      }
      if (!dkim) {
        const plan = (p.plan ?? 0) / 1000;
        const planTarget = f.N <= 20_000 ? 0.3 : f.N >= 1_000_000 ? 15 : undefined;
        console.log(`           planning ${f.N} deliveries: ${ms(plan)}${planTarget ? ` (target ≤ ${secs(planTarget)}: ${mark(plan <= planTarget)})` : ''}; peak RSS ${p['peak-RSS'] ?? '?'} MB${f.N >= 1_000_000 ? ` (target ≤ 150 MB: ${mark((p['peak-RSS'] ?? 0) <= 150)})` : ''}`);
      }
    }
  } finally {
    await sink.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

if (typeof values.store === 'string') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/digest-fanout.ts'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
console.log(`Herald benchmark: ${new Date().toISOString()}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine makes numbers noisy)`);
// What a user runs is the build: make it from the current sources first (under a second or two).
const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
if (build.status !== 0 || !existsSync(path.join(ROOT, 'dist/build.json'))) console.log(`  note: the build failed, bin/herald runs the sources through tsx: ${build.stderr.slice(0, 300)}`);
if (ONLY.has('start')) await startSection();
if (ONLY.has('scan')) for (const size of String(values.sites).split(',').map(Number)) await scanSection(size);
if (ONLY.has('fanout')) await fanoutSection();
console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

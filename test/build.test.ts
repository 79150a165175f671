/**
 * The build users run (`npm install` makes dist/ with esbuild): built into a scratch folder,
 * it answers like the sources do. The rest of the tests run the sources.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herald } from './helpers/cli.ts';
import { generateHugoSite } from '../bench/site.ts';
import { makeSite, SECRET, seedArticle } from './helpers/site.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'test-artifacts', `dist-${process.pid}`);

const LOADER = path.join(ROOT, 'bin/load-bundle.cjs');

/**
 * Runs the built CLI's main() the way bin/herald does: the CommonJS bundle through the code
 * cache (bin/load-bundle.cjs), or the ES module build (what bin/herald falls back to).
 */
function built(args: string[], cwd: string, env: Record<string, string | undefined>, via: 'cjs' | 'esm' = 'cjs') {
  const code =
    via === 'esm'
      ? `const { main } = await import(${JSON.stringify(path.join(OUT, 'herald.js'))}); process.exitCode = await main(process.argv);`
      : `const { cacheName, loadBundle } = await import(${JSON.stringify(LOADER)}); const b = loadBundle(${JSON.stringify(OUT)}, 'test', cacheName(process.argv)); process.exitCode = await b.main(process.argv); b.saveCache();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, 'herald', ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--outdir', path.relative(ROOT, OUT)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('the build (dist/)', () => {
  it('prints the same help and answers articles, status and dispatch as the sources do', async () => {
    const T = '2025-07-02T09:00:00+08:00';
    const site = makeSite({
      channels: '  tg:\n    type: telegram\n    token: ""\n    chat: "@news"\n  mail:\n    type: email\n    smtp: ""\n    from: "News <news@example.com>"\n    mode: each\n',
    });
    site.write('posts/chips.md', seedArticle({ title: '芯片新闻', date: '2025-07-02T08:00:00+08:00', slug: 'chips', topics: ['算力与芯片'] }));
    const helpText = (await herald(['--help'], { cwd: site.dir })).stdout;
    for (const via of ['cjs', 'cjs', 'esm'] as const) {
      const help = built(['--help'], site.dir, {}, via);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(helpText);
    }
    // The bundle twice (the second run from the code cache the first wrote), and the ES build.
    for (const via of ['cjs', 'cjs', 'esm'] as const) {
      for (const args of [['articles', '--json'], ['status', '--json'], ['dispatch', '--dry-run']]) {
        const fromSource = await herald(args, { cwd: site.dir, env: site.env(T) });
        const fromBuild = built(args, site.dir, site.env(T), via);
        expect(fromBuild.stderr, `${via} ${args.join(' ')}`).toBe(fromSource.stderr);
        expect(fromBuild.stdout, `${via} ${args.join(' ')}`).toBe(fromSource.stdout);
        expect(fromBuild.code).toBe(fromSource.code);
      }
    }
    expect(readdirSync(OUT).filter((f) => f.startsWith('herald-') && f.endsWith('.cache')).sort()).toEqual(['herald-test-articles.cache', 'herald-test-dispatch.cache', 'herald-test-none.cache', 'herald-test-status.cache']);
    // A cache V8 refuses (damaged, another Node) is compiled around and written again.
    writeFileSync(path.join(OUT, 'herald-test-status.cache'), 'not a code cache');
    const again = built(['status', '--json'], site.dir, site.env(T));
    expect(again.stdout).toBe((await herald(['status', '--json'], { cwd: site.dir, env: site.env(T) })).stdout);
    expect(readFileSync(path.join(OUT, 'herald-test-status.cache')).length).toBeGreaterThan(10_000);
    // Real sends from the build, in preview mode: the chat post, and an email compiled with MJML.
    await herald(['subscribers', 'add', 'reader@example.com'], { cwd: site.dir, env: site.env(T) });
    const sent = built(['dispatch'], site.dir, site.env(T));
    // (The bundle finds the worker files beside it, from its own URL, as the ES build does.)
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('tg: 1 sent');
    expect(sent.stdout).toContain('mail: 1 sent');
  });

  it("parses a large site's pages on a worker thread started from the build, through its own code cache", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-build-scan-'));
    try {
      // Enough pages for a cold scan to parse on several threads (PARALLEL_PARSE_MIN).
      generateHugoSite(path.join(dir, 'site'), 400);
      writeFileSync(
        path.join(dir, 'herald.yaml'),
        'site: { address: "1 Example Road" }\ncontent: { site: site }\nstore: { url: "sqlite:data/herald.db" }\nserver: { publicUrl: "https://news.example.com/herald/" }\nchannels:\n  tg: { type: telegram, token: "", chat: "@news" }\n',
      );
      const env = { HERALD_SECRET: SECRET };
      const fresh = () => rmSync(path.join(dir, 'data'), { recursive: true, force: true });
      const fromSource = await herald(['--config', 'herald.yaml', 'articles', '--json'], { cwd: dir, env });
      expect(fromSource.code, fromSource.stderr).toBe(0);
      expect((JSON.parse(fromSource.stdout) as unknown[]).length).toBeGreaterThan(300);
      const workerCaches = () => readdirSync(OUT).filter((f) => /^parse-worker-.+-thread\.cache$/.test(f));
      expect(workerCaches()).toEqual([]);
      // Cold twice: the worker writes its code cache the first time and loads from it the second.
      const written: number[] = [];
      for (const run of [1, 2]) {
        fresh();
        const fromBuild = built(['--config', 'herald.yaml', 'articles', '--json'], dir, env);
        expect(fromBuild.stderr, `run ${run}`).toBe('');
        expect(fromBuild.stdout, `run ${run}`).toBe(fromSource.stdout);
        // The cache is written by the worker after its first pages: it ran from dist/ and parsed.
        expect(workerCaches(), `run ${run}`).toHaveLength(1);
        written.push(statSync(path.join(OUT, workerCaches()[0] as string)).mtimeMs);
      }
      // Taken, not written again.
      expect(written[1]).toBe(written[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a code cache the next run takes, also after a run that started a worker thread', () => {
    // As bin/herald: a V8 flag set before the bundle loads, then the command, which may start a
    // worker (a cold scan's parse workers, a send's), then the cache written.
    const run = () => {
      const code = `import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
const flags = ['--semi-space-growth-factor=1'];
for (const f of flags) setFlagsFromString(f);
const { loadBundle } = await import(${JSON.stringify(LOADER)});
const b = loadBundle(${JSON.stringify(OUT)}, 'worker-test', 'status', 'herald', flags);
await new Promise((resolve) => new Worker('1', { eval: true }).on('exit', resolve));
b.saveCache();
console.log(JSON.stringify(b.cacheUsed));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as boolean;
    };
    expect(run()).toBe(false);
    expect(run()).toBe(true);
    expect(run()).toBe(true);
  });

  it('keeps the CLI bundle ASCII, so every start reads it as a one-byte string', () => {
    const text = readFileSync(path.join(OUT, 'herald.cjs'), 'latin1');
    const at = [...text].findIndex((c) => c.charCodeAt(0) > 0x7f);
    expect(at === -1 ? '' : text.slice(Math.max(0, at - 80), at + 20)).toBe('');
  });
});

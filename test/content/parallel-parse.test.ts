import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TomlDate } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHugoSite } from '../../bench/site.ts';
import { cloneable, endUnused, parseInParallel, startParseWorkers, type WorkerParse } from '../../src/content/parallel-parse.ts';
import { ParseCache } from '../../src/content/parse-cache.ts';
import { type Candidate, scanContent } from '../../src/content/scan.ts';
import { walkHugo } from '../../src/content/hugo/walk.ts';
import type { ContentSettings, SiteSettings } from '../../src/content/site.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/content/site/', import.meta.url));
const site: SiteSettings = { title: 'Example', url: 'https://example.com/', language: 'zh-CN', timezone: 'Asia/Shanghai' };

describe('parsing on several threads', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-parallel-parse-'));
    // Generated articles (CJK and English, bundles, YAML and TOML) next to the fixtures' broken and skipped files.
    generateHugoSite(dir, 90);
    cpSync(FIXTURES, join(dir, 'content'), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = (): ContentSettings => ({ dir: join(dir, 'content'), permalink: '/:section/:filename/' });

  it('gives the same scan, problems and warnings included, as one thread', async () => {
    const one = await scanContent(content(), site, { threads: 1 });
    const two = await scanContent(content(), site, { threads: 2, parallelMin: 1 });
    expect(one.articles.length).toBeGreaterThan(80);
    expect(one.problems.length).toBeGreaterThan(0);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it('fills the parse cache with the same entries as one thread', async () => {
    const a = new ParseCache('s');
    a.begin();
    const one = await scanContent(content(), site, { cache: a, threads: 1 });
    const b = new ParseCache('s');
    b.begin();
    const two = await scanContent(content(), site, { cache: b, threads: 3, parallelMin: 1 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    const byPath = (c: ParseCache) => [...c.changed].sort((x, y) => (x.path < y.path ? -1 : 1));
    expect(byPath(b)).toEqual(byPath(a));
    expect(b.stats).toEqual(a.stats);
    // And those entries serve the next scan as well.
    b.begin();
    expect(JSON.stringify(await scanContent(content(), site, { cache: b, threads: 2, parallelMin: 1 }))).toBe(JSON.stringify(one));
  });

  it('has each page parsed once, by this thread or a worker, each answer at its own index', async () => {
    const walk = await walkHugo(content(), site);
    const candidates: Candidate[] = walk.candidates.map((c) => ({ kind: 'hugo', ...c }));
    const items = candidates.map((_, i) => i);
    const here: number[] = [];
    const there = new Map<number, WorkerParse>();
    await parseInParallel(items, candidates, 2, { content: content(), site }, (i) => here.push(i), (i, parsed) => there.set(i, parsed));
    // Each worker has pages kept for it, so it always parses some.
    expect(there.size).toBeGreaterThan(0);
    expect([...here, ...there.keys()].sort((a, b) => a - b)).toEqual(items);
    for (const [i, parsed] of there) {
      const c = candidates[i] as Candidate;
      if ('json' in parsed) expect((JSON.parse(parsed.json) as { article?: { file: string } }).article?.file ?? c.src.file).toBe(c.src.file);
      else expect(parsed.file).toBe(c.src.file);
    }
  });

  it('gives pages to workers started before they were known, and ends those it did not need', async () => {
    const walk = await walkHugo(content(), site);
    const candidates: Candidate[] = walk.candidates.map((c) => ({ kind: 'hugo', ...c }));
    const items = candidates.map((_, i) => i);
    const early = startParseWorkers(2, { content: content(), site });
    expect(early).toHaveLength(2);
    const here: number[] = [];
    const there = new Map<number, WorkerParse>();
    // Two threads: one worker is taken, the other is left over.
    await parseInParallel(items, candidates, 2, { content: content(), site }, (i) => here.push(i), (i, parsed) => there.set(i, parsed), early);
    expect(early.map((e) => e.taken)).toEqual([true, false]);
    expect(there.size).toBeGreaterThan(0);
    expect([...here, ...there.keys()].sort((a, b) => a - b)).toEqual(items);
    const ended = new Promise((resolve) => early[1]?.worker.once('exit', resolve));
    endUnused(early);
    await ended;
    expect(early[1]?.exited).toBe(true);
  });

  it('parses on this thread when a worker started early has failed', async () => {
    const walk = await walkHugo(content(), site);
    const candidates: Candidate[] = walk.candidates.map((c) => ({ kind: 'hugo', ...c }));
    const items = candidates.map((_, i) => i);
    const [early] = startParseWorkers(1, { content: content(), site });
    await new Promise((resolve) => {
      early?.worker.once('exit', resolve);
      void early?.worker.terminate();
    });
    expect(early?.exited).toBe(true);
    const here: number[] = [];
    const there = new Map<number, WorkerParse>();
    // threads 1: no new worker either, so every page is this thread's.
    await parseInParallel(items, candidates, 1, { content: content(), site }, (i) => here.push(i), (i, parsed) => there.set(i, parsed), early ? [early] : []);
    expect(early?.taken).toBe(false);
    expect(there.size).toBe(0);
    expect(here).toEqual(items);
  });

  it('tells the scan each page the walk finds, so workers can start while it walks', async () => {
    const counts: number[] = [];
    const walk = await walkHugo(content(), site, { found: (n) => counts.push(n) });
    expect(counts.length).toBeGreaterThanOrEqual(walk.candidates.length);
    expect(counts).toEqual(counts.map((_, i) => i + 1));
  });

  it('sends a worker only plain data (a TOML date in a cascade is parsed on this thread)', () => {
    expect(cloneable({ a: [1, 'x', null, { b: true, c: undefined }] })).toBe(true);
    expect(cloneable({ cascade: { date: new TomlDate('2025-07-02T08:00:00') } })).toBe(false);
    expect(cloneable({ when: new Date(0) })).toBe(false);
  });
});

describe('parsing on several threads in a process started with V8 heap flags', () => {
  // `node --max-semi-space-size=4 bin/herald articles` (the README's memory notes): the parse
  // worker may not inherit that flag, or it refuses to start and the scan failed.
  it('scans all the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-parallel-parse-flags-'));
    try {
      generateHugoSite(dir, 40);
      const scan = fileURLToPath(new URL('../../src/content/scan.ts', import.meta.url));
      const code = `import { scanContent } from ${JSON.stringify(scan)};
const one = await scanContent(${JSON.stringify({ dir: join(dir, 'content'), permalink: '/:section/:filename/' })}, ${JSON.stringify(site)}, { threads: 1 });
const two = await scanContent(${JSON.stringify({ dir: join(dir, 'content'), permalink: '/:section/:filename/' })}, ${JSON.stringify(site)}, { threads: 2, parallelMin: 1 });
console.log(JSON.stringify({ one: one.articles.length, same: JSON.stringify(one.articles) === JSON.stringify(two.articles) }));`;
      const r = spawnSync(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ one: expect.any(Number), same: true });
      expect(JSON.parse(r.stdout).one).toBeGreaterThan(20);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * bin/build-stamp.cjs: how bin/herald tells a build older than the sources (it then runs the
 * sources through tsx). Real folders and files, real modification times.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const { sourceStamp, sourcesFresh } = createRequire(import.meta.url)('../bin/build-stamp.cjs') as {
  sourceStamp(src: string): { sourcesAt: number; files: string[]; folders: Array<[string, number]> };
  sourcesFresh(src: string, built: { sourcesAt: number; files?: string[]; folders?: Array<[string, number]> }): Promise<boolean>;
};

let dir: string;
let src: string;
/** Two hours ago, then later by `s` seconds: times the test sets, never the clock's. */
const at = (s: number) => Date.now() / 1000 - 7200 + s;

function write(rel: string, time: number) {
  const file = path.join(src, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '// code\n');
  utimesSync(file, time, time);
}

/** Folder times as a build would find them after its files were written. */
function settleFolders(time: number) {
  for (const rel of ['', 'content', 'content/hugo']) utimesSync(path.join(src, rel), time, time);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-stamp-'));
  src = path.join(dir, 'src');
  write('cli/main.ts', at(0));
  write('content/scan.ts', at(10));
  write('content/hugo/walk.ts', at(20));
  write('content/README.md', at(30));
  settleFolders(at(40));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('build stamp', () => {
  it('records the code files, every folder and the newest code time (a README is not code)', () => {
    const stamp = sourceStamp(src);
    expect(stamp.files.sort()).toEqual(['cli/main.ts', 'content/hugo/walk.ts', 'content/scan.ts']);
    expect(stamp.folders.map(([f]) => f).sort()).toEqual(['', 'cli', 'content', 'content/hugo']);
    expect(Math.round(stamp.sourcesAt / 1000)).toBe(Math.round(at(20)));
  });

  it('is fresh until a code file is written after the build', async () => {
    const stamp = sourceStamp(src);
    expect(await sourcesFresh(src, stamp)).toBe(true);
    utimesSync(path.join(src, 'content/hugo/walk.ts'), at(50), at(50));
    expect(await sourcesFresh(src, stamp)).toBe(false);
  });

  it('finds a new code file through its folder; a new README keeps the build fresh', async () => {
    const stamp = sourceStamp(src);
    write('content/NOTES.md', at(60));
    expect(await sourcesFresh(src, stamp)).toBe(true);
    write('content/hugo/permalink.ts', at(70));
    expect(await sourcesFresh(src, stamp)).toBe(false);
  });

  it('a deleted file sends it to the whole walk, which judges by the files left', async () => {
    const stamp = sourceStamp(src);
    rmSync(path.join(src, 'content/scan.ts'));
    settleFolders(at(40));
    expect(await sourcesFresh(src, stamp)).toBe(true);
    utimesSync(path.join(src, 'cli/main.ts'), at(80), at(80));
    expect(await sourcesFresh(src, stamp)).toBe(false);
  });

  it('an installed package (no src/) and a build.json from before the lists', async () => {
    const stamp = sourceStamp(src);
    expect(await sourcesFresh(path.join(dir, 'missing'), stamp)).toBe(true);
    expect(await sourcesFresh(src, { sourcesAt: stamp.sourcesAt })).toBe(true);
    expect(await sourcesFresh(src, { sourcesAt: stamp.sourcesAt - 5000 })).toBe(false);
  });
});

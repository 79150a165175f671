/**
 * The build users run (`npm install` makes dist/ with esbuild): built into a scratch folder,
 * it answers like the sources do. The rest of the tests run the sources.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herald } from './helpers/cli.ts';
import { makeSite, seedArticle } from './helpers/site.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'test-artifacts', `dist-${process.pid}`);

/** Runs the built CLI's main() the way bin/herald does. */
function built(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const code = `const { main } = await import(${JSON.stringify(path.join(OUT, 'herald.js'))}); process.exitCode = await main(process.argv);`;
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
    const help = built(['--help'], site.dir, {});
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await herald(['--help'], { cwd: site.dir })).stdout);
    for (const args of [['articles', '--json'], ['status', '--json'], ['dispatch', '--dry-run']]) {
      const fromSource = await herald(args, { cwd: site.dir, env: site.env(T) });
      const fromBuild = built(args, site.dir, site.env(T));
      expect(fromBuild.stderr).toBe(fromSource.stderr);
      expect(fromBuild.stdout).toBe(fromSource.stdout);
      expect(fromBuild.code).toBe(fromSource.code);
    }
    // Real sends from the build, in preview mode: the chat post, and an email compiled with MJML.
    await herald(['subscribers', 'add', 'reader@example.com'], { cwd: site.dir, env: site.env(T) });
    const sent = built(['dispatch'], site.dir, site.env(T));
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('tg: 1 sent');
    expect(sent.stdout).toContain('mail: 1 sent');
  });
});

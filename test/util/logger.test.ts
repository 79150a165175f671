import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `code` (an ES module) in a fresh Node process, where nothing has loaded pino yet. */
function freshProcess(code: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const pinoLoaded = "Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/pino/'))";

describe('createLogger', () => {
  it('loads pino only when something is logged, even when the logger is awaited', () => {
    const out = freshProcess(`
      import { createLogger } from './src/util/logger.ts';
      const log = await (async () => createLogger({ pretty: false }))();
      const before = ${pinoLoaded};
      log.warn('hello %s', 'there');
      console.log(JSON.stringify({ before, after: ${pinoLoaded} }));
    `);
    expect(JSON.parse(out)).toEqual({ before: false, after: true });
  });
});

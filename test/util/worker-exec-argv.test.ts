import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('../../src/util/worker-exec-argv.ts', import.meta.url));

/** Starts a worker with newWorker in `node <flags>` and prints the node flags the worker got. */
function workerFlags(flags: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-worker-argv-'));
  try {
    const worker = join(dir, 'worker.mjs');
    writeFileSync(worker, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage(process.execArgv);\n");
    const main = join(dir, 'main.mjs');
    writeFileSync(
      main,
      `import { newWorker } from ${JSON.stringify(MODULE)};
const w = newWorker(new URL(${JSON.stringify(pathToFileURL(worker).href)}));
w.on('message', (m) => { console.log(JSON.stringify(m)); void w.terminate(); });`,
    );
    return spawnSync(process.execPath, [...flags, '--import', 'tsx', main], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('newWorker', () => {
  it('passes on the process flags a worker accepts', () => {
    const r = workerFlags(['--enable-source-maps']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['--enable-source-maps', '--import', 'tsx']);
  });

  it('starts in a process whose node flags a worker refuses, keeping those that load code', () => {
    // Each of these made `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV when passed on.
    for (const flag of ['--stack-size=2000', '--expose-gc', '--title=herald-test', '--max-semi-space-size=4']) {
      const r = workerFlags([flag, '--enable-source-maps']);
      expect(r.stderr, flag).toBe('');
      expect(JSON.parse(r.stdout), flag).toEqual(['--enable-source-maps', '--import', 'tsx']);
    }
  });
});

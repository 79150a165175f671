import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sendHeapPolicyActive, withSendHeapPolicy } from '../../src/util/heap-policy.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('withSendHeapPolicy', () => {
  it('is in force while any send runs, nested or side by side, and ends with the last one, even one that fails', async () => {
    expect(sendHeapPolicyActive()).toBe(false);
    let release = () => {};
    const slow = withSendHeapPolicy(() => new Promise<void>((r) => (release = r)), []);
    expect(sendHeapPolicyActive()).toBe(true);
    await expect(withSendHeapPolicy(async () => Promise.reject(new Error('refused')), [])).rejects.toThrow('refused');
    expect(sendHeapPolicyActive()).toBe(true);
    expect(await withSendHeapPolicy(async () => withSendHeapPolicy(async () => sendHeapPolicyActive(), []), [])).toBe(true);
    release();
    await slow;
    expect(sendHeapPolicyActive()).toBe(false);
  });

  it('leaves a setting given to node alone', async () => {
    expect(await withSendHeapPolicy(async () => sendHeapPolicyActive(), ['--heap-growing-percent=50'])).toBe(false);
    expect(await withSendHeapPolicy(async () => sendHeapPolicyActive(), ['--heap_growing_percent=50'])).toBe(false);
  });

  it('a send works with or without a setting of the user', () => {
    for (const flags of [[], ['--heap-growing-percent=50']]) {
      const r = spawnSync(
        process.execPath,
        [...flags, '--import', 'tsx', '--input-type=module', '-e', "const { withSendHeapPolicy } = await import('./src/util/heap-policy.ts'); console.log(await withSendHeapPolicy(async () => [1, 2, 3].map(String).join('')));"],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('123');
    }
  });
});

/** The young generation's size (MB) before and after a burst of objects kept for a while, in a fresh process. */
function youngGeneration(flags: string[], setup: string): { before: number; after: number } {
  const code = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const young = () => (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 1048576;
    const before = young();
    ${setup}
    const kept = [];
    for (let i = 0; i < 400_000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 50_000) kept.splice(0, 10_000); }
    console.log(JSON.stringify({ before, after: young() }));`;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { before: number; after: number };
}

describe('useDaemonHeapPolicy', () => {
  const policy = "const h = await import('./src/util/heap-policy.ts'); h.useDaemonHeapPolicy();";

  it("keeps the young generation at the size it has, which V8's default lets grow", () => {
    const grown = youngGeneration([], '');
    expect(grown.after).toBeGreaterThan(grown.before);
    const kept = youngGeneration([], policy);
    expect(kept.after).toBe(kept.before);
  });

  it('leaves a young generation setting given to node alone', () => {
    const own = youngGeneration(['--max-semi-space-size=8'], policy);
    expect(own.after).toBeGreaterThan(own.before);
  });
});

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

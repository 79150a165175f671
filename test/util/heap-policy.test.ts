import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapPolicy, HEAP_GROWING_PERCENT } from '../../src/util/heap-policy.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('applyHeapPolicy', () => {
  it('sets the old generation growth unless node was started with its own', () => {
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(applyHeapPolicy(['--heap-growing-percent=50'])).toBe(false);
    expect(applyHeapPolicy(['--heap_growing_percent=50'])).toBe(false);
    expect(applyHeapPolicy(['--max-semi-space-size=4'])).toBe(true);
  });

  it('leaves every command working, with or without a setting of the user', () => {
    for (const flags of [[], ['--heap-growing-percent=50']]) {
      const r = spawnSync(process.execPath, [...flags, 'bin/herald', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HERALD_FROM_SOURCE: '1' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Usage: herald');
    }
  });
});

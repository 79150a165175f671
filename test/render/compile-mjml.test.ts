import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/render/email/compile-mjml.ts');

describe('compileMjml in a process started with V8 heap flags', () => {
  // `node --max-semi-space-size=4 bin/herald digest …` (a smaller young generation, see the
  // README's memory notes): the MJML worker may not inherit that flag, or it refuses to start.
  it('compiles in its worker all the same', () => {
    const code = `import { compileMjml } from ${JSON.stringify(SOURCE)};
const html = await compileMjml('<mjml><mj-body><mj-section><mj-column><mj-text>Hello reader</mj-text></mj-column></mj-section></mj-body></mjml>', 'test.mjml');
console.log(html.includes('Hello reader') ? 'compiled' : html);`;
    const r = spawnSync(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('compiled');
    expect(r.status).toBe(0);
  });
});

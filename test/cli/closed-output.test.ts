/** `herald articles --json | head`: the reader closes the pipe early. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';
import { makeSite } from '../helpers/site.ts';

describe('output to a reader that has gone', () => {
  it('ends quietly, without an EPIPE stack trace, and with the command’s own exit code', async () => {
    const site = makeSite({ channels: '  tg:\n    type: telegram\n    token: ""\n    chat: "@news"\n' });
    // Several times what a pipe holds (64 KB), so writes go on after the reader has closed.
    for (let i = 0; i < 400; i++) site.write(`posts/p${i}.md`, `---\ntitle: "Article ${i} ${'with a long title '.repeat(60)}"\ndate: 2025-07-01T08:00:00+08:00\ntags: [one, two, three]\n---\n\nBody ${i}.\n`);
    const env = { ...process.env, ...site.env('2025-07-02T09:00:00+08:00'), HERALD_FROM_SOURCE: '1', NO_COLOR: '1' };
    const child = spawn(process.execPath, [BIN, 'articles', '--json'], { cwd: site.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let first = '';
    child.stdout.once('data', (c: Buffer) => {
      first = c.toString();
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(first.startsWith('[\n  {')).toBe(true);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});

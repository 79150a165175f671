/**
 * Runs the real `bin/herald` as a child process, the way a user does.
 *   const r = await herald(['dispatch'], { cwd, env });  // { code, stdout, stderr }
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/herald');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
}

export function startHerald(args: string[], opts: CliOptions): { child: ChildProcess; done: Promise<CliResult> } {
  // The sources, through tsx: what the tests check, never a build that may be older.
  const env: Record<string, string | undefined> = { ...process.env, HERALD_LOG_LEVEL: 'info', NO_COLOR: '1', HERALD_FROM_SOURCE: '1', ...opts.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // Decoded as a stream: a chunk may end inside a character (long CJK output), which decoding
  // each chunk on its own turned into two U+FFFD.
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin?.end(opts.input ?? '');
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function herald(args: string[], opts: CliOptions): Promise<CliResult> {
  return startHerald(args, opts).done;
}

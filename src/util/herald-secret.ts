import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from './secrets.ts';

/**
 * HERALD_SECRET signs links in emails. Without one (the demo), a random secret is
 * created once next to the store, so links stay valid across restarts.
 */
export function resolveSecret(env: Record<string, string | undefined>, storePath: string): { secret: string; generated: boolean } {
  if (env.HERALD_SECRET) {
    registerSecret(env.HERALD_SECRET);
    return { secret: env.HERALD_SECRET, generated: false };
  }
  const file = path.join(path.dirname(storePath), 'herald-secret');
  let secret: string;
  let generated = false;
  if (existsSync(file)) secret = readFileSync(file, 'utf8').trim();
  else {
    mkdirSync(path.dirname(file), { recursive: true });
    secret = randomBytes(32).toString('base64url');
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      generated = true;
    } catch (e) {
      // Another Herald process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      secret = readFileSync(file, 'utf8').trim();
    }
  }
  registerSecret(secret);
  return { secret, generated };
}

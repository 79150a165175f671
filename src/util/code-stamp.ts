import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root.ts';

let stamp: string | undefined;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Which Herald code is running, for caches of what the code computed (parsed pages): the
 * build's time when running dist/, the newest source file's time when running the sources
 * (a development checkout, the tests), so changed parsing code never meets stale results.
 * And which Node: its ICU data splits text (summaries) and its V8 writes the scan snapshot.
 */
export function codeStamp(): string {
  stamp ??= `${computeStamp()} node ${process.version}`;
  return stamp;
}

function computeStamp(): string {
  const version = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  if (!import.meta.url.endsWith('.ts')) {
    try {
      const built = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'dist/build.json'), 'utf8')) as { builtAt?: string };
      return `${version} built ${built.builtAt}`;
    } catch {
      /* no build record: fall through to the sources, if any */
    }
  }
  try {
    return `${version} sources ${newest(path.join(PROJECT_ROOT, 'src'))}`;
  } catch {
    return version;
  }
}

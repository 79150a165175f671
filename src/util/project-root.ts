import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `dir` holding a package.json (src/util/ and the built dist/ alike). */
function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return path.resolve(dir, '../..');
  }
}

/** The folder holding package.json, templates/ and config/, wherever Herald is run from. */
export const PROJECT_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Writes examples/site/content/ from examples/site/source/, turning each
 * `@DATE(-2h,+08:00)@` into a date that far from now, in that offset, so the demo
 * always has something new. Runs after `npm install`; `--if-missing` keeps an
 * existing content folder (so restarting the demo does not re-date it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { parseDuration } from '../src/config/duration.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'examples/site/source');
const target = path.join(root, 'examples/site/content');

if (process.argv.includes('--if-missing') && existsSync(target)) process.exit(0);

const now = DateTime.now();
function fill(text: string): string {
  return text.replace(/@DATE\(([+-])([^,]+),([^)]+)\)@/g, (_m, sign: string, amount: string, offset: string) => {
    const ms = (sign === '-' ? -1 : 1) * (parseDuration(amount) ?? 0);
    const zone = offset === 'Z' ? 'utc' : `UTC${offset}`;
    return now.plus({ milliseconds: ms }).setZone(zone).startOf('second').toISO({ suppressMilliseconds: true }) as string;
  });
}

function copy(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const from = path.join(dir, name);
    const to = path.join(target, path.relative(source, from));
    if (statSync(from).isDirectory()) n += copy(from);
    else {
      mkdirSync(path.dirname(to), { recursive: true });
      writeFileSync(to, fill(readFileSync(from, 'utf8')));
      n++;
    }
  }
  return n;
}

const count = copy(source);
console.log(`example site: wrote ${count} articles to ${path.relative(process.cwd(), target) || target} (dates relative to now)`);

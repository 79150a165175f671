/**
 * Reading and parsing one page: the step a scan takes only for pages it cannot take from the
 * parse cache or the scan snapshot. A module of its own, loaded when first needed, so a scan
 * that finds nothing changed does not load the parser (markdown, front matter, dates).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ArticleProblem } from './article.ts';
import { problemOf } from './errors.ts';
import { type ParsedPage, parseHugoPage } from './hugo/page.ts';
import { parseJekyllPage } from './jekyll/page.ts';
import type { WorkerParse } from './parallel-parse.ts';
import type { Candidate } from './scan.ts';
import { type ContentSettings, defaultLanguageCode, type SiteSettings } from './site.ts';

/**
 * The pure step a cache can wrap: one candidate's bytes and the site's settings in, the
 * article (or why it is not one) out.
 */
export function parseCandidate(c: Candidate, bytes: Uint8Array, site: SiteSettings, content: ContentSettings): ParsedPage {
  if (c.kind === 'jekyll') return parseJekyllPage(c.src, bytes, site, content);
  return parseHugoPage(c.src, bytes, site, content, c.lang, defaultLanguageCode(content, site));
}

/**
 * The buffer each thread reads pages into. A new buffer for each file (readFileSync) is fresh
 * memory each time, and touching fresh memory is what a cold scan pays most for on a small VM:
 * reading 1,333 pages of 3-30 KB took ~60 µs a file that way, ~45 µs into this one.
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/**
 * A page's bytes: in SCRATCH (valid until the next call on this thread) when the file fits,
 * else a buffer of their own. Synchronous on purpose: small local files, where a thread-pool
 * round trip per call cost more than the read itself (measured: 2,000 files).
 */
function readPage(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  let length = 0;
  try {
    for (let n = -1; n !== 0 && length < SCRATCH.length; length += n) n = readSync(fd, SCRATCH, length, SCRATCH.length - length, null);
  } finally {
    closeSync(fd);
  }
  return length < SCRATCH.length ? SCRATCH.subarray(0, length) : readFileSync(path);
}

/**
 * One file read and parsed (no cache): the page and the bytes it came from (valid only until
 * the next parseFile on this thread: use them at once), or why it is no page.
 */
export function parseFile(c: Candidate, content: ContentSettings, site: SiteSettings): { page: ParsedPage; bytes: Uint8Array } | ArticleProblem {
  try {
    const bytes = readPage(c.absolute);
    return { page: parseCandidate(c, bytes, site, content), bytes };
  } catch (err) {
    return problemOf(c.src.file, err);
  }
}

/** sha256 of a parsed page's bytes (an article carries it already: not computed twice). */
export function bytesHash(page: ParsedPage, bytes: Uint8Array): string {
  return page.article?.contentHash ?? createHash('sha256').update(bytes).digest('hex');
}

/** The parse of one page on a worker thread (parse-worker.ts): its JSON and hash, or the problem. */
export function parseFileForWorker(c: Candidate, content: ContentSettings, site: SiteSettings): WorkerParse {
  const parsed = parseFile(c, content, site);
  if (!('page' in parsed)) return parsed;
  return { json: JSON.stringify(parsed.page), hash: bytesHash(parsed.page, parsed.bytes) };
}

/**
 * Reading and parsing one page: the step a scan takes only for pages it cannot take from the
 * parse cache or the scan snapshot. A module of its own, loaded when first needed, so a scan
 * that finds nothing changed does not load the parser (markdown, front matter, dates).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** One file read and parsed (no cache): the page and the bytes it came from, or why it is no page. */
export function parseFile(c: Candidate, content: ContentSettings, site: SiteSettings): { page: ParsedPage; bytes: Uint8Array } | ArticleProblem {
  try {
    // Synchronous on purpose: small local files, where a thread-pool round trip per call
    // cost more than the read itself (measured: 2,000 files).
    const bytes = readFileSync(c.absolute);
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

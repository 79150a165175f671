import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Article, ArticleProblem, ScanResult } from './article.ts';
import { assertValidZone } from './dates.ts';
import { ArticleParseError } from './errors.ts';
import { DEFAULT_PERMALINK, unknownPermalinkTokens } from './permalink.ts';
import { parseArticle } from './parse-article.ts';
import { isBundleIndex, isListPage, isMarkdownFile } from './paths.ts';
import type { ContentSettings, SiteSettings } from './site.ts';
import { describeTooLarge, MAX_ARTICLE_BYTES } from './source-text.ts';
import { assertSiteUrl } from './urls.ts';

/** How many files are read at once: enough to hide latency, few enough to stay clear of EMFILE. */
const READ_CONCURRENCY = 16;

interface Candidate {
  /** Relative path with `/` separators. */
  file: string;
  absolute: string;
}

/**
 * Reads every article under content.dir. Never throws for a bad file (it
 * becomes a problem); throws only when content.dir itself cannot be read.
 * Output is deterministic: problems in path order, articles by publishedAt then id.
 */
export async function scanContent(content: ContentSettings, site: SiteSettings): Promise<ScanResult> {
  assertUsableSettings(content, site);
  let root: string;
  try {
    root = await realpath(content.dir);
  } catch (err) {
    throw new Error(`content.dir ${content.dir} cannot be read: ${(err as Error).message}`);
  }
  const problems: ArticleProblem[] = [];
  const candidates: Candidate[] = [];
  await walk(content.dir, '', candidates, problems, new Set([root]));

  const outcomes = await mapLimited(candidates, READ_CONCURRENCY, (c) => readOne(c, content, site));

  const articles: Article[] = [];
  const firstFileById = new Map<string, string>();
  for (const outcome of outcomes) {
    if ('reason' in outcome) {
      problems.push(outcome);
      continue;
    }
    const earlier = firstFileById.get(outcome.id);
    if (earlier !== undefined) {
      problems.push({ file: outcome.file, reason: `duplicate id "${outcome.id}": already used by ${earlier}; give one of them a different slug` });
      continue;
    }
    firstFileById.set(outcome.id, outcome.file);
    articles.push(outcome);
  }

  problems.sort((a, b) => compareText(a.file, b.file));
  articles.sort((a, b) => Date.parse(a.publishedAt) - Date.parse(b.publishedAt) || compareText(a.id, b.id));
  return { articles, problems };
}

/** A settings mistake would fail every file identically; say it once instead. */
function assertUsableSettings(content: ContentSettings, site: SiteSettings): void {
  try {
    assertSiteUrl(site.url);
    assertValidZone(site.timezone);
    const unknown = unknownPermalinkTokens(content.permalink || DEFAULT_PERMALINK);
    if (unknown.length > 0) throw new ArticleParseError(`content.permalink "${content.permalink}" has unknown token ${unknown.join(', ')}`);
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

async function readOne(c: Candidate, content: ContentSettings, site: SiteSettings): Promise<Article | ArticleProblem> {
  try {
    const info = await stat(c.absolute);
    // Checked before reading so a stray video renamed .md is never loaded into memory.
    if (info.size > MAX_ARTICLE_BYTES) return { file: c.file, reason: describeTooLarge(info.size) };
    const bytes = await readFile(c.absolute);
    return parseArticle(c.file, bytes, site, content);
  } catch (err) {
    if (err instanceof ArticleParseError) return { file: c.file, reason: err.reason };
    return { file: c.file, reason: `cannot read file: ${(err as Error).message}` };
  }
}

/**
 * Collects markdown files in sorted order. Skips dot-entries, node_modules and
 * `_index.md` list pages. In a leaf bundle (a folder with index.md) only the
 * index is a page; other markdown there is a page resource, as in Hugo.
 */
async function walk(dir: string, rel: string, out: Candidate[], problems: ArticleProblem[], seen: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort(compareText);
  } catch (err) {
    if (rel === '') throw new Error(`content.dir ${dir} cannot be read: ${(err as Error).message}`);
    problems.push({ file: rel, reason: `cannot read folder: ${(err as Error).message}` });
    return;
  }
  const visible = names.filter((n) => !n.startsWith('.') && n !== 'node_modules');
  const bundleIndexes = rel === '' ? [] : visible.filter(isBundleIndex);

  for (const name of visible) {
    const absolute = join(dir, name);
    const file = rel === '' ? name : `${rel}/${name}`;
    if (bundleIndexes.length > 0) {
      if (bundleIndexes.includes(name)) out.push({ file, absolute });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = (await stat(absolute)).isDirectory(); // follows symlinks
    } catch (err) {
      if (isMarkdownFile(name)) problems.push({ file, reason: `cannot read file: ${(err as Error).message}` });
      continue;
    }
    if (isDir) {
      // A symlinked folder pointing back up would otherwise loop forever.
      const real = await realpath(absolute);
      if (seen.has(real)) continue;
      seen.add(real);
      await walk(absolute, file, out, problems, seen);
    } else if (isMarkdownFile(name) && !isListPage(name)) {
      out.push({ file, absolute });
    }
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Code-unit order: the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

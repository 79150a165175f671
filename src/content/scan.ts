import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Article, ArticleProblem, ScanResult, ScanWarning, SkippedFile } from './article.ts';
import { assertValidZone } from './dates.ts';
import { ArticleParseError, problemOf } from './errors.ts';
import type { ParsedPage } from './hugo/page.ts';
import { compareText, type HugoCandidate, walkHugo } from './hugo/walk.ts';
import type { JekyllCandidate } from './jekyll/page.ts';
import { type FileInfo, fileInfo, fileStat, folderTime, newWalkInputs, noteFile, type WalkInputs } from './walk-inputs.ts';
import { cloneable, type EarlyWorker, endUnused, PARALLEL_PARSE_MIN, parseInParallel, parseThreads, startParseWorkers, type WorkerParse } from './parallel-parse.ts';
import { type ParseCache, RACY_MS } from './parse-cache.ts';
import { unknownPermalinkTokens } from './permalink.ts';
import type { ContentSettings, SiteSettings } from './site.ts';
import { describeTooLarge, MAX_ARTICLE_BYTES } from './source-text.ts';
import { assertSiteUrl } from './urls.ts';

export interface ScanOptions {
  /** Also list files that are not content at all (images, data) as skipped. */
  all?: boolean;
  /** Pages parsed before: only new and changed files are read (see parse-cache.ts). */
  cache?: ParseCache;
  /** The last whole result, taken as it is when nothing it was made of changed (needs `cache`). */
  snapshots?: ScanSnapshots;
  /**
   * Threads that parse when there are at least `parallelMin` pages to parse (default: one per
   * core, at most four; from PARALLEL_PARSE_MIN pages). 1: this thread only.
   */
  threads?: number;
  parallelMin?: number;
  /**
   * The only article fields the caller reads: a result taken from a snapshot then holds just
   * those (a scan that reads pages still gives every field). See listSite in pipeline/scan.ts.
   */
  fields?: ReadonlySet<keyof Article>;
}

/**
 * Whole scan results, kept with what they were made of on disk (`ScanInputs`: the settings, the
 * folders the walk listed with their modification times, the files it read and the pages with
 * their sizes and times). A scan first stats the kept inputs (no listing, no walk), stopping at
 * the first difference; when all are the same, it takes the result as it is, without loading the
 * parse cache or touching a page. pipeline/scan.ts keeps one in the store.
 */
export interface ScanSnapshots {
  /** The kept snapshot's id and inputs, if one is kept. */
  kept(): Promise<{ id: string; inputs: ScanInputs } | undefined>;
  /** The result kept under this id, if it is still the one kept; with `fields`, its articles may hold only those. */
  find(id: string, fields?: ReadonlySet<keyof Article>): Promise<ScanResult | undefined>;
  /** A scan's result and what it was made of; undefined when something changed too recently to trust its time (none kept). */
  record(snapshot: { id: string; inputs: ScanInputs } | undefined, result: ScanResult): Promise<void>;
}

/** What a scan's result was made of: the walk's inputs and the pages (WalkInputs), and the settings. */
export interface ScanInputs extends WalkInputs {
  /** The parse cache's stamp (the settings, Herald's build and Node) and `all`. */
  stamp: string;
  all: boolean;
}

/** A file the walk found to be a page, with where it was found. */
export type Candidate = ({ kind: 'hugo' } & HugoCandidate) | ({ kind: 'jekyll' } & JekyllCandidate);

/**
 * Reads every page of the site. Never throws for a bad file (it becomes a problem);
 * throws only when the content folder itself cannot be read or the settings are unusable.
 * Output is deterministic: problems and skipped files in path order, articles by
 * publishedAt then id.
 */
export async function scanContent(content: ContentSettings, site: SiteSettings, opts: ScanOptions = {}): Promise<ScanResult> {
  // Jekyll's walk lives with its page parser (loaded for a Jekyll site only).
  const jekyll = content.generator === 'jekyll' ? await import('./jekyll/page.ts') : undefined;
  assertUsableSettings(content, site, jekyll?.unknownJekyllPlaceholders);
  const snapshots = opts.cache ? opts.snapshots : undefined;
  const stamp = opts.cache?.stamp ?? '';
  if (snapshots) {
    const kept = await snapshots.kept();
    if (kept && unchanged(kept.inputs, stamp, opts.all === true)) {
      const result = await snapshots.find(kept.id, opts.fields);
      if (result) return result;
    }
  }
  // Nothing cached: every page the walk finds will be parsed. Once it has found enough to parse
  // on several threads, the workers load while it walks on.
  const early: EarlyWorker[] = [];
  let found: ((count: number) => void) | undefined;
  if (opts.cache) {
    await opts.cache.ready();
    const threads = opts.threads ?? parseThreads();
    const enough = opts.parallelMin ?? PARALLEL_PARSE_MIN;
    if (opts.cache.size === 0 && threads > 1 && cloneable({ content, site })) {
      found = (count) => {
        if (count === enough) early.push(...startParseWorkers(threads - 1, { content, site }));
      };
    }
  }
  try {
    return await walkAndRead(content, site, opts, snapshots, stamp, jekyll, early, found);
  } finally {
    endUnused(early);
  }
}

/** scanContent past its snapshot: the walk, then every page from the parse cache or read. */
async function walkAndRead(
  content: ContentSettings,
  site: SiteSettings,
  opts: ScanOptions,
  snapshots: ScanSnapshots | undefined,
  stamp: string,
  jekyll: typeof import('./jekyll/page.ts') | undefined,
  early: readonly EarlyWorker[],
  found: ((count: number) => void) | undefined,
): Promise<ScanResult> {
  const inputs: WalkInputs | undefined = snapshots ? newWalkInputs() : undefined;
  const walkOpts = { all: opts.all, inputs, found };
  const candidates: Candidate[] = [];
  const skipped: SkippedFile[] = [];
  const problems: ArticleProblem[] = [];
  if (jekyll) {
    const walk = await jekyll.walkJekyll(content, walkOpts);
    candidates.push(...walk.candidates.map((c) => ({ kind: 'jekyll' as const, ...c })));
    skipped.push(...walk.skipped);
    problems.push(...walk.problems);
  } else {
    const walk = await walkHugo(content, site, walkOpts);
    candidates.push(...walk.candidates.map((c) => ({ kind: 'hugo' as const, ...c })));
    skipped.push(...walk.skipped);
    problems.push(...walk.problems);
  }

  // Before any page is read: a page changed after this shows as a difference next time.
  const files = statAll(candidates);
  let snapshot: { id: string; inputs: ScanInputs } | undefined;
  if (snapshots && inputs && opts.cache) {
    for (const [i, c] of candidates.entries()) {
      const f = files[i] as FileInfo;
      noteFile(inputs, c.absolute, 'error' in f ? null : f);
    }
    // Anything changed within the clock's resolution may change again keeping its size and time.
    const now = opts.cache.now();
    const recent = (t: number | null) => t !== null && now - t < RACY_MS;
    if (!inputs.folderTimes.some(recent) && !inputs.fileTimes.some(recent)) snapshot = { id: randomUUID(), inputs: { ...inputs, stamp, all: opts.all === true } };
  }
  // Where the walk found each page, as the parse cache keys it.
  const keys = opts.cache ? candidates.map((c) => (opts.cache as ParseCache).keyFor(c.src)) : [];
  const outcomes = await readAll(candidates, files, keys, content, site, opts, early);

  const articles: Article[] = [];
  const warnings: ScanWarning[] = [];
  const ids = new Set<string>();
  const byUrl = new Map<string, string>();
  for (const [i, outcome] of outcomes.entries()) {
    const c = candidates[i] as Candidate;
    const file = c.src.file;
    if ('reason' in outcome) {
      problems.push({ file, reason: outcome.reason });
      continue;
    }
    for (const w of outcome.warnings) warnings.push({ file, line: w.line, message: w.message });
    if (outcome.skipped) {
      skipped.push({ file, language: c.src.language, ...outcome.skipped });
      continue;
    }
    const article = outcome.article as Article;
    // Two files can name the same page (posts/trip.md and posts/trip/index.md): the second
    // keeps its own identity by its file name.
    if (ids.has(article.id)) article.id = uniqueId(`${article.file}${article.id.endsWith(`.${article.language}`) ? `.${article.language}` : ''}`, ids);
    ids.add(article.id);
    const earlier = byUrl.get(article.url);
    if (earlier !== undefined) warnings.push({ file, message: `same link as ${earlier} (${article.url}): the site publishes only one of them there` });
    else byUrl.set(article.url, file);
    articles.push(article);
  }

  problems.sort((a, b) => compareText(a.file, b.file));
  skipped.sort((a, b) => compareText(a.file, b.file) || compareText(a.language ?? '', b.language ?? ''));
  warnings.sort((a, b) => compareText(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0));
  // Each date read once, not at every comparison (~44,000 Date.parse calls for 2,000 articles).
  const published = new Map(articles.map((a) => [a, Date.parse(a.publishedAt)]));
  articles.sort((a, b) => (published.get(a) as number) - (published.get(b) as number) || compareText(a.id, b.id));
  const result = { articles, problems, skipped, warnings };
  await snapshots?.record(snapshot, result);
  return result;
}

function statAll(candidates: Candidate[]): FileInfo[] {
  return candidates.map((c) => ('stats' in c && c.stats ? c.stats : fileInfo(c.absolute)));
}

/** Whether every kept input is as it was (see ScanSnapshots); false at the first difference. */
function unchanged(kept: ScanInputs, stamp: string, all: boolean): boolean {
  if (kept.stamp !== stamp || kept.all !== all) return false;
  for (const [i, folder] of kept.folders.entries()) if (folderTime(folder) !== kept.folderTimes[i]) return false;
  for (const [i, file] of kept.files.entries()) {
    const f = fileStat(file);
    if ((f?.size ?? null) !== kept.fileSizes[i] || (f?.mtimeMs ?? null) !== kept.fileTimes[i]) return false;
  }
  return true;
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}~${n}`;
  return id;
}

/** A settings mistake would fail every file identically; say it once instead. */
function assertUsableSettings(content: ContentSettings, site: SiteSettings, unknownJekyllPlaceholders?: (template: string) => string[]): void {
  try {
    assertSiteUrl(site.url);
    assertValidZone(site.timezone);
    if (content.generator === 'jekyll') {
      const j = content.jekyll;
      if (!j) throw new ArticleParseError('a Jekyll site needs its settings (content.site pointing at the site)');
      for (const [name, t] of [['permalink', content.permalink || j.permalink], ...j.collections.map((c) => [`collections.${c.label}.permalink`, c.permalink])] as Array<[string, string]>) {
        const unknown = unknownJekyllPlaceholders?.(t) ?? [];
        if (unknown.length > 0) throw new ArticleParseError(`${name} "${t}" has unknown placeholder ${unknown.join(', ')}`);
      }
    } else {
      const patterns = [content.permalink ?? '', ...Object.values(content.permalinks ?? {}), ...(content.languages ?? []).flatMap((l) => Object.values(l.permalinks ?? {}))];
      for (const p of patterns) {
        const unknown = unknownPermalinkTokens(p);
        if (unknown.length > 0) throw new ArticleParseError(`permalink "${p}" has unknown token ${unknown.join(', ')}`);
      }
    }
    for (const source of content.ignoreFiles ?? []) {
      try {
        new RegExp(source);
      } catch (err) {
        throw new ArticleParseError(`ignoreFiles: "${source}" is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

type Outcome = ParsedPage | ArticleProblem;

/**
 * Every candidate's outcome, in candidate order: from the cache when the file is unchanged,
 * else read and parsed, by several threads when there are many to parse (parallel-parse.ts).
 */
async function readAll(
  candidates: Candidate[],
  files: FileInfo[],
  keys: string[],
  content: ContentSettings,
  site: SiteSettings,
  opts: ScanOptions,
  early: readonly EarlyWorker[],
): Promise<Outcome[]> {
  const cache = opts.cache;
  const outcomes = new Array<Outcome>(candidates.length);
  const infos = new Array<{ size: number; mtimeMs: number }>(candidates.length);
  const toParse: number[] = [];
  const touched: number[] = [];
  for (const [i, c] of candidates.entries()) {
    try {
      const info = files[i] as FileInfo;
      if ('error' in info) throw info.error;
      // Checked before reading so a stray video renamed .md is never loaded into memory.
      if (info.size > MAX_ARTICLE_BYTES) {
        outcomes[i] = { file: c.src.file, reason: describeTooLarge(info.size) };
        continue;
      }
      infos[i] = info;
      if (cache) {
        const absolute = c.absolute;
        const key = keys[i] as string;
        const known = cache.unchanged(absolute, key, info);
        if (known) {
          outcomes[i] = known;
          continue;
        }
        if (cache.hasEntry(absolute, key)) {
          touched.push(i);
          continue;
        }
      }
      toParse.push(i);
    } catch (err) {
      outcomes[i] = problemOf(c.src.file, err);
    }
  }

  if (toParse.length === 0 && touched.length === 0) return outcomes;
  // The parser (and markdown, dates, front matter) loads only when some page must be read.
  const { bytesHash, parseCandidate, parseFile } = await import('./parse-file.ts');
  for (const i of touched) {
    // Touched, maybe unchanged: its bytes decide (rare; on this thread).
    const c = candidates[i] as Candidate;
    try {
      const bytes = readFileSync(c.absolute);
      outcomes[i] = (cache as ParseCache).parsed(c.absolute, keys[i] as string, infos[i] as { size: number; mtimeMs: number }, bytes, () => parseCandidate(c, bytes, site, content));
    } catch (err) {
      outcomes[i] = problemOf(c.src.file, err);
    }
  }

  const parseHere = (i: number) => {
    const c = candidates[i] as Candidate;
    const parsed = parseFile(c, content, site);
    if (!('page' in parsed)) {
      outcomes[i] = parsed;
      return;
    }
    outcomes[i] = parsed.page;
    cache?.fresh(c.absolute, keys[i] as string, infos[i] as { size: number; mtimeMs: number }, bytesHash(parsed.page, parsed.bytes), JSON.stringify(parsed.page));
  };
  const take = (i: number, parsed: WorkerParse) => {
    const c = candidates[i] as Candidate;
    if (!('json' in parsed)) {
      outcomes[i] = parsed;
      return;
    }
    outcomes[i] = JSON.parse(parsed.json) as ParsedPage;
    cache?.fresh(c.absolute, keys[i] as string, infos[i] as { size: number; mtimeMs: number }, parsed.hash, parsed.json);
  };
  const threads = opts.threads ?? parseThreads();
  if (threads > 1 && toParse.length >= (opts.parallelMin ?? PARALLEL_PARSE_MIN) && cloneable({ content, site }) && toParse.every((i) => cloneable(candidates[i]))) {
    await parseInParallel(toParse, candidates, threads, { content, site }, parseHere, take, early);
  } else {
    for (const i of toParse) parseHere(i);
  }
  return outcomes;
}


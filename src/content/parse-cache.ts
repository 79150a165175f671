/**
 * The parse cache: each content file's parsed page, kept (in the store) with the file's size,
 * modification time and content hash, so a scan re-reads and re-parses only what changed.
 *
 * A cached page is used when it was parsed the same way (its key: the site's settings, where
 * the walk found the file, Herald's build) and either the size and modification time are the
 * same, or, when they differ, the bytes hash the same (a touched but unchanged file). A file
 * modified in the last two seconds is always re-read: a second change within the clock's
 * resolution could keep both size and time.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { ParsedPage } from './hugo/page.ts';

export interface CachedPage {
  /** The file's absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the bytes. */
  hash: string;
  /** How it was parsed (see ParseCache.keyFor). */
  key: string;
  /** The parsed page as JSON: each use parses its own copy, so no caller can change the cache. */
  page: string;
}

/** Files changed on disk less than this long ago are always read (mtime granularity). */
export const RACY_MS = 2000;

/** The cached pages, or how to load them when a scan first needs them. */
export type CachedPages = Iterable<CachedPage> | (() => Promise<Iterable<CachedPage>>);

export class ParseCache {
  private known = new Map<string, CachedPage>();
  private load: (() => Promise<Iterable<CachedPage>>) | undefined;
  private readonly seen = new Set<string>();
  /** Whether this scan looked at the files through the cache (a scan taken whole from a snapshot does not). */
  private consulted = false;
  /** Entries parsed (or re-validated) by this scan, to be saved. */
  readonly changed: CachedPage[] = [];
  /** What the last scan did: files taken from the cache, files read. */
  readonly stats = { reused: 0, read: 0 };

  /** The stamp's sha256, which begins each key (see keyFor): computed when a key is first asked for. */
  private keyStamp: string | undefined;

  /**
   * `stamp` identifies the settings and the code, as any text; an entry parsed under another
   * stamp is not used. Kept as given (a scan snapshot compares it) and hashed only for the keys,
   * so a scan answered by its snapshot hashes nothing (and, from the build, never loads node:crypto).
   */
  constructor(
    readonly stamp: string,
    entries: CachedPages = [],
    readonly now: () => number = Date.now,
  ) {
    if (typeof entries === 'function') this.load = entries;
    else this.known = new Map([...entries].map((e) => [e.path, e]));
  }

  /** Loads the cached pages on first use (a scan that finds nothing changed never needs them); to be awaited before a scan looks up files. */
  async ready(): Promise<void> {
    this.consulted = true;
    const load = this.load;
    if (!load) return;
    this.load = undefined;
    this.known = new Map([...(await load())].map((e) => [e.path, e]));
  }

  /** Pages cached (after `ready`): none on a site's first scan, when every page will be parsed. */
  get size(): number {
    return this.known.size;
  }

  /** The key of one file: the stamp plus where the walk found it (its source: section, bundle, cascade, language…). */
  keyFor(candidate: unknown): string {
    // Plain JSON (the walk builds candidates the same way each time; other code is another stamp).
    // Plain data too: paths, names and front matter values, no regular expression (no replacer: the fast path).
    this.keyStamp ??= createHash('sha256').update(this.stamp).digest('base64url');
    return `${this.keyStamp} ${JSON.stringify(candidate)}`;
  }

  /** Starts a new scan over the same cache (the daemon keeps one across rescans). */
  begin(): void {
    this.consulted = false;
    this.seen.clear();
    this.changed.length = 0;
    this.stats.reused = 0;
    this.stats.read = 0;
  }

  /** The cached page when size and time say the file is unchanged; undefined: read it. */
  unchanged(path: string, key: string, info: Pick<Stats, 'size' | 'mtimeMs'>): ParsedPage | undefined {
    this.seen.add(path);
    const hit = this.known.get(path);
    if (!hit || hit.key !== key || hit.size !== info.size || hit.mtimeMs !== info.mtimeMs) return undefined;
    if (this.now() - info.mtimeMs < RACY_MS) return undefined;
    this.stats.reused++;
    return JSON.parse(hit.page) as ParsedPage;
  }

  /**
   * Whether the file must be read to know (a page cached under the same key whose size or time
   * changed: unchanged bytes keep it); otherwise only a fresh parse will do (see `fresh`).
   */
  hasEntry(path: string, key: string): boolean {
    return this.known.get(path)?.key === key;
  }

  /** A page parsed afresh (nothing usable cached), with the sha256 of its bytes and its JSON: recorded. */
  fresh(path: string, key: string, info: Pick<Stats, 'size' | 'mtimeMs'>, hash: string, page: string): void {
    this.seen.add(path);
    this.stats.read++;
    this.remember({ path, size: info.size, mtimeMs: info.mtimeMs, hash, key, page });
  }

  /** After reading the bytes: the cached page when they hash the same, else the freshly parsed one (recorded). */
  parsed(path: string, key: string, info: Pick<Stats, 'size' | 'mtimeMs'>, bytes: Uint8Array, parse: () => ParsedPage): ParsedPage {
    this.seen.add(path);
    this.stats.read++;
    const sha256 = () => createHash('sha256').update(bytes).digest('hex');
    const hit = this.known.get(path);
    const hash = hit && hit.key === key ? sha256() : undefined;
    // Unchanged but touched: not parsed again; its new time is saved.
    if (hit && hit.hash === hash) {
      this.remember({ ...hit, size: info.size, mtimeMs: info.mtimeMs });
      return JSON.parse(hit.page) as ParsedPage;
    }
    const page = parse();
    // An article carries the same hash of its bytes already: not computed twice.
    this.remember({ path, size: info.size, mtimeMs: info.mtimeMs, hash: hash ?? page.article?.contentHash ?? sha256(), key, page: JSON.stringify(page) });
    return page;
  }

  private remember(entry: CachedPage): void {
    this.known.set(entry.path, entry);
    this.changed.push(entry);
  }

  /** Paths cached but not seen by this scan (deleted files): forgotten. None when the scan did not look (see ready). */
  removed(): string[] {
    if (!this.consulted) return [];
    const gone = [...this.known.keys()].filter((p) => !this.seen.has(p));
    for (const p of gone) this.known.delete(p);
    return gone;
  }
}

/** JSON with sorted keys and regular expressions as their source, so equal settings give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
    if (v instanceof Map) return Object.fromEntries([...v].sort(([a], [b]) => String(a).localeCompare(String(b))));
    if (v instanceof Set) return [...v];
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

/**
 * Walks a Hugo site's content folders the way Hugo does: per language content folder,
 * language suffixes, leaf bundles (their other files are resources), `_index` list pages
 * (which make nested folders sections and may `cascade` front matter), `ignoreFiles`.
 * Finds the pages to read; reads only the small `_index` files itself.
 */
import { noteFile, noteFolder, type WalkOptions } from '../walk-inputs.ts';
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ArticleProblem, SkippedFile } from '../article.ts';
import { ArticleParseError } from '../errors.ts';
import { readFrontMatter } from '../front-matter.ts';
import { globToRegExp } from '../glob.ts';
import { type HugoSource, hugoPagePath, isHiddenName, splitContentFileName } from '../paths.ts';
import { type ContentSettings, defaultLanguageCode, type SiteLanguage, type SiteSettings, siteLanguages } from '../site.ts';
import { decodeSourceText } from '../source-text.ts';
import { getField } from '../values.ts';

export interface HugoCandidate {
  src: HugoSource;
  absolute: string;
  lang: SiteLanguage;
  /** Size and modification time when the walk had them (a symlinked file); else the scan stats the file. */
  stats?: { size: number; mtimeMs: number };
}

export interface HugoWalk {
  candidates: HugoCandidate[];
  skipped: SkippedFile[];
  problems: ArticleProblem[];
}

interface CascadeEntry {
  values: Record<string, unknown>;
  path?: RegExp;
  kind?: string;
  lang?: string;
}

interface FolderContext {
  /** Sections of pages directly in this folder. */
  sections: string[];
  /** Their section has no _index file. */
  auto: boolean;
  /** Cascade entries from the root down to this folder, per language. */
  cascades: Map<string, CascadeEntry[]>;
}

/** Code-unit order: the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function walkHugo(content: ContentSettings, site: SiteSettings, opts: WalkOptions = {}): Promise<HugoWalk> {
  const languages = siteLanguages(content, site);
  const defaultLanguage = defaultLanguageCode(content, site);
  const known = new Set([...languages.map((l) => l.code), ...(content.disabledLanguages ?? [])]);
  const disabled = new Set(content.disabledLanguages ?? []);
  const byCode = new Map(languages.map((l) => [l.code, l]));
  const ignore = (content.ignoreFiles ?? []).map((source) => new RegExp(source));
  const out: HugoWalk = { candidates: [], skipped: [], problems: [] };

  // Languages that share a folder read it once; the default language owns unsuffixed files there.
  const folders = new Map<string, SiteLanguage[]>();
  for (const l of languages) folders.set(l.contentDir, [...(folders.get(l.contentDir) ?? []), l]);
  const allDirs = [...folders.keys()].map((d) => realOr(d));

  let firstDir = true;
  for (const [dir, langs] of folders) {
    const owner = langs.find((l) => l.code === defaultLanguage) ?? (langs[0] as SiteLanguage);
    let root: string;
    try {
      root = realpathSync.native(dir);
    } catch (err) {
      // The main folder must exist; another language's missing folder is that language's problem only.
      if (firstDir) throw new Error(`content folder ${dir} cannot be read: ${(err as Error).message}`);
      out.problems.push({ file: dir, reason: `content folder of language "${owner.code}" cannot be read: ${(err as Error).message}` });
      continue;
    }
    firstDir = false;
    const otherRoots = new Set(allDirs.filter((d) => d !== root));
    const state = { owner, known, disabled, byCode, ignore, opts, out, otherRoots, seen: new Set([root]) };
    // Normal (no trailing slash): paths below are joined as text (listFolder).
    await walkFolder(state, resolve(dir), '', { sections: [], auto: false, cascades: new Map() }, root);
  }
  // One page per path and language: like Hugo, the last one found wins (files come before
  // the folders beside them, so a bundle wins over a page of the same name).
  const last = new Map<string, HugoCandidate>();
  for (const c of out.candidates) last.set(`${c.src.language}\0${hugoPagePath(c.src)}`, c);
  out.candidates = out.candidates.filter((c) => {
    const winner = last.get(`${c.src.language}\0${hugoPagePath(c.src)}`) as HugoCandidate;
    if (winner === c) return true;
    out.skipped.push({ file: c.src.file, language: c.src.language, reason: 'shadowed', detail: `${winner.src.file} is the same page (${hugoPagePath(c.src) || '/'}); Hugo builds only that one` });
    return false;
  });
  return out;
}

// Synchronous file system calls throughout: a walk makes thousands of small calls, each a
// thread-pool round trip when asynchronous, which cost more than the calls themselves.
function realOr(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}

interface WalkState {
  owner: SiteLanguage;
  known: Set<string>;
  disabled: Set<string>;
  byCode: Map<string, SiteLanguage>;
  ignore: RegExp[];
  opts: WalkOptions;
  out: HugoWalk;
  otherRoots: Set<string>;
  seen: Set<string>;
}

interface Entry {
  name: string;
  absolute: string;
  rel: string;
  isDir: boolean;
  /** A folder's real path, when known without asking (no symlink on the way from the walked root). */
  real?: string;
  /** Size and time when the entry had to be stat'ed anyway (a symlink); files are stat'ed by the scan. */
  stats?: { size: number; mtimeMs: number };
}

/**
 * The folder's entries. Their types come with the listing: only symlinks (and entries of
 * unknown type) are stat'ed here, and only pages are stat'ed later (by the scan), so a
 * bundle's resources and the folders cost no call of their own.
 */
async function listFolder(state: WalkState, absolute: string, rel: string, real: string | undefined): Promise<Entry[] | undefined> {
  let dirents: Dirent[];
  noteFolder(state.opts.inputs, absolute);
  try {
    dirents = readdirSync(absolute, { withFileTypes: true }).sort((a, b) => compareText(a.name, b.name));
  } catch (err) {
    if (rel === '') throw new Error(`content folder ${absolute} cannot be read: ${(err as Error).message}`);
    state.out.problems.push({ file: rel, reason: `cannot read folder: ${(err as Error).message}` });
    return undefined;
  }
  const entries: Entry[] = [];
  for (const d of dirents) {
    const name = d.name;
    if (isHiddenName(name)) continue;
    // Joined as text: the folder's path is already normal and a listed name has no slash (path.join normalises again, 10,000 times a scan).
    const abs = `${absolute}/${name}`;
    const entryRel = rel === '' ? name : `${rel}/${name}`;
    if (d.isDirectory()) {
      entries.push({ name, absolute: abs, rel: entryRel, isDir: true, real: real === undefined ? undefined : `${real}/${name}` });
      continue;
    }
    if (d.isFile()) {
      entries.push({ name, absolute: abs, rel: entryRel, isDir: false });
      continue;
    }
    try {
      const info = statSync(abs);
      entries.push({ name, absolute: abs, rel: entryRel, isDir: info.isDirectory(), stats: { size: info.size, mtimeMs: info.mtimeMs } });
    } catch (err) {
      state.out.problems.push({ file: entryRel, reason: `cannot read file: ${(err as Error).message}` });
    }
  }
  return entries;
}

/** A folder reached again through a symlink (or another language's folder) is not walked twice. Its real path, or undefined: skip it. */
async function enterFolder(state: WalkState, e: Entry): Promise<string | undefined> {
  const real = e.real ?? realOr(e.absolute);
  if (state.seen.has(real) || state.otherRoots.has(real)) return undefined;
  state.seen.add(real);
  return real;
}

function languageOf(state: WalkState, suffix: string | undefined): string {
  return suffix ?? state.owner.code;
}

async function walkFolder(state: WalkState, absolute: string, rel: string, parent: FolderContext, real: string | undefined): Promise<void> {
  const entries = await listFolder(state, absolute, rel, real);
  if (!entries) return;
  const files = entries.filter((e) => !e.isDir);
  const named = files.map((e) => ({ e, split: splitContentFileName(e.name, state.known) }));

  // A leaf bundle: its index files are the pages; everything else below is a resource.
  const indexes = named.filter((n) => n.split?.baseName === 'index');
  if (indexes.length > 0) {
    for (const { e, split } of indexes) addPage(state, e, split?.language, rel, true, split?.ext ?? 'md', parent);
    const owner = (indexes[0] as (typeof indexes)[number]).e.rel;
    for (const e of entries) if (!indexes.some((i) => i.e === e)) await listResources(state, e, owner);
    return;
  }

  const ctx: FolderContext = { sections: parent.sections, auto: parent.auto, cascades: parent.cascades };
  const depth = rel === '' ? 0 : rel.split('/').length;
  const listPages = named.filter((n) => n.split?.baseName === '_index');
  if (depth === 1 || (depth > 1 && listPages.length > 0)) {
    ctx.sections = rel.split('/');
    ctx.auto = listPages.length === 0;
  }
  if (listPages.length > 0) {
    ctx.cascades = new Map(parent.cascades);
    for (const { e, split } of listPages) {
      const language = languageOf(state, split?.language);
      state.out.skipped.push({ file: e.rel, language, reason: 'list-page', detail: rel === '' ? 'the home page (_index), a list page' : `the list page of section ${rel}` });
      const entries = await readCascade(state, e);
      if (entries.length > 0) ctx.cascades.set(language, [...(ctx.cascades.get(language) ?? []), ...entries]);
    }
  }

  for (const { e, split } of named) {
    if (split === undefined) {
      if (state.opts.all) state.out.skipped.push({ file: e.rel, reason: 'not-content', detail: 'not a content format Hugo renders' });
      continue;
    }
    if (split.baseName === '_index') continue;
    addPage(state, e, split.language, rel, false, split.ext, ctx);
  }
  for (const e of entries) {
    if (!e.isDir) continue;
    const entered = await enterFolder(state, e);
    if (entered === undefined) continue;
    await walkFolder(state, e.absolute, e.rel, ctx, entered);
  }
}

function addPage(state: WalkState, e: Entry, suffix: string | undefined, dir: string, bundle: boolean, ext: string, ctx: FolderContext): void {
  const language = languageOf(state, suffix);
  if (state.ignore.some((re) => re.test(e.absolute))) {
    state.out.skipped.push({ file: e.rel, language, reason: 'ignored', detail: "matches the site's ignoreFiles" });
    return;
  }
  const lang = state.byCode.get(language);
  if (state.disabled.has(language) || !lang) {
    state.out.skipped.push({ file: e.rel, language, reason: 'language-disabled', detail: `language "${language}" is disabled on this site` });
    return;
  }
  const parts = dir === '' ? [] : dir.split('/');
  const pageFolders = bundle ? parts.slice(0, -1) : parts;
  const name = e.name;
  const baseName = bundle ? 'index' : (splitContentFileName(name, state.known)?.baseName ?? name);
  const src: HugoSource = {
    file: e.rel,
    language,
    dir,
    baseName,
    ext,
    bundle,
    section: pageFolders[0] ?? '',
    // A bundle gets its parent folder's context, so its own folder is never its section.
    sections: pageFolders.length === 0 ? [] : ctx.sections,
    autoSection: pageFolders.length > 0 && ctx.auto,
  };
  const cascade = resolveCascade(ctx.cascades.get(language), src);
  if (cascade) src.cascade = cascade;
  state.out.candidates.push(e.stats ? { src, absolute: e.absolute, lang, stats: e.stats } : { src, absolute: e.absolute, lang });
  state.opts.found?.(state.out.candidates.length);
}

async function listResources(state: WalkState, e: Entry, owner: string): Promise<void> {
  if (!e.isDir) {
    const split = splitContentFileName(e.name, state.known);
    if (split) state.out.skipped.push({ file: e.rel, reason: 'resource', detail: `a resource of the page bundle ${owner}, not a page` });
    else if (state.opts.all) state.out.skipped.push({ file: e.rel, reason: 'not-content', detail: `a resource of the page bundle ${owner}` });
    return;
  }
  const entered = await enterFolder(state, e);
  if (entered === undefined) return;
  const entries = await listFolder(state, e.absolute, e.rel, entered);
  for (const child of entries ?? []) await listResources(state, child, owner);
}

async function readCascade(state: WalkState, e: Entry): Promise<CascadeEntry[]> {
  let data: Record<string, unknown>;
  noteFile(state.opts.inputs, e.absolute);
  try {
    data = readFrontMatter(decodeSourceText(readFileSync(e.absolute)), 'hugo').data;
  } catch (err) {
    const reason = err instanceof ArticleParseError ? err.reason : (err as Error).message;
    state.out.problems.push({ file: e.rel, reason: `list page: ${reason}` });
    return [];
  }
  const field = getField(data, 'cascade');
  if (!field || typeof field.value !== 'object' || field.value === null) return [];
  const items = Array.isArray(field.value) ? field.value : [field.value];
  const entries: CascadeEntry[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const values = { ...(item as Record<string, unknown>) };
    const targetField = getField(values, '_target');
    for (const k of Object.keys(values)) if (k.toLowerCase() === '_target') delete values[k];
    const entry: CascadeEntry = { values };
    const target = targetField?.value;
    if (target && typeof target === 'object' && !Array.isArray(target)) {
      const t = target as Record<string, unknown>;
      const path = getField(t, 'path')?.value;
      const kind = getField(t, 'kind')?.value;
      const lang = getField(t, 'lang')?.value;
      if (typeof path === 'string' && path !== '') entry.path = globToRegExp(path.toLowerCase());
      if (typeof kind === 'string' && kind !== '') entry.kind = kind.toLowerCase();
      if (typeof lang === 'string' && lang !== '') entry.lang = lang.toLowerCase();
    }
    entries.push(entry);
  }
  return entries;
}

/** The nearest section's values win; a `_target` limits an entry by path glob, kind or language. */
function resolveCascade(entries: CascadeEntry[] | undefined, src: HugoSource): Record<string, unknown> | undefined {
  if (!entries || entries.length === 0) return undefined;
  const stem = src.dir === '' ? src.baseName : `${src.dir}/${src.baseName}`;
  const paths = [`/${stem}`.toLowerCase(), `/${src.file}`.toLowerCase(), `/${src.bundle ? src.dir : stem}`.toLowerCase()];
  const merged: Record<string, unknown> = {};
  for (const e of entries) {
    if (e.kind && e.kind !== 'page') continue;
    if (e.lang && e.lang !== src.language) continue;
    if (e.path && !paths.some((p) => e.path?.test(p))) continue;
    Object.assign(merged, e.values);
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

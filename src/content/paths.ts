/**
 * What a file's name and place say about the page, following Hugo's content layout:
 * content formats, language suffixes (`index.zh.md`), leaf bundles (`index.*`), list
 * pages (`_index.*`), sections.
 */

/** The content formats Hugo renders (source/content_directory: html, markdown, asciidoc, rst, org, pandoc). */
export const HUGO_CONTENT_EXTENSIONS: ReadonlySet<string> = new Set(['md', 'markdown', 'mdown', 'html', 'htm', 'asciidoc', 'adoc', 'ad', 'rest', 'rst', 'org', 'pandoc', 'pdc']);

export interface ContentFileName {
  /** Name without extension and language (Hugo's TranslationBaseName): `index` for `index.zh.md`. */
  baseName: string;
  /** The language named in the file name, when it is one of the site's languages. */
  language?: string;
  /** Extension without the dot, as written. */
  ext: string;
}

/**
 * Splits a content file name, or returns undefined when it is not a content format.
 * Extensions are case-sensitive, as in Hugo (`a.MD` is not content). A language suffix
 * counts only when it is one of `languages` (`a.fr.md` on a site without French is the
 * page `a.fr`).
 */
export function splitContentFileName(name: string, languages: ReadonlySet<string>): ContentFileName | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = name.slice(dot + 1);
  if (!HUGO_CONTENT_EXTENSIONS.has(ext)) return undefined;
  const stem = name.slice(0, dot);
  const langDot = stem.lastIndexOf('.');
  if (langDot > 0) {
    const language = stem.slice(langDot + 1);
    if (languages.has(language)) return { baseName: stem.slice(0, langDot), language, ext };
  }
  return { baseName: stem, ext };
}

/** Files and folders Hugo never sees: dot-files, `#…` and `…~` editor files (and Herald skips node_modules). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('#') || name.endsWith('~') || name === 'node_modules';
}

export function normalizeRelativePath(file: string): string {
  return file.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

/** Where a Hugo page sits, as the walk of the content folder found it. */
export interface HugoSource {
  /** Path relative to the language's content folder, `/`-separated (Hugo's `.File.Path`). */
  file: string;
  /** The site's code of the page's language. */
  language: string;
  /** The file's folder ('' at the root), without trailing slash. */
  dir: string;
  /** TranslationBaseName: `hello` for `hello.zh.md`, `index` for a bundle's index. */
  baseName: string;
  /** Extension without the dot. */
  ext: string;
  /** A leaf bundle's index (`trip/index.md`): the page is named after its folder. */
  bundle: boolean;
  /** First folder (Hugo's `.Section`), '' for root pages and root bundles. */
  section: string;
  /** Folders of the page's own section: the nearest folder with an `_index` file, or the first-level folder. */
  sections: readonly string[];
  /**
   * The page's section has no `_index` file (Hugo made it up): Hugo 0.111 then gives its
   * sections an empty last entry, so `:sections[last]` is empty.
   */
  autoSection?: boolean;
  /** Front matter the page inherits from its sections' `cascade` (the page's own keys win). */
  cascade?: Record<string, unknown>;
}

/**
 * Describes a file from its path alone, for callers that did not walk the folder: the
 * first-level folder is the section and deeper folders are not sections (they would be
 * only with an `_index` file, which a walk finds).
 */
export function describeHugoSource(file: string, language: string, languages: ReadonlySet<string> = new Set()): HugoSource {
  const normalized = normalizeRelativePath(file);
  const parts = normalized.split('/');
  const name = parts.pop() as string;
  const split = splitContentFileName(name, languages);
  const baseName = split?.baseName ?? name.replace(/\.[^.]*$/, '');
  const bundle = baseName === 'index';
  const dir = parts.join('/');
  const pageFolders = bundle ? parts.slice(0, -1) : parts;
  return {
    file: normalized,
    language: split?.language ?? language,
    dir,
    baseName,
    ext: split?.ext ?? name.slice(name.lastIndexOf('.') + 1),
    bundle,
    section: pageFolders[0] ?? '',
    sections: pageFolders.slice(0, 1),
    autoSection: pageFolders.length > 0,
  };
}

/** The page's path without extension and language; a bundle is its folder (`posts/trip`). */
export function hugoPagePath(src: Pick<HugoSource, 'dir' | 'baseName' | 'bundle'>): string {
  if (src.bundle) return src.dir;
  return src.dir === '' ? src.baseName : `${src.dir}/${src.baseName}`;
}

/** Hugo's `.TranslationKey` default: `page/` and the file's path without extension and language. */
export function hugoTranslationKey(src: Pick<HugoSource, 'dir' | 'baseName'>, translationKey?: string): string {
  if (translationKey) return `page/${translationKey}`;
  return `page/${src.dir === '' ? src.baseName : `${src.dir}/${src.baseName}`}`;
}

/** What a source file's path says about the page, following Hugo's content layout. */
export interface SourcePath {
  /** Relative path with `/` separators. */
  file: string;
  /** Path without extension; for a leaf bundle (`x/index.md`) the folder path. */
  pagePath: string;
  /** Value of `:filename`: file name without extension, or the bundle folder name. */
  filename: string;
  /** First folder above the page ('' at the root). A root bundle `post/index.md` is a page, not a section. */
  section: string;
  /** All folders above the page, `/`-joined (`:sections`). */
  sections: string;
  bundle: boolean;
}

const MARKDOWN_EXT = /\.(md|markdown)$/i;

export function isMarkdownFile(name: string): boolean {
  return MARKDOWN_EXT.test(name);
}

/** `_index.md` is a Hugo list page (section or home), never an article. */
export function isListPage(file: string): boolean {
  return /^_index\.(md|markdown)$/i.test(baseName(file));
}

export function isBundleIndex(name: string): boolean {
  return /^index\.(md|markdown)$/i.test(name);
}

export function normalizeRelativePath(file: string): string {
  return file.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

export function describeSourcePath(file: string): SourcePath {
  const normalized = normalizeRelativePath(file);
  const parts = normalized.split('/');
  const name = parts.pop() as string;
  const stem = name.replace(MARKDOWN_EXT, '');
  // A root-level index.md has no folder to name it after, so it stays a plain page.
  const bundle = isBundleIndex(name) && parts.length > 0;
  const folders = bundle ? parts.slice(0, -1) : parts;
  const filename = bundle ? (parts[parts.length - 1] as string) : stem;
  return {
    file: normalized,
    pagePath: [...folders, filename].join('/'),
    filename,
    section: folders[0] ?? '',
    sections: folders.join('/'),
    bundle,
  };
}

function baseName(file: string): string {
  const normalized = normalizeRelativePath(file);
  return normalized.slice(normalized.lastIndexOf('/') + 1);
}

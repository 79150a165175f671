import type { ContentSettings, SiteGenerator } from '../../content/site.ts';

/** One setting Herald took from the site, for `herald check`. */
export interface Provenance {
  /** Herald's name for it, e.g. `site.url`, `permalinks`. */
  setting: string;
  value: string;
  /** File and key, e.g. `hugo.toml baseurl`. */
  from: string;
}

/** What a site's own configuration says, before Herald's own keys override it. */
export interface SiteConfigRead {
  generator: SiteGenerator;
  /** Absolute site root. */
  root: string;
  /** Config files read, relative to the root. */
  files: string[];
  content: Partial<ContentSettings>;
  site: { url?: string; title?: string; timezone?: string; language?: string };
  provenance: Provenance[];
}

export class SiteConfigError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SiteConfigError';
  }
}

type SiteText = 'title' | 'timezone' | 'language';

/** Copies plain text settings from a site config (`[field, key]` pairs) and notes where each came from. */
export function copySiteText(
  tree: Record<string, unknown>,
  site: SiteConfigRead['site'],
  note: (setting: string, value: unknown, key: string) => void,
  pairs: Array<[SiteText, string]>,
): void {
  for (const [field, key] of pairs) {
    const v = tree[key];
    const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    if (!text) continue;
    site[field] = text;
    note(`site.${field}`, text, key);
  }
}

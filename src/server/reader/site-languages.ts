/** The site's languages as a reader chooses among them (sign-up page). */
import { type ContentSettings, defaultLanguageCode, type SiteSettings } from '../../content/site.ts';

export interface LanguageChoice {
  code: string;
  /** The language's name in itself (中文, English), or its code. */
  name: string;
  selected: boolean;
}

function nameOf(locale: string, code: string, given?: string): string {
  if (given) return given;
  try {
    return new Intl.DisplayNames([locale], { type: 'language' }).of(locale) ?? code;
  } catch {
    return code;
  }
}

/** [] for a one-language site; else every language, `wanted` (or the default) selected. */
export function siteLanguageChoices(content: ContentSettings, site: SiteSettings, wanted?: string): LanguageChoice[] {
  const languages = content.languages ?? [];
  if (languages.length < 2) return [];
  const chosen = languages.find((l) => wanted !== undefined && l.code.toLowerCase() === wanted.toLowerCase())?.code ?? defaultLanguageCode(content, site);
  return languages.map((l) => ({ code: l.code, name: nameOf(l.locale, l.code, l.name), selected: l.code === chosen }));
}

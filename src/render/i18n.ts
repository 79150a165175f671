import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * Interface strings ("Read more", "Unsubscribe", ...) for every Herald template.
 * Catalogs live in `<templates root>/i18n/<lang>.yaml`; a user root overrides
 * single keys, so a site can reword one string without copying the whole file.
 */

/** A message is a plain string or plural forms keyed by Intl.PluralRules category. */
export type Message = string | Partial<Record<Intl.LDMLPluralRule, string>>;
export type Catalog = Record<string, Message>;
export type MessageParams = Record<string, unknown>;

export const FALLBACK_LANGUAGE = 'en';

/**
 * Base languages whose bare tag means one specific catalog. `zh` alone is read as
 * Simplified Chinese (the common default); `zh-TW`/`zh-HK` deliberately do NOT
 * fall back to zh-CN, because readers of Traditional Chinese should not get
 * Simplified text silently: they get English unless a zh-TW catalog exists.
 */
const BARE_TAG_ALIASES: Record<string, string[]> = {
  zh: ['zh-CN', 'zh-Hans'],
  'zh-hans': ['zh-CN'],
  'zh-sg': ['zh-CN'],
  'zh-hant': ['zh-TW'],
  'zh-hk': ['zh-TW'],
  'zh-mo': ['zh-TW'],
};

export class I18n {
  private readonly catalogs: Map<string, Catalog>;
  /** Lower-case tag → tag as spelled in the file name. */
  private readonly tags: Map<string, string>;
  private readonly pluralRules = new Map<string, Intl.PluralRules>();

  constructor(catalogs: Map<string, Catalog>) {
    if (!catalogs.has(FALLBACK_LANGUAGE)) {
      throw new Error(`i18n: no "${FALLBACK_LANGUAGE}" catalog found (templates/i18n/${FALLBACK_LANGUAGE}.yaml is required as the fallback)`);
    }
    this.catalogs = catalogs;
    this.tags = new Map([...catalogs.keys()].map((t) => [t.toLowerCase(), t]));
  }

  get languages(): string[] {
    return [...this.catalogs.keys()];
  }

  /** exact tag → tag without region/script (`en-GB` → `en`) → alias of the bare tag (`zh` → `zh-CN`) → en. */
  resolve(tag: string | undefined): string {
    for (const candidate of languageCandidates(tag ?? '')) {
      const found = this.tags.get(candidate.toLowerCase());
      if (found !== undefined) return found;
    }
    return FALLBACK_LANGUAGE;
  }

  /**
   * The string for `key` in `lang` (resolved as above), with `{param}` filled in.
   * A key missing in the language falls back to English; a key missing there too is
   * a template bug and throws, naming the key.
   */
  t(lang: string, key: string, params: MessageParams = {}): string {
    const resolved = this.resolve(lang);
    const message = this.catalogs.get(resolved)?.[key] ?? this.catalogs.get(FALLBACK_LANGUAGE)?.[key];
    if (message === undefined) {
      throw new Error(`unknown interface string "${key}" (language ${resolved}); add it to templates/i18n/${FALLBACK_LANGUAGE}.yaml`);
    }
    const text = typeof message === 'string' ? message : this.pluralForm(resolved, message, params.count);
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = params[name];
      if (value === undefined || value === null) return whole;
      return Array.isArray(value) ? value.map(String).join(this.listSeparator(resolved)) : String(value);
    });
  }

  private listSeparator(lang: string): string {
    const sep = this.catalogs.get(lang)?.list_separator ?? this.catalogs.get(FALLBACK_LANGUAGE)?.list_separator;
    return typeof sep === 'string' ? sep : ', ';
  }

  private pluralForm(lang: string, forms: Exclude<Message, string>, count: unknown): string {
    let rules = this.pluralRules.get(lang);
    if (rules === undefined) {
      rules = new Intl.PluralRules(lang);
      this.pluralRules.set(lang, rules);
    }
    const n = typeof count === 'number' ? count : Number(count);
    const category = Number.isFinite(n) ? rules.select(n) : 'other';
    const text = forms[category] ?? forms.other;
    if (text === undefined) throw new Error(`interface string has no "${category}" or "other" form (language ${lang})`);
    return text;
  }
}

function languageCandidates(tag: string): string[] {
  const clean = tag.trim().replace(/_/g, '-');
  if (clean === '') return [];
  const parts = clean.split('-');
  const base = parts[0] ?? clean;
  const out = [clean];
  // zh-Hans-SG → zh-Hans: the script decides before the bare language does.
  if (parts.length > 2) out.push(`${base}-${parts[1]}`);
  if (parts.length > 1) out.push(base);
  // The bare tag's alias applies only to the bare tag itself, so zh-TW never reaches zh-CN.
  for (const t of [...out]) {
    if (t === base && parts.length > 1) continue;
    out.push(...(BARE_TAG_ALIASES[t.toLowerCase()] ?? []));
  }
  return out;
}

/** Reads `i18n/*.yaml` from each root; later roots override earlier ones key by key. */
export function loadI18n(roots: readonly string[]): I18n {
  const catalogs = new Map<string, Catalog>();
  for (const root of roots) {
    const dir = join(root, 'i18n');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(file);
      if (m?.[1] === undefined) continue;
      const lang = m[1];
      const path = join(dir, file);
      const catalog = parseCatalog(readFileSync(path, 'utf8'), path);
      const existingKey = [...catalogs.keys()].find((k) => k.toLowerCase() === lang.toLowerCase()) ?? lang;
      catalogs.set(existingKey, { ...catalogs.get(existingKey), ...catalog });
    }
  }
  return new I18n(catalogs);
}

function parseCatalog(source: string, path: string): Catalog {
  let data: unknown;
  try {
    data = parseYaml(source);
  } catch (e) {
    throw new Error(`i18n file ${path}: invalid YAML: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`i18n file ${path}: expected a mapping of keys to strings`);
  const catalog: Catalog = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'string') catalog[key] = value;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) {
      catalog[key] = value as Record<string, string>;
    } else {
      throw new Error(`i18n file ${path}: key "${key}" must be a string or a mapping of plural forms (one/other/...) to strings`);
    }
  }
  return catalog;
}

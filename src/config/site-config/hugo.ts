/**
 * Reads a Hugo site's own configuration the way Hugo 0.111 does: `hugo.{toml,yaml,json}`
 * or `config.{toml,yaml,json}` at the root, then `config/_default/` and
 * `config/production/` merged over it (a file `<key>.toml` there is the value of `<key>`).
 * Keys are case-insensitive (Hugo lower-cases them), language codes included.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { DateKeys } from '../../content/hugo/page.ts';
import type { ContentSettings, SiteLanguage } from '../../content/site.ts';
import { copySiteText, type Provenance, SiteConfigError, type SiteConfigRead } from './types.ts';

type Tree = Record<string, unknown>;

const ROOT_NAMES = ['hugo.toml', 'hugo.yaml', 'hugo.yml', 'hugo.json', 'config.toml', 'config.yaml', 'config.yml', 'config.json'];

export function isHugoSite(root: string): boolean {
  return ROOT_NAMES.some((n) => existsSync(path.join(root, n))) || existsSync(path.join(root, 'config', '_default'));
}

function parseFile(file: string): Tree {
  const text = readFileSync(file, 'utf8');
  try {
    const ext = path.extname(file).toLowerCase();
    const data = ext === '.toml' ? parseToml(text) : ext === '.json' ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== 'object' || Array.isArray(data)) throw new Error('expected a mapping of settings');
    return lowerKeys(data as Tree);
  } catch (err) {
    throw new SiteConfigError(file, (err as Error).message.split('\n')[0] ?? String(err));
  }
}

/** Hugo reads config keys case-insensitively; `params` keep their case in Hugo but Herald does not read them. */
function lowerKeys(tree: Tree): Tree {
  const out: Tree = {};
  for (const [k, v] of Object.entries(tree)) {
    out[k.toLowerCase()] = v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? lowerKeys(v as Tree) : v;
  }
  return out;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(prev as Tree, v as Tree) : v;
  }
  return out;
}

/** The merged config and which file each top-level key came from. */
function readTree(root: string): { tree: Tree; files: string[]; origin: Map<string, string> } {
  const files: string[] = [];
  const origin = new Map<string, string>();
  let tree: Tree = {};
  const take = (file: string, data: Tree) => {
    files.push(path.relative(root, file));
    for (const k of Object.keys(data)) origin.set(k, path.relative(root, file));
    tree = deepMerge(tree, data);
  };
  const rootFile = ROOT_NAMES.map((n) => path.join(root, n)).find((f) => existsSync(f));
  if (rootFile) take(rootFile, parseFile(rootFile));
  for (const env of ['_default', 'production']) {
    const dir = path.join(root, 'config', env);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const m = /^(.+)\.(toml|ya?ml|json)$/i.exec(name);
      if (!m) continue;
      const key = (m[1] as string).toLowerCase();
      const data = parseFile(path.join(dir, name));
      if (key === 'config' || key === 'hugo') take(path.join(dir, name), data);
      // menus.en.toml and the like are per-language extras Herald does not need.
      else if (!key.includes('.')) take(path.join(dir, name), { [key]: data });
    }
  }
  return { tree, files, origin };
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown) => v === true || v === 'true';
const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

function permalinkMap(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  let tree = v as Tree;
  // Later Hugo nests them by kind: permalinks.page.posts.
  if (tree.page && typeof tree.page === 'object') tree = tree.page as Tree;
  const out: Record<string, string> = {};
  for (const [k, p] of Object.entries(tree)) if (typeof p === 'string') out[k.replace(/^[ /]+|[ /]+$/g, '')] = p;
  return out;
}

export function readHugoConfig(root: string): SiteConfigRead {
  const { tree, files, origin } = readTree(root);
  const provenance: Provenance[] = [];
  const from = (key: string) => origin.get(key) ?? files[0] ?? 'hugo.toml';
  const note = (setting: string, value: unknown, key: string) => provenance.push({ setting, value: typeof value === 'string' ? value : JSON.stringify(value), from: `${from(key)} ${key}` });

  const baseURL = str(tree.baseurl);
  const contentDir = path.resolve(root, str(tree.contentdir) ?? 'content');
  const defaultLanguage = (str(tree.defaultcontentlanguage) ?? 'en').toLowerCase();
  const inSubdir = bool(tree.defaultcontentlanguageinsubdir);
  const disabled = Array.isArray(tree.disablelanguages) ? tree.disablelanguages.map((x) => String(x).toLowerCase()) : [];

  const content: Partial<ContentSettings> = { generator: 'hugo', dir: contentDir };
  const site: { url?: string; title?: string; timezone?: string; language?: string } = {};
  if (baseURL) {
    site.url = withSlash(baseURL);
    note('site.url', site.url, 'baseurl');
  }
  copySiteText(tree, site, note, [
    ['title', 'title'],
    ['timezone', 'timezone'],
  ]);
  if (tree.contentdir !== undefined) note('content.dir', contentDir, 'contentdir');

  const permalinks = permalinkMap(tree.permalinks);
  if (permalinks && Object.keys(permalinks).length > 0) {
    content.permalinks = permalinks;
    note('permalinks', permalinks, 'permalinks');
  }
  if (tree.uglyurls !== undefined) {
    const u = tree.uglyurls;
    content.uglyURLs = typeof u === 'object' && u !== null ? Object.fromEntries(Object.entries(u as Tree).map(([k, v]) => [k, bool(v)])) : bool(u);
    note('uglyURLs', content.uglyURLs, 'uglyurls');
  }
  const disablePathToLower = bool(tree.disablepathtolower);
  const removePathAccents = bool(tree.removepathaccents);
  content.pathRules = { disablePathToLower, removePathAccents };
  if (tree.disablepathtolower !== undefined) note('disablePathToLower', disablePathToLower, 'disablepathtolower');
  if (tree.removepathaccents !== undefined) note('removePathAccents', removePathAccents, 'removepathaccents');
  if (Array.isArray(tree.ignorefiles)) {
    content.ignoreFiles = tree.ignorefiles.map(String);
    note('ignoreFiles', content.ignoreFiles, 'ignorefiles');
  }
  if (tree.taxonomies && typeof tree.taxonomies === 'object') {
    content.taxonomies = Object.values(tree.taxonomies as Tree).map(String);
    note('taxonomies', content.taxonomies, 'taxonomies');
  }
  if (tree.frontmatter && typeof tree.frontmatter === 'object') {
    const fm = tree.frontmatter as Tree;
    const keys: Partial<DateKeys> = {};
    for (const [k, name] of [['date', 'date'], ['publishdate', 'publishDate'], ['lastmod', 'lastmod'], ['expirydate', 'expiryDate']] as const) {
      const v = fm[k];
      if (Array.isArray(v)) keys[name] = v.map(String);
      else if (typeof v === 'string') keys[name] = [v];
    }
    content.dateKeys = keys;
    note('frontmatter', keys, 'frontmatter');
  }

  // Languages: the configured ones (by weight, then code), else one, the default.
  const langTree = tree.languages && typeof tree.languages === 'object' ? (tree.languages as Tree) : {};
  let entries = Object.entries(langTree).map(([code, v], i) => ({ code: code.toLowerCase(), conf: (v && typeof v === 'object' ? v : {}) as Tree, i }));
  for (const e of entries) if (bool(e.conf.disabled)) disabled.push(e.code);
  entries = entries.filter((e) => !disabled.includes(e.code));
  if (entries.length === 0) entries = [{ code: defaultLanguage, conf: {}, i: 0 }];
  entries.sort((a, b) => Number(a.conf.weight ?? 0) - Number(b.conf.weight ?? 0) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const multilingual = entries.length > 1;
  const multihost = entries.some((e) => str(e.conf.baseurl));
  const siteBase = site.url ?? '';
  const languages: SiteLanguage[] = entries.map((e) => {
    const isDefault = e.code === defaultLanguage;
    const own = str(e.conf.baseurl);
    const lang: SiteLanguage = {
      code: e.code,
      locale: str(e.conf.languagecode) ?? (entries.length === 1 ? (str(tree.languagecode) ?? e.code) : e.code),
      baseUrl: own ? withSlash(own) : siteBase,
      prefix: !multilingual || multihost || (isDefault && !inSubdir) ? '' : e.code,
      contentDir: str(e.conf.contentdir) ? path.resolve(root, str(e.conf.contentdir) as string) : contentDir,
      weight: Number(e.conf.weight ?? 0),
    };
    const title = str(e.conf.title) ?? str((e.conf.params as Tree | undefined)?.title);
    if (title) lang.title = title;
    const name = str(e.conf.languagename);
    if (name) lang.name = name;
    const own_permalinks = permalinkMap(e.conf.permalinks);
    if (own_permalinks) lang.permalinks = own_permalinks;
    return lang;
  });
  // The default language comes first: it owns the shared content folder.
  languages.sort((a, b) => Number(b.code === defaultLanguage) - Number(a.code === defaultLanguage));
  content.languages = languages;
  content.defaultLanguage = languages.some((l) => l.code === defaultLanguage) ? defaultLanguage : (languages[0] as SiteLanguage).code;
  if (disabled.length > 0) content.disabledLanguages = disabled;
  if (tree.languages) {
    note(
      'languages',
      languages.map((l) => `${l.code}${l.code === content.defaultLanguage ? ' (default)' : ''}${l.prefix ? ` at /${l.prefix}/` : ''}${l.contentDir !== contentDir ? ` in ${path.relative(root, l.contentDir)}` : ''}${l.baseUrl !== siteBase ? ` at ${l.baseUrl}` : ''}`).join(', '),
      'languages',
    );
  }
  const main = languages.find((l) => l.code === content.defaultLanguage) as SiteLanguage;
  site.language = main.locale;
  note('site.language', site.language, main.locale === main.code && tree.languagecode === undefined ? 'defaultcontentlanguage' : tree.languages ? 'languages' : 'languagecode');
  return { generator: 'hugo', root, files, content, site, provenance };
}

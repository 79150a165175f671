/**
 * Reads a Jekyll site's `_config.yml` (or `.yaml`, `.toml`): url and baseurl, permalink
 * (presets expanded), timezone, collections, collections_dir, defaults, exclude/include,
 * markdown_ext, title, lang.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { JEKYLL_PERMALINK_STYLES, withPermalinkSuffix } from '../../content/jekyll/permalink-styles.ts';
import type { JekyllSettings } from '../../content/site.ts';
import { copySiteText, type Provenance, SiteConfigError, type SiteConfigRead } from './types.ts';

type Tree = Record<string, unknown>;
const NAMES = ['_config.yml', '_config.yaml', '_config.toml'];

export function isJekyllSite(root: string): boolean {
  return NAMES.some((n) => existsSync(path.join(root, n)));
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

export function readJekyllConfig(root: string): SiteConfigRead {
  const file = NAMES.map((n) => path.join(root, n)).find((f) => existsSync(f)) as string;
  const name = path.basename(file);
  let tree: Tree;
  try {
    const text = readFileSync(file, 'utf8');
    const data = file.endsWith('.toml') ? parseToml(text) : parseYaml(text);
    tree = data && typeof data === 'object' && !Array.isArray(data) ? (data as Tree) : {};
  } catch (err) {
    throw new SiteConfigError(file, (err as Error).message.split('\n')[0] ?? String(err));
  }
  const provenance: Provenance[] = [];
  const note = (setting: string, value: unknown, key: string) => provenance.push({ setting, value: typeof value === 'string' ? value : JSON.stringify(value), from: `${name} ${key}` });

  const source = path.resolve(root, str(tree.source) ?? '.');
  const style = str(tree.permalink) ?? 'date';
  const permalink = JEKYLL_PERMALINK_STYLES[style] ?? style;
  note('permalink', permalink, 'permalink');

  const collections: JekyllSettings['collections'] = [];
  const raw = tree.collections;
  const entries: Array<[string, Tree]> = Array.isArray(raw)
    ? raw.map((label) => [String(label), {}])
    : raw && typeof raw === 'object'
      ? Object.entries(raw as Tree).map(([label, v]) => [label, (v && typeof v === 'object' ? v : {}) as Tree])
      : [];
  for (const [label, conf] of entries) {
    if (label === 'posts' || conf.output !== true) continue;
    collections.push({ label, permalink: str(conf.permalink) ?? withPermalinkSuffix('/:collection/:path', style) });
  }
  if (collections.length > 0) note('collections', collections.map((c) => `${c.label} ${c.permalink}`).join(', '), 'collections');

  const defaults: JekyllSettings['defaults'] = [];
  if (Array.isArray(tree.defaults)) {
    for (const d of tree.defaults) {
      if (!d || typeof d !== 'object') continue;
      const scope = ((d as Tree).scope ?? {}) as Tree;
      const values = (d as Tree).values;
      if (!values || typeof values !== 'object') continue;
      defaults.push({ path: str(scope.path) ?? '', type: str(scope.type), values: values as Record<string, unknown> });
    }
    note('defaults', `${defaults.length} scope(s)`, 'defaults');
  }
  const jekyll: JekyllSettings = {
    source,
    permalink,
    collections,
    collectionsDir: str(tree.collections_dir) ?? '',
    defaults,
    exclude: list(tree.exclude),
    include: list(tree.include),
    markdownExt: (str(tree.markdown_ext) ?? 'markdown,mkdown,mkdn,mkd,md').split(',').map((e) => e.trim().toLowerCase()),
  };

  const site: SiteConfigRead['site'] = {};
  const url = str(tree.url);
  const baseurl = str(tree.baseurl) ?? '';
  if (url) {
    site.url = `${url.replace(/\/+$/, '')}/${baseurl.replace(/^\/+|\/+$/g, '')}`.replace(/\/?$/, '/');
    note('site.url', site.url, baseurl ? 'url + baseurl' : 'url');
  }
  copySiteText(tree, site, note, [
    ['title', 'title'],
    ['timezone', 'timezone'],
    ['language', 'lang'],
  ]);
  return { generator: 'jekyll', root, files: [name], content: { generator: 'jekyll', dir: source, jekyll }, site, provenance };
}

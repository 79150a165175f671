/**
 * Reference tools as oracles: fixture sites written by the tests are built by the real
 * Hugo (`hugo list all`, plus a layout that lists every page's language and translations)
 * and the real Jekyll (`jekyll build`), and Herald's reading of the same site is compared
 * with theirs. No expected URL is written by hand.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { expect } from 'vitest';
import type { Article, ScanResult } from '../../src/content/article.ts';
import { scanContent } from '../../src/content/scan.ts';
import { type HeraldConfig, loadConfig } from '../../src/config/load.ts';
import { collapseWhitespace } from '../../src/util/text.ts';

const run = promisify(execFile);

export function makeFixture(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-oracle-'));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

async function tool(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HUGO_CACHEDIR: path.join(cwd, '.cache'), TZ: 'UTC' } });
    return stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed: the oracle tests need it (apt-get install ${cmd}; .ci/run installs it)`);
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.stderr || e.message}`);
  }
}

export interface HugoRow {
  path: string;
  slug: string;
  title: string;
  date: string;
  expiryDate: string;
  publishDate: string;
  draft: string;
  permalink: string;
}

/** `hugo list all` (Hugo 0.111: path,slug,title,date,expiryDate,publishDate,draft,permalink). */
export async function hugoListAll(site: string): Promise<HugoRow[]> {
  const csv = await tool('hugo', ['list', 'all', '--source', site], site);
  const rows = parseCsv(csv, { columns: true, skip_empty_lines: true }) as HugoRow[];
  const header = csv.split('\n', 1)[0];
  expect(header).toBe('path,slug,title,date,expiryDate,publishDate,draft,permalink');
  return rows;
}

export interface HugoPage {
  /** Absolute file name. */
  file: string;
  lang: string;
  key: string;
  /** Absolute file names of the page's translations. */
  tr: string[];
  link: string;
}

const DUMP_LAYOUT = `{{- $l := slice -}}
{{- range where .Site.AllPages "Kind" "page" -}}
{{- $t := slice -}}{{- range .Translations -}}{{- $t = $t | append .File.Filename -}}{{- end -}}
{{- $l = $l | append (dict "file" .File.Filename "lang" .Lang "key" .TranslationKey "tr" $t "link" .Permalink) -}}
{{- end -}}
<pre id="herald-oracle">{{ $l | jsonify | safeHTML }}</pre>`;

/**
 * Every page of every language as Hugo builds it: language, translation key and
 * translations (from a layout the test adds; the site has no theme).
 */
export async function hugoPages(site: string): Promise<HugoPage[]> {
  const layout = path.join(site, 'layouts', 'index.html');
  if (!existsSync(layout)) writeFiles(site, { 'layouts/index.html': DUMP_LAYOUT });
  const out = path.join(site, '.oracle-public');
  await tool('hugo', ['--source', site, '--destination', out, '--buildDrafts', '--buildFuture', '--buildExpired', '--quiet'], site);
  const { readdirSync } = await import('node:fs');
  const found = new Map<string, HugoPage>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'index.html') {
        const m = /<pre id="herald-oracle">([\s\S]*?)<\/pre>/.exec(readFileSync(p, 'utf8'));
        if (m) for (const page of JSON.parse(m[1] as string) as HugoPage[]) found.set(`${page.lang}\0${page.file}`, page);
      }
    }
  };
  walk(out);
  return [...found.values()];
}

/** Herald's reading of the site through `content.site`, with Herald config keys added as YAML. */
export async function heraldScan(site: string, extraYaml = ''): Promise<{ config: HeraldConfig; scan: ScanResult }> {
  writeFileSync(path.join(site, '.herald.yaml'), `content:\n  site: .\n${extraYaml}store:\n  url: sqlite:.herald/herald.db\nchannels: {}\n`);
  const config = loadConfig({ file: path.join(site, '.herald.yaml'), cwd: site, env: {} });
  const scan = await scanContent(config.content, config.site);
  return { config, scan };
}

/**
 * The absolute source file of an article: its file is relative to the content folder it
 * was found in, its language's (or another language's, for `c.zh.md` in the English folder).
 */
export function articleFile(config: HeraldConfig, a: { file: string; language?: string }): string {
  const own = config.content.languages?.find((l) => l.code === a.language)?.contentDir ?? config.content.dir;
  const folders = [own, ...(config.content.languages ?? []).map((l) => l.contentDir)];
  return path.join(folders.find((d) => existsSync(path.join(d, a.file))) ?? own, a.file);
}

const ZERO = '0001-01-01T00:00:00Z';
const decode = (u: string) => decodeURIComponent(u);

export interface HugoComparison {
  /** Dated pages Hugo lists that Herald has as articles with the same link, date, draft flag, title and language. */
  compared: number;
  /** Pages Hugo lists that Herald deliberately does not take, with Herald's reason. */
  notArticles: Array<{ file: string; reason: string }>;
}

/**
 * Every dated page `hugo list all` gives is an article in Herald with the same
 * percent-decoded permalink, date, draft flag and (whitespace-collapsed) title, in the
 * language Hugo builds it in; every Herald article is a page Hugo lists; every page Hugo
 * lists undated is listed by Herald as undated. `allowed` names the skip reasons Herald may
 * give instead of an article (Hugo lists `build.render: never` pages, for instance).
 */
export async function compareWithHugo(site: string, extraYaml = '', allowed: readonly string[] = []): Promise<HugoComparison & { config: HeraldConfig; scan: ScanResult; rows: HugoRow[] }> {
  const [rows, pages] = [await hugoListAll(site), await hugoPages(site)];
  const { config, scan } = await heraldScan(site, extraYaml);
  expect(scan.problems).toEqual([]);
  const langOf = new Map<string, string>();
  for (const p of pages) {
    // A page Hugo builds in one language only: that language. (Each language's rows are told apart by link.)
    langOf.set(`${p.file}\0${decode(p.link)}`, p.lang);
  }
  const articles = new Map(scan.articles.map((a) => [`${articleFile(config, a)}\0${decode(a.url)}`, a]));
  const skippedByFile = new Map(scan.skipped.map((s) => [articleFile(config, s), s]));
  let compared = 0;
  const notArticles: HugoComparison['notArticles'] = [];
  const matched = new Set<Article>();
  for (const row of rows) {
    const file = path.join(site, row.path);
    if (row.date === ZERO) {
      expect(skippedByFile.get(file)?.reason, `${row.path} is undated in Hugo`).toBe('undated');
      continue;
    }
    const link = decode(row.permalink);
    const a = articles.get(`${file}\0${link}`);
    if (!a) {
      const skipped = skippedByFile.get(file);
      const candidates = scan.articles.filter((x) => articleFile(config, x) === file).map((x) => decode(x.url));
      expect(skipped && allowed.includes(skipped.reason), `${row.path}: Hugo lists ${link || '(no permalink)'}, Herald has ${candidates.join(', ') || skipped?.reason || 'nothing'}`).toBe(true);
      notArticles.push({ file: row.path, reason: (skipped as { reason: string }).reason });
      continue;
    }
    matched.add(a);
    expect(Date.parse(a.date), `${row.path} date`).toBe(Date.parse(row.date));
    expect(a.draft, `${row.path} draft`).toBe(row.draft === 'true');
    expect(a.title, `${row.path} title`).toBe(collapseWhitespace(row.title));
    const lang = langOf.get(`${file}\0${link}`);
    expect(lang, `${row.path} is built by Hugo`).toBeDefined();
    expect(a.language, `${row.path} language`).toBe(lang);
    compared++;
  }
  const extra = scan.articles.filter((a) => !matched.has(a)).map((a) => `${a.file} (${a.language}) ${decode(a.url)}`);
  expect(extra, 'Herald articles Hugo does not list').toEqual([]);
  return { compared, notArticles, config, scan, rows };
}

/** Hugo's translation groups (by file and language) equal Herald's (articles with one translationKey). */
export async function compareTranslations(site: string, config: HeraldConfig, scan: ScanResult): Promise<number> {
  const pages = await hugoPages(site);
  const byFile = new Map(scan.articles.map((a) => [`${a.language}\0${articleFile(config, a)}`, a]));
  let checked = 0;
  for (const p of pages) {
    const a = byFile.get(`${p.lang}\0${p.file}`);
    if (!a) continue;
    const hugoGroup = [p.file, ...p.tr].sort();
    const heraldGroup = scan.articles.filter((x) => x.translationKey === a.translationKey).map((x) => articleFile(config, x)).sort();
    expect(heraldGroup, `translations of ${p.file}`).toEqual(hugoGroup);
    expect(a.translationKey, `translation key of ${p.file}`).toBe(p.key);
    checked++;
  }
  return checked;
}

export interface JekyllDoc {
  url: string;
  date: string;
  title: string;
  draft: boolean;
  path: string;
}

const JEKYLL_DUMP = `---
layout: null
permalink: /herald-oracle.json
---
[{% assign first = true %}{% for p in site.posts %}{% unless first %},{% endunless %}{% assign first = false %}{"url":{{ p.url | jsonify }},"date":{{ p.date | date: "%Y-%m-%dT%H:%M:%S%z" | jsonify }},"title":{{ p.title | jsonify }},"draft":{{ p.draft | jsonify }},"path":{{ p.path | jsonify }}}{% endfor %}{% for c in site.collections %}{% if c.label != "posts" and c.output %}{% for p in c.docs %}{% unless first %},{% endunless %}{% assign first = false %}{"url":{{ p.url | jsonify }},"date":{{ p.date | date: "%Y-%m-%dT%H:%M:%S%z" | jsonify }},"title":{{ p.title | jsonify }},"draft":false,"path":{{ p.path | jsonify }}}{% endfor %}{% endif %}{% endfor %}]
`;

/**
 * `jekyll build --drafts --future` of the site, and the posts, drafts and output collection
 * documents it made (from a Liquid page the test adds): url, date, title, draft, path.
 */
export async function jekyllBuild(site: string): Promise<{ docs: JekyllDoc[]; dest: string }> {
  writeFiles(site, { 'herald-oracle.json': JEKYLL_DUMP });
  const dest = path.join(site, '_site');
  await tool('jekyll', ['build', '--source', site, '--destination', dest, '--drafts', '--future', '--quiet', '--disable-disk-cache'], site);
  const docs = JSON.parse(readFileSync(path.join(dest, 'herald-oracle.json'), 'utf8')) as JekyllDoc[];
  return { docs, dest };
}

/**
 * Every post, draft and output collection document Jekyll builds is an article in Herald
 * with the same (percent-decoded) URL, date, draft flag and title, and Jekyll wrote its
 * page where Herald's link points; every Herald article is one Jekyll built.
 */
export async function compareWithJekyll(
  site: string,
  extraYaml = '',
  allowed: readonly string[] = [],
): Promise<{ compared: number; notArticles: string[]; config: HeraldConfig; scan: ScanResult; docs: JekyllDoc[] }> {
  const { docs, dest } = await jekyllBuild(site);
  const { config, scan } = await heraldScan(site, extraYaml);
  expect(scan.problems).toEqual([]);
  const base = new URL(config.site.url).pathname;
  const byFile = new Map(scan.articles.map((a) => [a.file, a]));
  let compared = 0;
  const notArticles: string[] = [];
  for (const d of docs) {
    const a = byFile.get(d.path);
    const skipped = scan.skipped.find((s) => s.file === d.path);
    if (!a && skipped && allowed.includes(skipped.reason)) {
      notArticles.push(d.path);
      continue;
    }
    expect(a, `${d.path}: Jekyll builds ${d.url}, Herald has ${scan.skipped.find((s) => s.file === d.path)?.reason ?? 'nothing'}`).toBeDefined();
    if (!a) continue;
    const herald = new URL(a.url);
    expect(herald.pathname.startsWith(base), `${d.path}: ${a.url} is under ${config.site.url}`).toBe(true);
    const link = decodeURIComponent(`/${herald.pathname.slice(base.length)}`);
    expect(link, `${d.path} url`).toBe(decodeURIComponent(d.url));
    // The page is where the link points (Jekyll adds index.html, or the output extension).
    const out = path.join(dest, link.endsWith('/') ? `${link}index.html` : link);
    expect(existsSync(out) || existsSync(`${out}.html`), `${d.path}: ${out} written by Jekyll`).toBe(true);
    expect(Date.parse(a.date), `${d.path} date`).toBe(Date.parse(d.date.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')));
    expect(a.draft, `${d.path} draft`).toBe(d.draft === true);
    expect(a.title, `${d.path} title`).toBe(collapseWhitespace(d.title));
    compared++;
  }
  const built = new Set(docs.map((d) => d.path));
  expect(scan.articles.filter((a) => !built.has(a.file)).map((a) => a.file), 'Herald articles Jekyll does not build').toEqual([]);
  return { compared, notArticles, config, scan, docs };
}

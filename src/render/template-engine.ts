import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, sep } from 'node:path';
import type { Liquid, Template } from 'liquidjs';
import { formatLocalDate, translateFilter } from './filters.ts';
import { type I18n, loadI18n } from './i18n.ts';

/**
 * The one template engine of Herald (email now, Telegram/Discord/web later).
 *
 * - Templates are looked up in the user root first, then in Herald's `templates/`,
 *   so a site overrides a single file (or a single i18n key) without forking the rest.
 * - Output is HTML-escaped by default; files named `*.txt.liquid` (and string
 *   templates rendered with `escape: false`) are plain text and not escaped, since
 *   escaping `&` in a plain-text part or a subject line would show up literally.
 * - Unknown filters and variables are errors (a typo must not silently print nothing);
 *   `{% if x %}` / `| default` still tolerate a missing value.
 * - Parsed templates are cached for the life of the engine.
 */
export interface TemplateEngineOptions {
  /** Absolute path of Herald's `templates/` folder. */
  root: string;
  /** Absolute path of a user templates folder whose files win over `root`. */
  userRoot?: string;
  /** Cache parsed templates (default true; a watcher/dev mode may turn it off). */
  cache?: boolean;
}

export interface RenderStringOptions {
  /** Names the template in error messages, e.g. 'subject template of channel email-main'. */
  label: string;
  /** HTML-escape output (default false: string templates are mostly subjects and captions). */
  escape?: boolean;
}

export interface TemplateEngine {
  /** Lookup order, most specific first. */
  readonly roots: readonly string[];
  readonly i18n: I18n;
  /** True when `name` (relative to the roots, with extension) exists in any root. */
  exists(name: string): boolean;
  /** Renders a template file; `data` is visible in the template and in every partial it renders. */
  render(name: string, data: Record<string, unknown>): Promise<string>;
  renderString(source: string, data: Record<string, unknown>, opts: RenderStringOptions): Promise<string>;
}

/** A template failed to parse or render; the message always names the template. */
export class TemplateError extends Error {
  readonly template: string;
  constructor(template: string, message: string, cause?: unknown) {
    super(`template "${template}": ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'TemplateError';
    this.template = template;
  }
}

const TEXT_SUFFIX = '.txt.liquid';
const STRING_CACHE_LIMIT = 256;

export function createTemplateEngine(opts: TemplateEngineOptions): TemplateEngine {
  for (const dir of [opts.root, opts.userRoot]) {
    if (dir !== undefined && !isAbsolute(dir)) throw new Error(`template root must be an absolute path, got "${dir}"`);
  }
  const roots = opts.userRoot === undefined ? [opts.root] : [opts.userRoot, opts.root];
  // i18n files override key by key, so the least specific root is read first.
  // Read on first use: commands that render nothing (status, articles) never parse the catalogs.
  let catalogs: I18n | undefined;
  const i18n = (): I18n => {
    catalogs ??= loadI18n([...roots].reverse());
    return catalogs;
  };
  const cache = opts.cache ?? true;

  const make = (htmlEscape: boolean) => {
    // liquidjs is loaded when a template is first rendered, not by commands that render nothing.
    const { Liquid: Engine } = createRequire(import.meta.url)('liquidjs') as typeof import('liquidjs');
    const liquid = new Engine({
      root: roots,
      partials: roots,
      layouts: roots,
      extname: '',
      cache,
      strictFilters: true,
      strictVariables: true,
      lenientIf: true,
      ownPropertyOnly: true,
      outputEscape: htmlEscape ? 'escape' : undefined,
    });
    liquid.registerFilter('localdate', (value: unknown, timezone: unknown, language: unknown, style: unknown) =>
      formatLocalDate(value, String(timezone ?? 'UTC'), String(language ?? 'en'), style === undefined ? 'date' : String(style)),
    );
    liquid.registerFilter('t', translateFilter(i18n()));
    return liquid;
  };
  let htmlEngine: Liquid | undefined;
  let textEngine: Liquid | undefined;
  const engines = {
    get html() {
      htmlEngine ??= make(true);
      return htmlEngine;
    },
    get text() {
      textEngine ??= make(false);
      return textEngine;
    },
  };
  const parsedStrings = new Map<string, Template[]>();

  const engineFor = (name: string) => (name.endsWith(TEXT_SUFFIX) ? engines.text : engines.html);

  return {
    roots,
    get i18n() {
      return i18n();
    },
    exists(name) {
      return roots.some((root) => existsSync(join(root, name)));
    },
    async render(name, data) {
      if (!this.exists(name)) throw new TemplateError(name, `not found in ${roots.join(' or ')}`);
      try {
        // Globals (not scope) so partials rendered with {% render %} see site, lang, etc. too.
        return await engineFor(name).renderFile(name, {}, { globals: data });
      } catch (e) {
        throw new TemplateError(name, liquidMessage(e, roots), e);
      }
    },
    async renderString(source, data, opts) {
      const htmlEscape = opts.escape ?? false;
      const liquid = htmlEscape ? engines.html : engines.text;
      const key = `${htmlEscape ? 'h' : 't'}:${source}`;
      try {
        let parsed = parsedStrings.get(key);
        if (parsed === undefined) {
          parsed = liquid.parse(source);
          if (parsedStrings.size >= STRING_CACHE_LIMIT) parsedStrings.clear();
          parsedStrings.set(key, parsed);
        }
        return await liquid.render(parsed, {}, { globals: data });
      } catch (e) {
        throw new TemplateError(opts.label, liquidMessage(e, roots), e);
      }
    },
  };
}

/**
 * LiquidJS appends the offending source line and a stack; keep the first line, it is
 * the useful part, and show partials by their name instead of an absolute path.
 */
function liquidMessage(e: unknown, roots: readonly string[]): string {
  let msg = e instanceof Error ? e.message : String(e);
  msg = msg.split('\n')[0] ?? msg;
  for (const root of roots) msg = msg.replaceAll(`file:${root}${sep}`, 'in ').replaceAll(`file:${root}/`, 'in ');
  return msg;
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseDocument } from 'yaml';
import { activeEditors, type EditorsConfig, editorSecrets } from '../bots/editors-config.ts';
import { type BouncesConfig, bounceSecrets, resolveBounces } from '../bounces/bounce-config.ts';
import { discordSecrets } from '../channels/discord/discord-config.ts';
import { DkimKeyError, loadDkimKey } from '../channels/email/dkim-keys.ts';
import { telegramSecrets } from '../channels/telegram/telegram-config.ts';
import type { ChannelConfig } from '../pipeline/channel-kinds.ts';
import type { ContentSettings, SiteLanguage, SiteSettings } from '../content/site.ts';
import { registerSecret, registerUrlSecrets } from '../util/secrets.ts';
import { PROJECT_ROOT } from '../util/project-root.ts';
import { InterpolationError, interpolate } from './interpolate.ts';
import { configSchema } from './schema.ts';
import { readSiteConfig } from './site-config/read-site.ts';
import { type Provenance, SiteConfigError, type SiteConfigRead } from './site-config/types.ts';

export type { ChannelConfig };

export interface HeraldConfig {
  /** Absolute path of the config file. */
  file: string;
  site: SiteSettings;
  content: ContentSettings & { lookbackMs: number; maxAgeMs: number; scanMs: number };
  /**
   * `url`: what store.url says (a sqlite: path made absolute). `path`: the SQLite file; for
   * PostgreSQL, a file in the config's data folder (only its folder is used, for a generated secret).
   */
  store: { url: string; path: string };
  server: {
    port: number;
    host: string;
    /** Base of every link in emails; defaults to http://localhost:<port>/. */
    publicUrl: string;
    /** Whether publicUrl came from the config (not the default). */
    publicUrlSet: boolean;
    trustProxy: boolean | string;
    /** Milliseconds: request headers, whole request, idle connection, keep-alive wait. */
    timeouts: { headersMs: number; requestMs: number; idleMs: number; keepAliveMs: number };
  };
  delivery: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; giveUpAfterMs: number };
  /** Topics that make an article breaking news (besides front matter `breaking: true`). */
  breaking: { topics: string[] };
  /** Bounce and complaint processing. */
  bounces: BouncesConfig;
  outboxDir: string;
  /** Template roots, highest priority first; the bundled templates/ is always last. */
  templateDirs: string[];
  channels: ChannelConfig[];
  /** Editors in Telegram and Discord (only the platforms with a token); undefined when none. */
  editors?: EditorsConfig;
  /** Where the site's settings came from, for `herald check`. */
  sources: {
    /** The site read through content.site, if any. */
    site?: { generator: SiteConfigRead['generator']; root: string; files: string[] };
    settings: Provenance[];
  };
  /** Environment after .env was merged in (process env wins). */
  env: Record<string, string | undefined>;
}

/** A config problem: the CLI prints it and exits 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** --config; else HERALD_CONFIG; else config/herald.yaml in the working directory, else the bundled one. */
  file?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

export function resolveConfigPath(opts: LoadOptions, env: Record<string, string | undefined>): string {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.file) return path.resolve(cwd, opts.file);
  if (env.HERALD_CONFIG) return path.resolve(cwd, env.HERALD_CONFIG);
  const local = path.resolve(cwd, 'config/herald.yaml');
  if (existsSync(local)) return local;
  return path.join(PROJECT_ROOT, 'config/herald.yaml');
}

/** process env merged over `.env` in the working directory. */
export function loadEnv(cwd: string, base: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  const dotenvFile = path.join(cwd, '.env');
  const fromFile = existsSync(dotenvFile) ? parseDotenv(readFileSync(dotenvFile)) : {};
  return { ...fromFile, ...base };
}

export function loadConfig(opts: LoadOptions = {}): HeraldConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? loadEnv(cwd);
  const file = resolveConfigPath(opts, env);
  const shown = path.relative(cwd, file) || file;
  if (!existsSync(file)) throw new ConfigError(shown, [`config file not found (use --config FILE or HERALD_CONFIG)`]);

  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(shown, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  let raw: unknown;
  try {
    raw = interpolate(doc.toJS() ?? {}, env);
  } catch (e) {
    if (e instanceof InterpolationError) throw new ConfigError(shown, [e.message]);
    throw e;
  }
  // Without zod's JIT: for a schema used once per process, writing and compiling a parser
  // for each object schema cost more than the interpreted check (~20 ms of every command's start).
  const parsed = configSchema.safeParse(raw, { jitless: true });
  if (!parsed.success) {
    throw new ConfigError(
      shown,
      parsed.error.issues.map((i) => {
        // zod reports a bad record key without the key's own message.
        const message = i.code === 'invalid_key' ? 'expected an id of letters, digits, "-" and "_" (up to 64)' : i.message;
        return `${i.path.join('.') || '(root)'}: ${message}`;
      }),
    );
  }
  const c = parsed.data;
  const dir = path.dirname(file);

  const rel = (p: string) => path.resolve(dir, p);

  const channels = Object.entries(c.channels).map(([id, ch]) => ({ ...(ch as object), id }) as ChannelConfig);
  const keyProblems: string[] = [];
  for (const ch of channels) {
    if (ch.type !== 'email') continue;
    // The `email:` block gives what a channel does not set itself.
    const own = ch.dkim !== undefined;
    ch.dkim ??= c.email.dkim;
    ch.feedbackId ??= c.email.feedbackId;
    ch.maxBytes ??= c.email.maxBytes;
    ch.dkimKeys = (ch.dkim ?? []).flatMap((entry, i) => {
      if (!entry.privateKey.startsWith('file:')) registerSecret(entry.privateKey);
      const where = `${own ? `channels.${ch.id}.dkim` : 'email.dkim'}${(own ? ch.dkim : c.email.dkim)?.length === 1 ? '' : `.${i}`}.privateKey`;
      try {
        return [loadDkimKey(entry, dir)];
      } catch (e) {
        if (!(e instanceof DkimKeyError)) throw e;
        const problem = `${where}: ${e.message}`;
        if (!keyProblems.includes(problem)) keyProblems.push(problem);
        return [];
      }
    });
  }
  if (keyProblems.length > 0) throw new ConfigError(shown, keyProblems);
  for (const ch of channels) {
    if (ch.type === 'email') registerUrlSecrets(ch.smtp);
    else if (ch.type === 'telegram') telegramSecrets(ch).forEach(registerSecret);
    else if (ch.type === 'discord') discordSecrets(ch).forEach(registerSecret);
  }
  const editors = activeEditors(c.editors);
  editorSecrets(editors).forEach(registerSecret);
  registerSecret(env.HERALD_SECRET);
  const bounces = resolveBounces(c.bounces);
  registerUrlSecrets(bounces.mailbox);
  bounceSecrets(bounces).forEach(registerSecret);

  const resolved = resolveSite(c, rel, shown);
  for (const ch of channels) {
    const known = new Set(resolved.languages.map((l) => l.toLowerCase()));
    const unknown = (ch.languages ?? []).filter((l) => !known.has(l.toLowerCase()));
    if (unknown.length > 0) {
      throw new ConfigError(shown, [`channels.${ch.id}.languages: ${unknown.map((l) => `"${l}"`).join(', ')} is not a language of the site (it has ${resolved.languages.join(', ')})`]);
    }
  }

  return {
    file,
    site: resolved.site,
    content: {
      ...resolved.content,
      lookbackMs: c.content.lookback,
      maxAgeMs: c.content.maxAge,
      scanMs: c.content.scan,
    },
    store: c.store.url.startsWith('sqlite:')
      ? { url: `sqlite:${rel(c.store.url.slice('sqlite:'.length))}`, path: rel(c.store.url.slice('sqlite:'.length)) }
      : { url: c.store.url, path: rel('data/herald.db') },
    server: {
      port: c.server.port,
      host: c.server.host,
      trustProxy: c.server.trustProxy,
      timeouts: {
        headersMs: c.server.timeouts.headers,
        requestMs: Math.max(c.server.timeouts.request, c.server.timeouts.headers),
        idleMs: c.server.timeouts.idle,
        keepAliveMs: c.server.timeouts.keepAlive,
      },
      publicUrl: (c.server.publicUrl ?? `http://localhost:${c.server.port}/`).replace(/\/?$/, '/'),
      publicUrlSet: c.server.publicUrl !== undefined,
    },
    delivery: {
      maxAttempts: c.delivery.maxAttempts,
      backoffMs: c.delivery.backoff,
      maxBackoffMs: c.delivery.maxBackoff,
      giveUpAfterMs: c.delivery.giveUpAfter,
    },
    breaking: { topics: c.breaking.topics },
    bounces,
    outboxDir: rel(c.outbox),
    templateDirs: [...(c.templates ? [rel(c.templates)] : []), path.join(PROJECT_ROOT, 'templates')],
    channels,
    ...(editors ? { editors } : {}),
    sources: resolved.sources,
    env,
  };
}

type Parsed = ReturnType<typeof configSchema.parse>;

/**
 * Herald's own `site:` and `content:` keys over what the site's own config says
 * (content.site), with a record of where each setting came from.
 */
function resolveSite(
  c: Parsed,
  rel: (p: string) => string,
  shown: string,
): { site: SiteSettings; content: ContentSettings; languages: string[]; sources: HeraldConfig['sources'] } {
  let read: SiteConfigRead | undefined;
  if (c.content.site) {
    try {
      read = readSiteConfig(rel(c.content.site), c.content.generator);
    } catch (e) {
      if (e instanceof SiteConfigError) throw new ConfigError(shown, [`content.site: ${e.message}`]);
      throw e;
    }
  } else if (!c.content.dir) {
    throw new ConfigError(shown, ['content: expected "dir" (the folder of markdown articles) or "site" (the root of a Hugo or Jekyll site)']);
  }
  const settings: Provenance[] = [];
  const problems: string[] = [];
  const herald = path.basename(shown);
  const fromSite = new Map((read?.provenance ?? []).map((p) => [p.setting, p]));
  const pick = <T>(setting: string, own: T | undefined, theirs: T | undefined, fallback?: T): T | undefined => {
    const site = fromSite.get(setting);
    if (own !== undefined) {
      const over = site && theirs !== undefined && String(theirs) !== String(own) ? `, over ${site.value} from ${site.from}` : '';
      settings.push({ setting, value: String(own), from: `${herald}${over}` });
      return own;
    }
    if (theirs !== undefined) {
      if (site) settings.push(site);
      return theirs;
    }
    if (fallback !== undefined) settings.push({ setting, value: String(fallback), from: 'default' });
    return fallback;
  };
  const url = pick('site.url', c.site.url, read?.site.url);
  const title = pick('site.title', c.site.title, read?.site.title);
  const timezone = pick('site.timezone', c.site.timezone, read?.site.timezone, 'UTC') as string;
  const language = pick('site.language', c.site.language, read?.site.language, 'en') as string;
  if (!url) problems.push(`site.url: expected the site's address, like https://example.com/${read ? ` (${read.generator === 'hugo' ? 'baseURL' : 'url'} is not set in the site's config either)` : ''}`);
  if (!title) problems.push(`site.title: expected the site title${read ? " (the site's config has no title either)" : ''}`);
  if (problems.length > 0) throw new ConfigError(shown, problems);

  const dir = c.content.dir ? rel(c.content.dir) : (read?.content.dir as string);
  if (c.content.dir) settings.push({ setting: 'content.dir', value: dir, from: herald });
  else if (!fromSite.has('content.dir')) {
    settings.push({ setting: 'content.dir', value: dir, from: read?.generator === 'hugo' ? 'Hugo\'s default contentDir "content"' : read ? "the Jekyll site's source folder" : 'default' });
  }
  else settings.push(fromSite.get('content.dir') as Provenance);
  if (!existsSync(dir)) throw new ConfigError(shown, [`content.dir: folder "${dir}" does not exist`]);

  const content: ContentSettings = { ...(read?.content ?? {}), dir, permalink: c.content.permalink ?? '' };
  if (c.content.permalink) settings.push({ setting: 'permalink', value: c.content.permalink, from: `${herald} content.permalink (for every page)` });
  for (const p of read?.provenance ?? []) if (!p.setting.startsWith('site.') && p.setting !== 'content.dir' && !(p.setting === 'permalink' && c.content.permalink)) settings.push(p);

  const siteUrl = url as string;
  if (content.languages) {
    // Languages on the site's address follow Herald's site.url when it overrides it; the default language's folder follows content.dir.
    content.languages = content.languages.map((l: SiteLanguage) => ({
      ...l,
      baseUrl: l.baseUrl === '' || l.baseUrl === read?.site.url ? siteUrl : l.baseUrl,
      contentDir: c.content.dir && l.contentDir === read?.content.dir ? dir : l.contentDir,
    }));
    if (c.site.language) {
      const main = content.languages.find((l) => l.code === content.defaultLanguage);
      if (main && content.languages.length === 1) main.locale = language;
    }
  }
  const languages = content.languages?.map((l) => l.code) ?? [language];
  const sources: HeraldConfig['sources'] = { settings };
  if (read) sources.site = { generator: read.generator, root: read.root, files: read.files };
  const site: SiteSettings = { title: title as string, url: siteUrl, timezone, language };
  if (c.site.address !== undefined) site.address = c.site.address;
  return { site, content, languages, sources };
}

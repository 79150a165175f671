import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseDocument } from 'yaml';
import { activeEditors, type EditorsConfig, editorSecrets } from '../bots/editors-config.ts';
import { discordSecrets } from '../channels/discord/discord-config.ts';
import { DkimKeyError, loadDkimKey } from '../channels/email/dkim-keys.ts';
import { telegramSecrets } from '../channels/telegram/telegram-config.ts';
import type { ChannelConfig } from '../pipeline/channel-kinds.ts';
import type { ContentSettings, SiteSettings } from '../content/site.ts';
import { registerSecret, registerUrlSecrets } from '../util/secrets.ts';
import { PROJECT_ROOT } from '../util/project-root.ts';
import { InterpolationError, interpolate } from './interpolate.ts';
import { configSchema } from './schema.ts';

export type { ChannelConfig };

export interface HeraldConfig {
  /** Absolute path of the config file. */
  file: string;
  site: SiteSettings;
  content: ContentSettings & { lookbackMs: number; maxAgeMs: number; scanMs: number };
  store: { path: string };
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
  outboxDir: string;
  /** Template roots, highest priority first; the bundled templates/ is always last. */
  templateDirs: string[];
  channels: ChannelConfig[];
  /** Editors in Telegram and Discord (only the platforms with a token); undefined when none. */
  editors?: EditorsConfig;
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
  const parsed = configSchema.safeParse(raw);
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

  const contentDir = rel(c.content.dir);
  if (!existsSync(contentDir)) throw new ConfigError(shown, [`content.dir: folder "${contentDir}" does not exist`]);

  return {
    file,
    site: c.site,
    content: {
      dir: contentDir,
      permalink: c.content.permalink,
      lookbackMs: c.content.lookback,
      maxAgeMs: c.content.maxAge,
      scanMs: c.content.scan,
    },
    store: { path: rel(c.store.url.slice('sqlite:'.length)) },
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
    outboxDir: rel(c.outbox),
    templateDirs: [...(c.templates ? [rel(c.templates)] : []), path.join(PROJECT_ROOT, 'templates')],
    channels,
    ...(editors ? { editors } : {}),
    env,
  };
}

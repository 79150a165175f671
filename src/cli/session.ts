/**
 * What every command starts with: the config (exit 2 when it is bad), a logger, and
 * the Herald context; closed again however the command ends.
 */
import type { HeraldConfig } from '../config/load.ts';
import type { ChannelConfig } from '../pipeline/channel-kinds.ts';
import type { Herald } from '../pipeline/herald.ts';
import type { Logger } from '../util/logger.ts';
import { UsageError } from './exit.ts';
import { phase } from '../util/profile.ts';

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

// Loaded when a command runs (not for `--help`): config, logger and store pull in most of Herald.
export async function openConfig(g: GlobalOptions): Promise<HeraldConfig> {
  const { loadConfig } = await import('../config/load.ts');
  return loadConfig({ file: g.config });
}

export async function logger(g: GlobalOptions): Promise<Logger> {
  const { createLogger } = await import('../util/logger.ts');
  return createLogger({ level: g.logLevel });
}

export async function withHerald<T>(g: GlobalOptions, fn: (h: Herald) => Promise<T>): Promise<T> {
  const h = await phase('start-up', async () => {
    const config = await openConfig(g);
    const { createHerald } = await import('../pipeline/herald.ts');
    return createHerald(config, { log: await logger(g) });
  });
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

export function requireChannel(h: Herald, id: string | undefined, want?: (c: ChannelConfig) => string | undefined): ChannelConfig {
  const known = h.config.channels.map((c) => c.id);
  if (!id) throw new UsageError(`--channel is required (one of: ${known.join(', ') || 'none configured'})`);
  const c = h.channel(id);
  if (!c) throw new UsageError(`unknown channel "${id}" (configured: ${known.join(', ') || 'none'})`);
  const problem = want?.(c);
  if (problem) throw new UsageError(problem);
  return c;
}

/**
 * Commands that send: say once, before sending, what would make this run's email broken or
 * untrusted (links to a loopback or plain-http publicUrl, above all). `herald check` lists
 * the same and exits 1.
 */
export async function warnAboutEmailSettings(h: Herald): Promise<void> {
  const { emailChecks } = await import('../config/email-checks.ts');
  for (const c of await emailChecks(h.config)) if (c.level === 'problem') h.log.warn(c.message);
}

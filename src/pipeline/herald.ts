/**
 * The running context every entry point (CLI, scheduler, server, bots) builds once and
 * hands to the pipeline: config, store, logger, template engine, adapters.
 */
import type { ChannelAdapter } from '../channels/types.ts';
import type { HeraldConfig } from '../config/load.ts';
import { createTemplateEngine, type TemplateEngine } from '../render/template-engine.ts';
import { openStoreUrl } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { resolveSecret } from '../util/herald-secret.ts';
import type { Logger } from '../util/logger.ts';
import type { ApprovalNotifier } from './approval.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';

export interface Herald {
  config: HeraldConfig;
  store: Store;
  log: Logger;
  engine: TemplateEngine;
  /** Signs links in emails (HERALD_SECRET). */
  secret: string;
  now(): Date;
  /** A stable RFC 5322 Message-ID for this channel and local part. */
  messageId(channelId: string, local: string): string;
  channel(id: string): ChannelConfig | undefined;
  adapter(channel: ChannelConfig): ChannelAdapter<unknown>;
  /** The editors' chats (approval cards), loaded on first use; undefined when no editors are configured. */
  editors?: () => Promise<ApprovalNotifier>;
  close(): Promise<void>;
}

export interface CreateOptions {
  log: Logger;
  store?: Store;
  now?: () => Date;
  /** Worker threads: no start-up notices (the main thread gave them). */
  quiet?: boolean;
}

/**
 * HERALD_NOW (an ISO instant) starts Herald's clock at that time and lets it run on:
 * for trying schedules and for tests. Unset: the real clock.
 */
function clockFrom(start: string | undefined): () => Date {
  if (!start) return () => new Date();
  const t = Date.parse(start);
  if (Number.isNaN(t)) throw new Error(`HERALD_NOW: expected an ISO 8601 instant like 2025-07-02T08:00:00Z, got "${start}"`);
  const offset = t - Date.now();
  return () => new Date(Date.now() + offset);
}

export async function createHerald(config: HeraldConfig, opts: CreateOptions): Promise<Herald> {
  const store = opts.store ?? (await openStoreUrl(config.store.url));
  const { secret, generated } = resolveSecret(config.env, config.store.path);
  if (generated && !opts.quiet) opts.log.warn('HERALD_SECRET is not set: generated one in the data folder to sign unsubscribe links (set HERALD_SECRET in production)');
  const dirs = config.templateDirs;
  const engine = createTemplateEngine({ root: dirs[dirs.length - 1] as string, userRoot: dirs.length > 1 ? dirs[0] : undefined });
  const adapters = new Map<string, ChannelAdapter<unknown>>();
  let notifier: Promise<ApprovalNotifier> | undefined;
  const host = new URL(config.site.url).hostname || 'herald.local';
  const h: Herald = {
    config,
    store,
    log: opts.log,
    engine,
    secret,
    now: opts.now ?? clockFrom(config.env.HERALD_NOW),
    messageId: (channelId, local) => `<herald.${channelId}.${local}@${host}>`,
    channel: (id) => config.channels.find((c) => c.id === id),
    adapter(channel) {
      let a = adapters.get(channel.id);
      if (!a) {
        a = channelKind(channel).createAdapter(channel, h);
        if (a.preview && !opts.quiet) {
          h.log.info(`${channel.id}: no credentials configured, preview mode: writing what it would send to ${config.outboxDir}/${channel.id}/`);
        }
        adapters.set(channel.id, a);
      }
      return a;
    },
    // Loaded only when a card is to be posted or edited: most commands never need the chat clients.
    ...(config.editors
      ? { editors: () => (notifier ??= import('../bots/notifier.ts').then((m) => m.createApprovalNotifier(h))) }
      : {}),
    async close() {
      await Promise.allSettled([...adapters.values()].map((a) => a.close()));
      if (notifier) await notifier.then((n) => n.close()).catch(() => undefined);
      adapters.clear();
      await store.close();
    },
  };
  return h;
}

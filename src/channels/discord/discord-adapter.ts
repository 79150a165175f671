import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RateLimitData, RESTOptions } from 'discord.js';
import { redact, registerSecret } from '../../util/secrets.ts';
import { rateLimited, transient } from '../errors.ts';
import type { SharedPacing } from '../shared-pacing.ts';
import type { ChannelAdapter, SendResult } from '../types.ts';
import { type DiscordChannelConfig, discordTarget } from './discord-config.ts';
import { type DiscordErrorContext, mapDiscordError } from './discord-errors.ts';
import type { DiscordPayload } from './discord-payload.ts';

/**
 * Posts rendered payloads to Discord with discord.js: through a webhook
 * (WebhookClient, `?wait=true` so Discord returns the message and its id) or as
 * a bot (REST `POST /channels/{id}/messages`). One client per adapter, so
 * discord.js's per-route buckets pace consecutive sends from the rate-limit
 * headers; short 429s are waited out by discord.js, long or global ones are
 * thrown as rate-limited for the pipeline to schedule.
 */
export interface DiscordAdapterOptions {
  /** Per attempt (default 15 s). With one retry, a send gives up after about 30 s. */
  timeoutMs?: number;
  /** discord.js retries after a 5xx, a timeout or a reset connection (default 1). */
  retries?: number;
  /** Rate-limit waits longer than this are thrown instead of waited (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Told about every rate limit discord.js meets (for logs). */
  onRateLimited?: (info: { route: string; retryAfterMs: number; global: boolean }) => void;
  /**
   * A budget shared with the other Herald processes on the store (PostgreSQL): a rate limit one
   * process meets holds the destination for all of them, and their posts to it go one at a time.
   */
  shared?: SharedPacing;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_WAIT_MS = 60_000;

export function createDiscordAdapter(config: DiscordChannelConfig, opts: DiscordAdapterOptions = {}): ChannelAdapter<DiscordPayload> {
  const target = discordTarget(config);
  if (target.mode === 'preview') {
    throw new Error(`${config.id}: no Discord webhookUrl or bot token configured; use the preview (outbox) adapter`);
  }
  const secret = target.mode === 'bot' ? target.token : target.webhookToken;
  registerSecret(secret);

  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxWaitMs = opts.maxRateLimitWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const restOptions: Partial<RESTOptions> = {
    api: target.apiRoot,
    version: '10',
    timeout: timeoutMs,
    retries: opts.retries ?? 1,
    // Asked by discord.js before every wait, after a 429 and before a pre-emptive bucket
    // wait alike (its RateLimited event only fires for the latter), so we also report here.
    // true = throw RateLimitError instead of sleeping.
    rejectOnRateLimit: (d: RateLimitData) => {
      opts.onRateLimited?.({ route: redact(d.route), retryAfterMs: waitOf(d), global: d.global });
      if (opts.shared && waitOf(d) > 0) void opts.shared.hold(sharedKey, Date.now() + waitOf(d)).catch(() => undefined);
      return d.scope === 'global' || waitOf(d) > maxWaitMs;
    },
    userAgentAppendix: 'Herald',
  };
  const ctx: DiscordErrorContext = {
    channelId: config.id,
    target: target.mode === 'bot' ? `channel ${config.threadId ?? target.channelId}` : `webhook ${target.webhookId}`,
    secrets: [secret],
    timeoutMs,
  };

  // The destination, never a token: the webhook or the channel.
  const sharedKey = `discord:${target.mode === 'webhook' ? `webhook:${target.webhookId}` : `channel:${config.threadId ?? target.channelId}`}`;
  // discord.js is loaded when a Discord channel first sends, not by every command.
  const { REST, Routes, WebhookClient } = createRequire(import.meta.url)('discord.js') as typeof import('discord.js');
  const webhook = target.mode === 'webhook' ? new WebhookClient({ id: target.webhookId, token: target.webhookToken }, { rest: restOptions }) : undefined;
  const rest = webhook?.rest ?? new REST(restOptions).setToken(secret);

  const post = async (payload: DiscordPayload): Promise<{ id: string }> => {
    if (webhook !== undefined) {
      return webhook.send({
        ...(payload.content === undefined ? {} : { content: payload.content }),
        embeds: payload.embeds,
        allowedMentions: payload.allowed_mentions,
        ...(payload.username === undefined ? {} : { username: payload.username }),
        ...(payload.avatar_url === undefined ? {} : { avatarURL: payload.avatar_url }),
        // discord.js always adds ?wait=true, so the created message (and its id) comes back.
        ...(threadOf(payload, config) === undefined ? {} : { threadId: threadOf(payload, config) }),
      });
    }
    // discord.js forgets the token after a 401; set it again so every send gets Discord's real answer.
    rest.setToken(secret);
    const channelId = threadOf(payload, config) ?? (target.mode === 'bot' ? target.channelId : '');
    const body = {
      ...(payload.content === undefined ? {} : { content: payload.content }),
      embeds: payload.embeds,
      allowed_mentions: payload.allowed_mentions,
      // A retry after a timeout or 5xx may reach Discord twice; with the same nonce
      // enforced, Discord returns the first message instead of posting a second.
      nonce: nonceFor(channelId, payload),
      enforce_nonce: true,
    };
    return (await rest.post(Routes.channelMessages(channelId), { body })) as { id: string };
  };

  const body = (payload: DiscordPayload) => ({
    content: payload.content ?? '',
    embeds: payload.embeds,
    allowed_mentions: payload.allowed_mentions,
  });
  /** PATCH of a sent message: the webhook's own message route, or the bot's channel message. */
  const patch = async (messageId: string, payload: DiscordPayload): Promise<void> => {
    const thread = threadOf(payload, config);
    if (webhook !== undefined) {
      await webhook.editMessage(messageId, {
        content: payload.content ?? '',
        embeds: payload.embeds,
        allowedMentions: payload.allowed_mentions,
        ...(thread === undefined ? {} : { threadId: thread }),
      });
      return;
    }
    rest.setToken(secret);
    await rest.patch(Routes.channelMessage(thread ?? (target.mode === 'bot' ? target.channelId : ''), messageId), { body: body(payload) });
  };
  const del = async (messageId: string, payload: DiscordPayload): Promise<void> => {
    const thread = threadOf(payload, config);
    if (webhook !== undefined) return webhook.deleteMessage(messageId, thread);
    rest.setToken(secret);
    await rest.delete(Routes.channelMessage(thread ?? (target.mode === 'bot' ? target.channelId : ''), messageId));
  };

  const inFlight = new Set<Promise<unknown>>();
  const track = async <T>(p: Promise<T>): Promise<T> => {
    if (closed) throw transient(`${config.id}: the Discord adapter is closed`);
    inFlight.add(p);
    try {
      return await p;
    } finally {
      inFlight.delete(p);
    }
  };
  let closed = false;

  return {
    channelId: config.id,
    type: 'discord',
    preview: false,
    async send(payload: DiscordPayload): Promise<SendResult> {
      if (closed) throw transient(`${config.id}: the Discord adapter is closed`);
      if (opts.shared) {
        // Another process's rate limit holds this destination: wait it out, or defer when it is long.
        const waited = await opts.shared.take(sharedKey, 1, { maxWaitMs });
        if (waited < 0) throw rateLimited(`${config.id}: Discord asked to wait before posting to ${ctx.target} again; ${Math.ceil(-waited / 1000)} s left`, -waited, { code: 429 });
      }
      const attempt = post(payload);
      inFlight.add(attempt);
      let message: { id: string };
      try {
        message = await attempt;
      } catch (e) {
        throw mapDiscordError(e, ctx);
      } finally {
        inFlight.delete(attempt);
      }
      const ids = [message.id];
      const notes: string[] = [];
      for (const [i, more] of (payload.continued ?? []).entries()) {
        // The first part is out: a later part that fails is reported, never a reason to post the first again.
        try {
          ids.push((await track(post(more))).id);
        } catch (e) {
          notes.push(`part ${i + 2} of ${(payload.continued?.length ?? 0) + 1} could not be posted: ${mapDiscordError(e, ctx).message}`);
          break;
        }
      }
      return { providerMessageId: ids.join(','), ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    },
    async edit(messageId: string, payload: DiscordPayload): Promise<SendResult> {
      try {
        await track(patch(messageId, payload));
        return {};
      } catch (e) {
        throw mapDiscordError(e, ctx);
      }
    },
    async remove(messageId: string, payload: DiscordPayload): Promise<void> {
      try {
        await track(del(messageId, payload));
      } catch (e) {
        // Unknown Message: already deleted (by a person, or by an earlier attempt).
        if ((e as { code?: unknown }).code === 10008) return;
        throw mapDiscordError(e, ctx);
      }
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...inFlight]);
      if (webhook !== undefined) webhook.destroy();
      else {
        rest.clearHashSweeper();
        rest.clearHandlerSweeper();
      }
    },
  };
}

/** The longest of the waits discord.js reports; the fields differ between a 429 and a pre-emptive wait. */
function waitOf(d: RateLimitData): number {
  return Math.max(d.retryAfter, d.timeToReset, d.sublimitTimeout);
}

function threadOf(payload: DiscordPayload, config: DiscordChannelConfig): string | undefined {
  return payload.threadId ?? config.threadId;
}

/** Discord nonces are at most 25 characters; the same post to the same channel gets the same one. */
function nonceFor(channelId: string, payload: DiscordPayload): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([channelId, payload.content ?? '', payload.embeds]))
    .digest('base64url');
  return digest.slice(0, 25);
}

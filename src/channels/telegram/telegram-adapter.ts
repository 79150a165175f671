import { createRequire } from 'node:module';
import type { Telegram } from 'telegraf';
import { redact, registerSecret } from '../../util/secrets.ts';
import { type DeliveryError, isDeliveryError, rateLimited } from '../errors.ts';
import type { ChannelAdapter, SendResult } from '../types.ts';
import type { TelegramChannelConfig } from './telegram-config.ts';
import { type FailureContext, isPhotoRejection, readFailure, shortReason, type TelegramFailure, toDeliveryError } from './telegram-errors.ts';
import { type TelegramPayload, type TelegramRequest, telegramRequest } from './telegram-payload.ts';
import { chatLimiter, tokenLimiter } from './shared-pacing.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface TelegramAdapterOptions {
  /** Monotonic clock in ms for pacing (default performance.now). */
  now?: () => number;
  /** Per request; a request that gets no answer in time fails as a connection error (default 30 s). */
  requestTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

type ApiCallOptions = Parameters<Telegram['callApi']>[2];

/** A call that failed; carries the already-scrubbed facts until they become a DeliveryError. */
class CallFailure extends Error {
  constructor(
    readonly failure: TelegramFailure,
    readonly chat: string | number,
  ) {
    super(failure.description);
  }
}

/**
 * Posts rendered TelegramPayloads with telegraf's Bot API client (one per adapter).
 * Sends run one at a time in call order, paced per chat and per bot token.
 */
export function createTelegramAdapter(config: TelegramChannelConfig, opts: TelegramAdapterOptions = {}): ChannelAdapter<TelegramPayload> {
  const { id: channelId, token } = config;
  if (token === '') throw new Error(`${channelId}: no bot token; a Telegram channel without one runs in preview mode`);
  registerSecret(token);
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = opts.now ?? (() => performance.now());
  const apiRoot = withTrailingSlash(config.apiRoot);
  const apiHost = new URL(apiRoot).host;
  // telegraf resolves `./bot<token>/<method>` against apiRoot, so a root with a path needs its final slash.
  // telegraf is loaded when a Telegram channel first sends, not by every command.
  const { Telegram: Client } = createRequire(import.meta.url)('telegraf') as typeof import('telegraf');
  const client = new Client(token, { apiRoot });
  const perToken = tokenLimiter(token, config.pace.perToken, now);
  const scrub = (s: string) => redact(s.split(token).join('***').split(encodeURIComponent(token)).join('***'));
  /** Chats that Telegram moved (group → supergroup), for the rest of this adapter's life. */
  const migrated = new Map<string, string | number>();
  const closing = new AbortController();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const context = (chat: string | number, p: TelegramPayload): FailureContext => ({
    channelId,
    chat,
    ...(p.threadId === undefined ? {} : { thread: p.threadId }),
    apiHost,
    timeoutMs,
  });

  async function waitFor(limiter: RateLimiter, method: string, chat: string | number): Promise<void> {
    try {
      await limiter.acquire(closing.signal);
    } catch {
      throw new CallFailure(readFailure(undefined, method, scrub, 'closed'), chat);
    }
  }

  async function call(req: TelegramRequest, chat: string | number): Promise<{ message_id: number }> {
    await waitFor(perToken, req.method, chat);
    // Not tied to close(): a request already on the wire finishes (or times out), so its outcome is known.
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // callApi rather than sendPhoto/sendMessage: only it takes an AbortSignal. telegraf types it
      // with the abort-controller polyfill's class; Node's own AbortSignal is what node-fetch checks for.
      const result = await client.callApi(req.method, req.fields as never, { signal } as ApiCallOptions);
      return result as { message_id: number };
    } catch (e) {
      throw new CallFailure(readFailure(e, req.method, scrub, signal.aborted ? 'timeout' : undefined), chat);
    }
  }

  /** One API call; a group that became a supergroup is followed to its new id at once. */
  async function post(p: TelegramPayload, as: 'photo' | 'text', notes: string[]): Promise<{ message_id: number }> {
    const chat = migrated.get(String(p.chatId)) ?? p.chatId;
    try {
      return await call(telegramRequest(p, as, chat), chat);
    } catch (e) {
      const to = e instanceof CallFailure ? e.failure.migrateToChatId : undefined;
      if (to === undefined) throw e;
      migrated.set(String(p.chatId), to);
      notes.push(`${channelId}: the group was upgraded to a supergroup; update chat to ${to} in the config`);
      return await call(telegramRequest(p, as, to), to);
    }
  }

  async function deliver(p: TelegramPayload): Promise<SendResult> {
    const chat = migrated.get(String(p.chatId)) ?? p.chatId;
    const notes: string[] = [];
    const perChat = chatLimiter(token, chat, config.pace.perChat, now);
    // Telegram's retry_after can be an hour: say so at once rather than block the caller that long.
    const held = perChat.heldUntil - now();
    if (held > 0) {
      const seconds = Math.ceil(held / 1000);
      throw rateLimited(`${channelId}: Telegram asked to wait before posting to ${chat} again; ${seconds} s left`, held, { code: 429 });
    }
    try {
      await waitFor(perChat, p.photo ? 'sendPhoto' : 'sendMessage', chat);
      let message: { message_id: number };
      if (p.photo === undefined) message = await post(p, 'text', notes);
      else {
        try {
          message = await post(p, 'photo', notes);
        } catch (e) {
          if (!(e instanceof CallFailure) || !isPhotoRejection(e.failure)) throw e;
          notes.push(`photo rejected (${shortReason(e.failure)}), sent as text with link preview`);
          message = await post(p, 'text', notes);
        }
      }
      return { providerMessageId: String(message.message_id), ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    } catch (e) {
      if (e instanceof CallFailure) {
        // Later posts to this chat wait as long as Telegram asked, instead of being refused again.
        if (e.failure.retryAfterSeconds !== undefined) perChat.holdUntil(now() + e.failure.retryAfterSeconds * 1000);
        throw toDeliveryError(e.failure, context(e.chat, p));
      }
      throw unexpected(e);
    }
  }

  function unexpected(e: unknown): DeliveryError {
    if (isDeliveryError(e)) return e;
    return toDeliveryError(readFailure(e, 'send', scrub), { channelId, chat: config.chat, apiHost, timeoutMs });
  }

  return {
    channelId,
    type: 'telegram',
    preview: false,
    send(payload) {
      if (closed) return Promise.reject(toDeliveryError(readFailure(undefined, 'send', scrub, 'closed'), context(payload.chatId, payload)));
      const run = queue.then(() => deliver(payload));
      queue = run.catch(() => {});
      return run;
    },
    async close() {
      closed = true;
      // Posts still waiting for a pacing slot are given back (they were not sent); the one in flight finishes.
      closing.abort(new Error('closed'));
      await queue;
    },
  };
}

function withTrailingSlash(root: string): string {
  return root.endsWith('/') ? root : `${root}/`;
}

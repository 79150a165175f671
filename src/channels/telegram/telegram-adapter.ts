import { createRequire } from 'node:module';
import type { Telegram } from 'telegraf';
import { redact, registerSecret } from '../../util/secrets.ts';
import { type DeliveryError, isDeliveryError, rateLimited } from '../errors.ts';
import type { ChannelAdapter, SendResult } from '../types.ts';
import type { TelegramChannelConfig } from './telegram-config.ts';
import { type FailureContext, isPhotoRejection, readFailure, shortReason, type TelegramFailure, toDeliveryError } from './telegram-errors.ts';
import { type TelegramPayload, type TelegramRequest, telegramEditRequest, telegramRequest } from './telegram-payload.ts';
import type { SharedPacing } from '../shared-pacing.ts';
import { chatLimiter, tokenKey, tokenLimiter } from './shared-pacing.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface TelegramAdapterOptions {
  /** Monotonic clock in ms for pacing (default performance.now). */
  now?: () => number;
  /** Per request; a request that gets no answer in time fails as a connection error (default 30 s). */
  requestTimeoutMs?: number;
  /** Budgets shared with the other Herald processes on the store (PostgreSQL), on top of this process's own pacing. */
  shared?: SharedPacing;
}

/** A shared slot further away than this is not waited for: the post is deferred as rate-limited. */
const MAX_SHARED_WAIT_MS = 60_000;

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

  /** The slot of a budget shared with other processes; a far one defers the post instead of blocking. */
  async function waitShared(key: string, intervalMs: number, method: string, chat: string | number): Promise<void> {
    if (!opts.shared) return;
    let waited: number;
    try {
      waited = await opts.shared.take(key, intervalMs, { signal: closing.signal, maxWaitMs: MAX_SHARED_WAIT_MS });
    } catch {
      throw new CallFailure(readFailure(undefined, method, scrub, 'closed'), chat);
    }
    if (waited < 0) throw rateLimited(`${channelId}: Telegram asked to wait before posting to ${chat} again; ${Math.ceil(-waited / 1000)} s left`, -waited, { code: 429 });
  }

  const sharedTokenKey = `telegram:token:${tokenKey(token)}`;
  const sharedChatKey = (chat: string | number) => `telegram:chat:${tokenKey(token)}:${String(chat)}`;

  async function call(req: TelegramRequest, chat: string | number): Promise<{ message_id: number }> {
    await waitFor(perToken, req.method, chat);
    await waitShared(sharedTokenKey, 1000 / config.pace.perToken, req.method, chat);
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
      await waitShared(sharedChatKey(chat), 60_000 / config.pace.perChat, p.photo ? 'sendPhoto' : 'sendMessage', chat);
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
      const ids = [String(message.message_id)];
      for (const [i, text] of (p.continued ?? []).entries()) {
        // The first part is out: a later part that fails is reported, never a reason to post the first again.
        try {
          await waitFor(perChat, 'sendMessage', chat);
          ids.push(String((await post({ ...p, photo: undefined, text, linkPreview: false, continued: undefined }, 'text', notes)).message_id));
        } catch (e) {
          notes.push(`part ${i + 2} of ${(p.continued?.length ?? 0) + 1} could not be posted: ${e instanceof CallFailure ? shortReason(e.failure) : String(e)}`);
          break;
        }
      }
      return { providerMessageId: ids.join(','), ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    } catch (e) {
      if (e instanceof CallFailure) {
        // Later posts to this chat wait as long as Telegram asked, instead of being refused again.
        if (e.failure.retryAfterSeconds !== undefined) {
          perChat.holdUntil(now() + e.failure.retryAfterSeconds * 1000);
          await opts.shared?.hold(sharedChatKey(e.chat), Date.now() + e.failure.retryAfterSeconds * 1000).catch(() => undefined);
        }
        throw toDeliveryError(e.failure, context(e.chat, p));
      }
      throw unexpected(e);
    }
  }

  /** An edit or a deletion of a sent message, paced and queued like a post. */
  async function change(p: TelegramPayload, req: (chat: string | number) => TelegramRequest, ok: RegExp): Promise<SendResult> {
    const chat = migrated.get(String(p.chatId)) ?? p.chatId;
    const perChat = chatLimiter(token, chat, config.pace.perChat, now);
    const held = perChat.heldUntil - now();
    if (held > 0) throw rateLimited(`${channelId}: Telegram asked to wait before changing posts in ${chat}; ${Math.ceil(held / 1000)} s left`, held, { code: 429 });
    try {
      await waitFor(perChat, req(chat).method, chat);
      await call(req(chat), chat);
      return {};
    } catch (e) {
      if (e instanceof CallFailure) {
        if (ok.test(e.failure.description)) return {};
        if (e.failure.retryAfterSeconds !== undefined) perChat.holdUntil(now() + e.failure.retryAfterSeconds * 1000);
        throw toDeliveryError(e.failure, context(e.chat, p));
      }
      throw unexpected(e);
    }
  }

  function enqueue<T>(payload: TelegramPayload, run: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(toDeliveryError(readFailure(undefined, 'send', scrub, 'closed'), context(payload.chatId, payload)));
    const r = queue.then(run);
    queue = r.catch(() => {});
    return r;
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
      return enqueue(payload, () => deliver(payload));
    },
    edit(messageId, payload, o) {
      return enqueue(payload, () => change(payload, (chat) => telegramEditRequest(payload, Number(messageId), o.form, o.newImage, chat), /message is not modified/i));
    },
    async remove(messageId, payload) {
      await enqueue(payload, () => change(payload, (chat) => ({ method: 'deleteMessage', fields: { chat_id: chat, message_id: Number(messageId) } }), /message to delete not found/i));
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

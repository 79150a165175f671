/**
 * Turns what telegraf throws into Herald's DeliveryError, in words an editor
 * understands. Everything passes through `scrub` first: the bot token is part of the
 * request URL, and node-fetch puts that URL into its error messages and stacks, so
 * the original error objects are never kept as `cause`.
 */
import { createRequire } from 'node:module';
import { type DeliveryError, permanent, rateLimited, transient } from '../errors.ts';

/** One failed Bot API call, already free of the token. */
export interface TelegramFailure {
  method: string;
  /** Bot API error_code (the HTTP status); undefined when no answer came. */
  status?: number;
  /** Telegram's description, or what went wrong on the way. */
  description: string;
  retryAfterSeconds?: number;
  migrateToChatId?: number;
  /** No usable answer: a system error code (ECONNREFUSED, ...), 'timeout', 'closed' or 'invalid-answer'. */
  network?: string;
}

export function readFailure(e: unknown, method: string, scrub: (s: string) => string, why?: 'timeout' | 'closed'): TelegramFailure {
  // Loaded here, not at start-up: only a Telegram send (which loaded telegraf already) gets here.
  const { TelegramError } = createRequire(import.meta.url)('telegraf') as typeof import('telegraf');
  if (e instanceof TelegramError) {
    const p = e.parameters;
    return {
      method,
      status: e.code,
      description: scrub(String(e.description ?? '')),
      ...(typeof p?.retry_after === 'number' ? { retryAfterSeconds: p.retry_after } : {}),
      ...(typeof p?.migrate_to_chat_id === 'number' ? { migrateToChatId: p.migrate_to_chat_id } : {}),
    };
  }
  if (why !== undefined) return { method, network: why, description: why === 'timeout' ? 'no answer in time' : 'closed' };
  const err = (e ?? {}) as { message?: unknown; code?: unknown; type?: unknown; name?: unknown };
  const message = scrub(String(err.message ?? e));
  // node-fetch: "request to <url> failed, reason: connect ECONNREFUSED 127.0.0.1:1"
  const reason = /reason: (.*)$/s.exec(message)?.[1] ?? message;
  if (typeof err.code === 'string') return { method, network: err.code, description: reason };
  if (err.type === 'invalid-json') return { method, network: 'invalid-answer', description: 'the answer was not JSON (a proxy or a wrong apiRoot?)' };
  if (err.type === 'system' || err.name === 'FetchError') return { method, network: 'fetch', description: reason };
  return { method, description: message };
}

const PHOTO_REJECTED = /photo|image|web ?page|HTTP URL|file identifier|wrong file id|file is too big|dimensions|IMAGE_PROCESS_FAILED/i;

/** Telegram could not use the image (cannot fetch it, wrong type, too big, ...): the post can still go out as text. */
export function isPhotoRejection(f: TelegramFailure): boolean {
  return f.status === 400 && f.migrateToChatId === undefined && !isChatProblem(f.description) && PHOTO_REJECTED.test(f.description);
}

function isChatProblem(description: string): boolean {
  return /chat not found|thread not found|TOPIC_|not enough rights to send (text )?messages|CHAT_WRITE_FORBIDDEN|administrator rights/i.test(description);
}

/** The description without Telegram's "Bad Request: " style prefix, for short notes. */
export function shortReason(f: TelegramFailure): string {
  return f.description.replace(/^(Bad Request|Forbidden|Unauthorized|Not Found|Conflict|Too Many Requests):\s*/i, '') || `error ${f.status ?? f.network}`;
}

export interface FailureContext {
  channelId: string;
  chat: string | number;
  thread?: number;
  /** host[:port] of the Bot API server, for connection messages. */
  apiHost: string;
  timeoutMs: number;
}

/**
 * `code` is the HTTP status, except where Telegram answers 400 for something that
 * breaks every post of the channel (unknown chat or topic: 404; no right to post:
 * 403), so the pipeline stops the channel instead of failing post after post.
 */
export function toDeliveryError(f: TelegramFailure, c: FailureContext): DeliveryError {
  const id = c.channelId;
  const d = f.description;
  const cause = { method: f.method, ...(f.status === undefined ? {} : { status: f.status }), description: d, ...(f.network ? { network: f.network } : {}) };
  const opts = (code?: number, connection = false) => ({ cause, connection, ...(code === undefined ? {} : { code }) });

  if (f.status === undefined) {
    if (f.network === 'closed') return transient(`${id}: the channel was closed before the post was sent`, opts());
    if (f.network === 'timeout') {
      return transient(
        `${id}: no answer from the Telegram Bot API at ${c.apiHost} within ${c.timeoutMs < 1000 ? `${c.timeoutMs} ms` : `${Math.round(c.timeoutMs / 1000)} s`}`,
        opts(undefined, true),
      );
    }
    if (f.network !== undefined) return transient(`${id}: cannot reach the Telegram Bot API at ${c.apiHost} (${d})`, opts(undefined, true));
    return transient(`${id}: sending to Telegram failed: ${d}`, opts());
  }
  const s = f.status;
  if (s === 429) {
    const seconds = f.retryAfterSeconds ?? 30;
    return rateLimited(`${id}: Telegram asks to slow down (429: ${d}); retry in ${seconds} s`, seconds * 1000, opts(429));
  }
  if (s === 401) return permanent(`${id}: the bot token was rejected (401 Unauthorized)`, opts(401));
  if (s === 403) return permanent(`${id}: the bot is not a member/admin of ${c.chat} (403: ${d})`, opts(403));
  if (s === 404) return permanent(`${id}: chat ${c.chat} not found (404); check chat, and apiRoot if you run your own Bot API server`, opts(404));
  if (s >= 500) return transient(`${id}: Telegram server error (${s}: ${d}); will retry`, opts(s));
  if (s === 400) {
    if (/chat not found/i.test(d)) return permanent(`${id}: chat ${c.chat} not found (400: ${d}); is the id right and is the bot in it?`, opts(404));
    if (/thread not found|TOPIC_/i.test(d)) {
      return permanent(`${id}: forum topic ${c.thread ?? '(none)'} not found or closed in ${c.chat} (400: ${d})`, opts(404));
    }
    if (/not enough rights|CHAT_WRITE_FORBIDDEN|administrator rights/i.test(d)) {
      return permanent(`${id}: the bot may not post in ${c.chat} (400: ${d}); make it an admin allowed to post`, opts(403));
    }
    if (/can't parse entities/i.test(d)) return permanent(`${id}: Telegram could not parse the post's HTML (400: ${d}); check the template`, opts(400));
    return permanent(`${id}: Telegram rejected the post (400: ${d})`, opts(400));
  }
  return permanent(`${id}: Telegram refused ${f.method} (${s}: ${d})`, opts(s));
}

/**
 * A local stand-in for the Telegram Bot API (node:http on loopback), so the adapter is
 * tested with the real telegraf client pointed at it through `apiRoot`.
 *
 *   const api = await startTelegramApi({ tokens: ['123456:ABC-secret-token'] });
 *   createTelegramAdapter({ ...config, apiRoot: api.apiRoot });
 *   api.failNext('sendPhoto', { code: 400, description: 'Bad Request: wrong type of the web page content' });
 *   api.failNext('*', { code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }, { chat: -100123 });
 *   api.calls          // every request: { token, method, body, at, chatId }
 *   api.messages       // only the accepted ones, with the message_id they got
 *   await api.close();
 *
 * A bot's side of the conversation: `api.pushUpdate(api.command('/why x', EDITOR))` queues
 * an update that `getUpdates` (long polling, with Telegram's offset rule: an offset confirms
 * every update below it) hands out; `api.press(message, data, user)` is a button press.
 * `editMessageText`, `editMessageCaption` and `editMessageMedia` change a sent message as
 * Telegram does (text only on a text message, caption and media only on a photo; "message is
 * not modified" when nothing changes; "message to edit not found" for an unknown or deleted
 * one), `deleteMessage` deletes one (`deleted: true`; "message to delete not found" after);
 * `api.deleteByPerson(m)` plays a person deleting a post, `answerCallbackQuery` is recorded in `api.answers`, `setWebhook` /
 * `deleteWebhook` switch between webhook and polling (getUpdates: 409 while a webhook is set).
 * `api.waitFor(predicate)` resolves when a recorded call matches.
 *
 * `POST` or `GET /bot<token>/<method>` with a JSON, urlencoded or multipart body (or a
 * query string) is answered like Telegram: `{ ok: true, result: Message }` with an
 * increasing message_id, or `{ ok: false, error_code, description, parameters }` with the
 * same HTTP status. Unknown tokens get 401 Unauthorized; 5xx answers have a non-JSON
 * body, as a proxy in front of Telegram would send. `delayMs` holds every answer back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from './multipart.ts';

export interface TelegramApiFailure {
  code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface TelegramApiCall {
  token: string;
  method: string;
  /** Decoded body fields (multipart file parts as `{ filename, size, data }`). */
  body: Record<string, unknown>;
  /** How the body came: 'json' | 'form' | 'multipart' | 'query'. */
  encoding: string;
  /** Date.now() when the request arrived. */
  at: number;
  chatId?: string;
}

export interface TelegramApiMessage {
  /** The message_id the bot got back (also as `message_id`, the Bot API's spelling). */
  messageId: number;
  message_id: number;
  chatId: string;
  method: string;
  body: Record<string, unknown>;
  at: number;
  /** Deleted (by the bot's deleteMessage, or a person). */
  deleted?: boolean;
  /** How many times it was edited. */
  edits?: number;
}

export interface TelegramUser {
  id: number;
  username?: string;
  first_name?: string;
}

export interface TelegramChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: updates are free-form JSON, as Telegram sends them
export type TelegramUpdate = { update_id: number } & Record<string, any>;

export interface TelegramApiOptions {
  /** Tokens that are accepted; default ['123456:ABC-secret-token']. */
  tokens?: string[];
  /** Wait this long before every answer. */
  delayMs?: number;
}

export interface TestTelegramApi {
  /** http://127.0.0.1:PORT, to pass as the adapter's apiRoot. */
  apiRoot: string;
  port: number;
  calls: TelegramApiCall[];
  messages: TelegramApiMessage[];
  /** The next call of `method` ('*': any method), optionally only to `chat`, fails with this answer. Queued in order. */
  failNext(method: string, failure: TelegramApiFailure, opts?: { chat?: string | number }): void;
  delayMs: number;
  /** Resolves once at least `count` messages were accepted. */
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first call (already made or to come) that matches. */
  waitFor(match: (c: TelegramApiCall) => boolean, timeoutMs?: number, what?: string): Promise<TelegramApiCall>;
  /** Queue an update for getUpdates (its update_id is assigned); returns it. */
  pushUpdate(u: Omit<TelegramUpdate, 'update_id'>): TelegramUpdate;
  /** A text message update with the bot_command entity Telegram adds for a leading /command. */
  command(text: string, from: TelegramUser, chat?: TelegramChat): Omit<TelegramUpdate, 'update_id'>;
  /** A button press on a message the bot sent. */
  press(message: TelegramApiMessage, data: string, from: TelegramUser): Omit<TelegramUpdate, 'update_id'>;
  /** Updates handed out and never confirmed by a later offset. */
  readonly unconfirmed: TelegramUpdate[];
  /** Every answerCallbackQuery: { callback_query_id, text }. */
  answers: Array<{ callback_query_id: string; text?: string }>;
  /** Set by setWebhook, cleared by deleteWebhook. */
  webhook?: { url: string; secret_token?: string };
  /** The inline keyboard of a message, as [label, callback_data] pairs. */
  buttonsOf(m: TelegramApiMessage): Array<[string, string]>;
  /** A person deletes this message in the chat. */
  deleteByPerson(m: TelegramApiMessage): void;
  /** Messages still in their chats (not deleted). */
  live(): TelegramApiMessage[];
  close(): Promise<void>;
}

const MESSAGE_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendDocument']);

export async function startTelegramApi(opts: TelegramApiOptions = {}): Promise<TestTelegramApi> {
  const tokens = new Set(opts.tokens ?? ['123456:ABC-secret-token']);
  const calls: TelegramApiCall[] = [];
  const messages: TelegramApiMessage[] = [];
  const failures: Array<{ method: string; chat?: string; failure: TelegramApiFailure }> = [];
  const waiters = new Set<() => void>();
  const callWaiters = new Set<() => void>();
  let nextId = 1;
  let nextUpdate = 5000;
  let nextCallback = 1;
  let queue: TelegramUpdate[] = [];
  const pollers = new Set<() => void>();

  const api: TestTelegramApi = {
    apiRoot: '',
    port: 0,
    calls,
    messages,
    delayMs: opts.delayMs ?? 0,
    failNext(method, failure, o = {}) {
      failures.push({ method, failure, ...(o.chat === undefined ? {} : { chat: String(o.chat) }) });
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waited ${timeoutMs} ms for ${count} Telegram messages, got ${messages.length}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    waitFor(match, timeoutMs = 10_000, what = 'a matching Telegram call') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = calls.find(match);
          if (!found) return false;
          callWaiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          callWaiters.delete(check);
          reject(new Error(`waited ${timeoutMs} ms for ${what}; calls: ${calls.map((c) => c.method).join(', ')}`));
        }, timeoutMs);
        if (!check()) callWaiters.add(check);
      });
    },
    pushUpdate(u) {
      const update = { ...u, update_id: nextUpdate++ } as TelegramUpdate;
      queue.push(update);
      for (const p of [...pollers]) p();
      return update;
    },
    command(text, from, chat) {
      const c = chat ?? { id: from.id, type: 'private' as const, first_name: from.first_name };
      const name = /^\/\S+/.exec(text)?.[0] ?? '';
      return {
        message: {
          message_id: nextId++,
          date: Math.floor(Date.now() / 1000),
          chat: c,
          from: { is_bot: false, first_name: from.first_name ?? 'Editor', ...from },
          text,
          ...(name ? { entities: [{ type: 'bot_command', offset: 0, length: name.length }] } : {}),
        },
      };
    },
    press(m, data, from) {
      return {
        callback_query: {
          id: String(nextCallback++),
          from: { is_bot: false, first_name: from.first_name ?? 'Editor', ...from },
          chat_instance: 'test',
          data,
          message: message(m.message_id, m.chatId, m.method, m.body, m.at),
        },
      };
    },
    get unconfirmed() {
      return queue;
    },
    answers: [],
    buttonsOf(m) {
      const markup = (typeof m.body.reply_markup === 'string' ? JSON.parse(m.body.reply_markup) : m.body.reply_markup) as
        | { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> }
        | undefined;
      return (markup?.inline_keyboard ?? []).flat().map((b) => [b.text, b.callback_data]);
    },
    deleteByPerson(m) {
      m.deleted = true;
    },
    live() {
      return messages.filter((m) => !m.deleted);
    },
    close: async () => {},
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Any prefix, like a self-hosted Bot API server behind a path.
    const match = /\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (match === null) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const token = decodeURIComponent(match[1] as string);
    const method = match[2] as string;
    const { body, encoding } = await readBody(req, url);
    const chatId = body.chat_id === undefined ? undefined : String(body.chat_id);
    calls.push({ token, method, body, encoding, at, ...(chatId === undefined ? {} : { chatId }) });
    for (const w of [...callWaiters]) w();
    if (api.delayMs > 0 && method !== 'getUpdates') await new Promise((r) => setTimeout(r, api.delayMs));

    if (!tokens.has(token)) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const i = failures.findIndex((f) => (f.method === '*' || f.method === method) && (f.chat === undefined || f.chat === chatId));
    if (i >= 0) {
      const { failure } = failures.splice(i, 1)[0] as (typeof failures)[number];
      if (failure.code >= 500) {
        res.writeHead(failure.code, { 'content-type': 'text/html' });
        return res.end(`<html><body>${failure.description}</body></html>`);
      }
      return reply(res, failure.code, {
        ok: false,
        error_code: failure.code,
        description: failure.description,
        ...(failure.parameters === undefined ? {} : { parameters: failure.parameters }),
      });
    }
    if (method === 'getMe')
      return reply(res, 200, { ok: true, result: { id: Number(token.split(':')[0]), is_bot: true, first_name: 'Herald test', username: 'herald_test_bot' } });
    if (method === 'getUpdates') return getUpdates(req, res, body);
    if (method === 'setWebhook') {
      api.webhook = { url: String(body.url), ...(body.secret_token === undefined ? {} : { secret_token: String(body.secret_token) }) };
      return reply(res, 200, { ok: true, result: true, description: 'Webhook was set' });
    }
    if (method === 'deleteWebhook') {
      api.webhook = undefined;
      return reply(res, 200, { ok: true, result: true });
    }
    if (method === 'setMyCommands') return reply(res, 200, { ok: true, result: true });
    if (method === 'answerCallbackQuery') {
      api.answers.push({ callback_query_id: String(body.callback_query_id), ...(body.text === undefined ? {} : { text: String(body.text) }) });
      for (const w of [...callWaiters]) w();
      return reply(res, 200, { ok: true, result: true });
    }
    if (method === 'deleteMessage') {
      const target = messages.find((m) => m.chatId === chatId && m.message_id === Number(body.message_id) && !m.deleted);
      if (!target) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to delete not found' });
      target.deleted = true;
      for (const w of [...callWaiters]) w();
      return reply(res, 200, { ok: true, result: true });
    }
    if (method === 'editMessageCaption' || method === 'editMessageMedia') {
      const target = messages.find((m) => m.chatId === chatId && m.message_id === Number(body.message_id) && !m.deleted);
      if (!target) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
      if (target.method !== 'sendPhoto') {
        return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: there is no ${method === 'editMessageCaption' ? 'caption' : 'media'} in the message to edit` });
      }
      const media = (typeof body.media === 'string' ? JSON.parse(body.media) : body.media) as { type?: string; media?: string; caption?: string; parse_mode?: string } | undefined;
      const next: Record<string, unknown> =
        method === 'editMessageCaption'
          ? { ...target.body, caption: body.caption, parse_mode: body.parse_mode }
          : { ...target.body, photo: media?.media, caption: media?.caption, parse_mode: media?.parse_mode };
      if (method === 'editMessageMedia' && typeof media?.media !== 'string') {
        return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse InputMedia: media not found" });
      }
      if (JSON.stringify([target.body.caption, target.body.photo]) === JSON.stringify([next.caption, next.photo])) {
        return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' });
      }
      target.body = next;
      target.edits = (target.edits ?? 0) + 1;
      for (const w of [...callWaiters]) w();
      return reply(res, 200, { ok: true, result: message(target.message_id, target.chatId, target.method, target.body, target.at) });
    }
    if (method === 'editMessageText' || method === 'editMessageReplyMarkup') {
      const target = messages.find((m) => m.chatId === chatId && m.message_id === Number(body.message_id) && !m.deleted);
      if (!target) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
      if (method === 'editMessageText' && target.method === 'sendPhoto') {
        return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: there is no text in the message to edit' });
      }
      const next = {
        ...target.body,
        ...(method === 'editMessageText' ? { text: body.text, ...(body.link_preview_options === undefined ? {} : { link_preview_options: body.link_preview_options }) } : {}),
        reply_markup: body.reply_markup,
      };
      const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
      const emptyMarkup = (x: unknown) => {
        const v = typeof x === 'string' ? (JSON.parse(x) as unknown) : x;
        return v === undefined || v === null || same(v, { inline_keyboard: [] }) ? undefined : v;
      };
      if (same(target.body.text, next.text) && same(emptyMarkup(target.body.reply_markup), emptyMarkup(next.reply_markup))) {
        return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' });
      }
      target.body = next;
      if (method === 'editMessageText') target.edits = (target.edits ?? 0) + 1;
      for (const w of [...callWaiters]) w();
      return reply(res, 200, { ok: true, result: message(target.message_id, target.chatId, target.method, target.body, target.at) });
    }
    if (!MESSAGE_METHODS.has(method)) return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${method} is not faked` });
    if (chatId === undefined || chatId === '') return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' });

    const message_id = nextId++;
    messages.push({ messageId: message_id, message_id, chatId, method, body, at });
    for (const w of [...waiters]) w();
    for (const w of [...callWaiters]) w();
    return reply(res, 200, { ok: true, result: message(message_id, chatId, method, body, at) });
  };

  /** Long polling: an offset confirms (drops) every update below it; waits up to `timeout` seconds for one. */
  function getUpdates(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    if (api.webhook) {
      reply(res, 409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
      return;
    }
    const offset = body.offset === undefined ? undefined : Number(body.offset);
    if (offset !== undefined) queue = queue.filter((u) => u.update_id >= offset);
    const limit = body.limit === undefined ? 100 : Number(body.limit);
    const timeout = body.timeout === undefined ? 0 : Number(body.timeout);
    const answer = () => reply(res, 200, { ok: true, result: queue.slice(0, limit) });
    if (queue.length > 0 || timeout <= 0) {
      answer();
      return;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      pollers.delete(wake);
      clearTimeout(timer);
    };
    const wake = () => {
      finish();
      answer();
    };
    const timer = setTimeout(wake, timeout * 1000);
    pollers.add(wake);
    req.socket.once('close', finish);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => reply(res, 500, { ok: false, error_code: 500, description: String(e) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  api.port = port;
  api.apiRoot = `http://127.0.0.1:${port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function message(message_id: number, chatId: string, method: string, body: Record<string, unknown>, at: number) {
  const chat = chatId.startsWith('@')
    ? { id: -1_000_000_000_000 - chatId.length, type: 'channel', title: chatId.slice(1), username: chatId.slice(1) }
    : { id: Number(chatId), type: Number(chatId) < 0 ? 'supergroup' : 'private', title: `chat ${chatId}` };
  const common = {
    message_id,
    date: Math.floor(at / 1000),
    chat,
    ...(body.message_thread_id === undefined ? {} : { message_thread_id: Number(body.message_thread_id) }),
  };
  if (method === 'sendDocument') return { ...common, document: { file_id: `doc-${message_id}`, file_unique_id: `d${message_id}` } };
  if (method === 'sendPhoto') {
    return {
      ...common,
      photo: [{ file_id: `photo-${message_id}`, file_unique_id: `u${message_id}`, width: 800, height: 450 }],
      caption: stripTags(String(body.caption ?? '')),
    };
  }
  return { ...common, text: stripTags(String(body.text ?? '')) };
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

async function readBody(req: IncomingMessage, url: URL): Promise<{ body: Record<string, unknown>; encoding: string }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: Object.fromEntries(url.searchParams), encoding: 'query' };
  if (type.startsWith('application/json')) return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, encoding: 'json' };
  if (type.startsWith('application/x-www-form-urlencoded')) return { body: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), encoding: 'form' };
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (type.startsWith('multipart/form-data') && boundary) return { body: parseMultipart(raw, (boundary[1] ?? boundary[2]) as string), encoding: 'multipart' };
  return { body: { raw: raw.toString('utf8') }, encoding: type || 'unknown' };
}

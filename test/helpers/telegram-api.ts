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
 * `POST` or `GET /bot<token>/<method>` with a JSON, urlencoded or multipart body (or a
 * query string) is answered like Telegram: `{ ok: true, result: Message }` with an
 * increasing message_id, or `{ ok: false, error_code, description, parameters }` with the
 * same HTTP status. Unknown tokens get 401 Unauthorized; 5xx answers have a non-JSON
 * body, as a proxy in front of Telegram would send. `delayMs` holds every answer back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramApiFailure {
  code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface TelegramApiCall {
  token: string;
  method: string;
  /** Decoded body fields (multipart file parts as `{ filename, size }`). */
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
}

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
  close(): Promise<void>;
}

const MESSAGE_METHODS = new Set(['sendMessage', 'sendPhoto']);

export async function startTelegramApi(opts: TelegramApiOptions = {}): Promise<TestTelegramApi> {
  const tokens = new Set(opts.tokens ?? ['123456:ABC-secret-token']);
  const calls: TelegramApiCall[] = [];
  const messages: TelegramApiMessage[] = [];
  const failures: Array<{ method: string; chat?: string; failure: TelegramApiFailure }> = [];
  const waiters = new Set<() => void>();
  let nextId = 1;

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
    if (api.delayMs > 0) await new Promise((r) => setTimeout(r, api.delayMs));

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
    if (!MESSAGE_METHODS.has(method)) return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${method} is not faked` });
    if (chatId === undefined || chatId === '') return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' });

    const message_id = nextId++;
    messages.push({ messageId: message_id, message_id, chatId, method, body, at });
    for (const w of [...waiters]) w();
    return reply(res, 200, { ok: true, result: message(message_id, chatId, method, body, at) });
  };

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

/** Enough multipart for the Bot API: text fields as strings (JSON fields as sent), files as their name and size. */
function parseMultipart(raw: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const text = raw.toString('latin1');
  for (const part of text.split(`--${boundary}`)) {
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) continue;
    const headers = part.slice(0, end);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (name === undefined) continue;
    const value = Buffer.from(part.slice(end + 4).replace(/\r\n$/, ''), 'latin1');
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    out[name] = filename === undefined ? value.toString('utf8') : { filename, size: value.length };
  }
  return out;
}

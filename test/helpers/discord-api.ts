/**
 * A local stand-in for the Discord REST API v10, for tests (node:http on loopback).
 *
 *   const api = await startDiscordApi({ webhooks: [{ id: '111', token: 'whtoken-SECRET-123' }], botToken: 'bot-SECRET' });
 *   // point the adapter at api.apiRoot ('http://127.0.0.1:PORT/api'); discord.js adds '/v10'
 *   api.webhookUrl('111')                     // http://127.0.0.1:PORT/api/webhooks/111/whtoken-SECRET-123
 *   api.failNext({ status: 429, retryAfter: 3600 });   // the next request gets this instead
 *   api.failNext('unauthorized', 'server-error');      // presets, one request each, in order
 *   api.requests  // every request: { method, path, query, headers, body, at }
 *   api.messages  // every message created
 *   await api.close();
 *
 * Routes: POST /api/v10/webhooks/:id/:token (execute webhook; `wait`, `thread_id` query;
 * unknown id → 404 Unknown Webhook 10015, wrong token → 401 Invalid Webhook Token 50027)
 * and POST /api/v10/channels/:id/messages (bot; `Authorization: Bot <token>`, else 401;
 * a channel not in `channels` → 404 Unknown Channel 10003, one in `forbidden` → 403
 * Missing Permissions 50013). Successes carry Discord's rate-limit headers; each bucket
 * (webhook or channel) allows `bucketLimit` requests per `bucketWindowMs` and answers a
 * real 429 beyond that, so a client that ignores the headers is caught.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordApiOptions {
  webhooks?: Array<{ id: string; token: string; channelId?: string }>;
  /** Token a bot must send as `Authorization: Bot <token>`; absent = bot routes answer 401. */
  botToken?: string;
  /** Channels the bot may post in; absent = any. */
  channels?: string[];
  /** Channels where the bot lacks permission (403 Missing Permissions). */
  forbidden?: string[];
  /** Requests per bucket and window (default 50 per 1000 ms). */
  bucketLimit?: number;
  bucketWindowMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface DiscordMessage {
  id: string;
  type: 0;
  channel_id: string;
  content: string;
  embeds: unknown[];
  timestamp: string;
  author: { id: string; username: string; bot: true };
  webhook_id?: string;
  mention_everyone: false;
  mentions: [];
  mention_roles: string[];
  tts: false;
  pinned: false;
  attachments: [];
  flags: 0;
  nonce?: string;
}

/** A scripted answer: a Discord error, a 429, or no answer at all (to trigger a client timeout). */
export type DiscordFailure =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: number; body?: unknown }
  | { hang: true }
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'unknown-webhook'
  | 'server-error';

const PRESETS: Record<Extract<DiscordFailure, string>, { status: number; body: unknown }> = {
  'bad-request': {
    status: 400,
    body: {
      message: 'Invalid Form Body',
      code: 50035,
      errors: { embeds: { '0': { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } } } },
    },
  },
  unauthorized: { status: 401, body: { message: '401: Unauthorized', code: 0 } },
  forbidden: { status: 403, body: { message: 'Missing Permissions', code: 50013 } },
  'unknown-webhook': { status: 404, body: { message: 'Unknown Webhook', code: 10015 } },
  'server-error': { status: 500, body: { message: '500: Internal Server Error', code: 0 } },
};

export interface DiscordApi {
  /** http://127.0.0.1:PORT/api (the REST `api` option; discord.js appends /v10). */
  apiRoot: string;
  port: number;
  requests: RecordedRequest[];
  messages: DiscordMessage[];
  /** The webhook URL of a configured webhook, on this server. */
  webhookUrl(id: string): string;
  /** Queue answers for the next requests (any route), in order. */
  failNext(...failures: DiscordFailure[]): void;
  /** Stops listening and drops kept-alive connections. */
  close(): Promise<void>;
}

const DISCORD_EPOCH = 1420070400000n;

export async function startDiscordApi(opts: DiscordApiOptions = {}): Promise<DiscordApi> {
  const requests: RecordedRequest[] = [];
  const messages: DiscordMessage[] = [];
  const queue: DiscordFailure[] = [];
  const limit = opts.bucketLimit ?? 50;
  const windowMs = opts.bucketWindowMs ?? 1000;
  const buckets = new Map<string, { start: number; used: number }>();
  let sequence = 0n;
  const hanging = new Set<ServerResponse>();

  const snowflake = () => (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (sequence++ & 0xfffn)).toString();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  const tooMany = (res: ServerResponse, retryAfterS: number, global: boolean, bucket = 'scripted') => {
    const headers: Record<string, string> = {
      'retry-after': String(Math.ceil(retryAfterS)),
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String((Date.now() + retryAfterS * 1000) / 1000),
      'x-ratelimit-reset-after': retryAfterS.toFixed(3),
      'x-ratelimit-bucket': bucket,
      'x-ratelimit-scope': global ? 'global' : 'user',
    };
    if (global) headers['x-ratelimit-global'] = 'true';
    send(res, 429, { message: 'You are being rate limited.', retry_after: retryAfterS, global }, headers);
  };

  /** Counts the request in its bucket; false (after answering 429) when over the limit. */
  const take = (res: ServerResponse, bucket: string): Record<string, string> | undefined => {
    const now = Date.now();
    let b = buckets.get(bucket);
    if (b === undefined || now - b.start >= windowMs) {
      b = { start: now, used: 0 };
      buckets.set(bucket, b);
    }
    const resetAfter = (b.start + windowMs - now) / 1000;
    if (b.used >= limit) {
      tooMany(res, resetAfter, false, bucket);
      return undefined;
    }
    b.used++;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - b.used),
      'x-ratelimit-reset': String((b.start + windowMs) / 1000),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': bucket,
    };
  };

  const createMessage = (channelId: string, body: unknown, webhookId?: string): DiscordMessage => {
    const b = (body ?? {}) as { content?: string; embeds?: unknown[]; nonce?: string; allowed_mentions?: { roles?: string[] } };
    const msg: DiscordMessage = {
      id: snowflake(),
      type: 0,
      channel_id: channelId,
      content: b.content ?? '',
      embeds: b.embeds ?? [],
      timestamp: new Date().toISOString(),
      author: { id: webhookId ?? '900000000000000001', username: webhookId === undefined ? 'herald-bot' : 'Herald', bot: true },
      mention_everyone: false,
      mentions: [],
      mention_roles: b.allowed_mentions?.roles ?? [],
      tts: false,
      pinned: false,
      attachments: [],
      flags: 0,
    };
    if (webhookId !== undefined) msg.webhook_id = webhookId;
    if (b.nonce !== undefined) msg.nonce = b.nonce;
    messages.push(msg);
    return msg;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, at: Date.now() });

    const scripted = queue.shift();
    if (scripted !== undefined) {
      if (typeof scripted === 'object' && 'hang' in scripted) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (typeof scripted === 'object' && scripted.status === 429 && 'retryAfter' in scripted) {
        return tooMany(res, scripted.retryAfter, scripted.global ?? false);
      }
      const { status, body: errorBody } =
        typeof scripted === 'string' ? PRESETS[scripted] : { status: scripted.status, body: 'body' in scripted ? scripted.body : undefined };
      return send(res, status, errorBody ?? { message: `${status}: scripted`, code: 0 });
    }

    const hook = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/?$/.exec(url.pathname);
    if (hook !== null && req.method === 'POST') {
      const [, id = '', token = ''] = hook;
      const known = opts.webhooks?.find((w) => w.id === id);
      if (known === undefined) return send(res, 404, PRESETS['unknown-webhook'].body);
      if (known.token !== decodeURIComponent(token)) return send(res, 401, { message: 'Invalid Webhook Token', code: 50027 });
      const headers = take(res, `webhook-${id}`);
      if (headers === undefined) return;
      const channelId = url.searchParams.get('thread_id') ?? known.channelId ?? '800000000000000001';
      const msg = createMessage(channelId, body, id);
      // Without ?wait=true Discord answers 204 and no message (so no id).
      if (url.searchParams.get('wait') !== 'true') return send(res, 204, undefined, headers);
      return send(res, 200, msg, headers);
    }

    const channel = /^\/api\/v10\/channels\/(\d+)\/messages\/?$/.exec(url.pathname);
    if (channel !== null && req.method === 'POST') {
      const [, channelId = ''] = channel;
      if (opts.botToken === undefined || req.headers.authorization !== `Bot ${opts.botToken}`) return send(res, 401, PRESETS.unauthorized.body);
      if (opts.channels !== undefined && !opts.channels.includes(channelId)) return send(res, 404, { message: 'Unknown Channel', code: 10003 });
      if (opts.forbidden?.includes(channelId)) return send(res, 403, PRESETS.forbidden.body);
      const headers = take(res, `channel-${channelId}`);
      if (headers === undefined) return;
      return send(res, 200, createMessage(channelId, body), headers);
    }

    send(res, 404, { message: '404: Not Found', code: 0 });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const apiRoot = `http://127.0.0.1:${port}/api`;

  return {
    apiRoot,
    port,
    requests,
    messages,
    webhookUrl(id) {
      const hook = opts.webhooks?.find((w) => w.id === id);
      if (hook === undefined) throw new Error(`no webhook ${id} configured on the test Discord API`);
      return `${apiRoot}/webhooks/${hook.id}/${hook.token}`;
    },
    failNext(...failures) {
      queue.push(...failures);
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

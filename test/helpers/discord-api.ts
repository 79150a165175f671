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
 *
 * An application too (`applicationId`, `botToken`): PUT .../applications/:app/guilds/:guild/commands
 * (bulk overwrite: `api.commands`), PATCH /channels/:id/messages/:id (edit, with `components`),
 * and the interaction webhook: PATCH /webhooks/:app/:token/messages/@original and POST
 * /webhooks/:app/:token (follow-ups, JSON or multipart with files) for the tokens it issued.
 * Sent messages can be edited and deleted as Discord allows: PATCH / DELETE
 * /webhooks/:id/:token/messages/:message (the webhook's own messages only) and DELETE
 * /channels/:id/messages/:message (bot); an unknown or deleted one is 404 Unknown Message
 * (10008). `api.deleteByPerson(id)` plays a moderator deleting a post.
 * `api.interact(url, interaction)` plays Discord calling an interactions endpoint: the body
 * signed with the application's Ed25519 key (`api.publicKey`), or forged (`{ forge: true }`).
 * `api.slash(...)` and `api.click(...)` build interactions; `api.waitFor(...)` awaits a request.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { multipartBoundary, parseMultipart } from './multipart.ts';

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
  /** The application whose commands and interactions it serves. */
  applicationId?: string;
}

export interface DiscordMember {
  user: { id: string; username: string; global_name?: string };
  roles: string[];
}

/** What Herald answered an interaction with, and what it did with its webhook afterwards. */
export interface InteractionRecord {
  token: string;
  status: number;
  /** The HTTP answer (type 1, 4, 5, 6, 7 …). */
  response: { type?: number; data?: Record<string, unknown>; error?: string } | undefined;
  /** The message the interaction answer became (edited with PATCH @original). */
  original?: { content?: string; embeds?: unknown[]; components?: unknown[]; flags?: number; attachments?: Array<{ filename: string; size: number; data: Buffer }> };
  followUps: Array<{ content?: string; embeds?: unknown[]; components?: unknown[]; flags?: number; attachments?: Array<{ filename: string; size: number; data: Buffer }> }>;
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
  components?: unknown[];
  edited_timestamp?: string;
  /** Deleted (through the API, or by a person). */
  deleted?: boolean;
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
  /** The guild commands as last written, by guild id. */
  commands: Map<string, unknown[]>;
  /** Hex of the application's Ed25519 public key (the config's `publicKey`). */
  publicKey: string;
  interactions: InteractionRecord[];
  /** POST an interaction to an interactions endpoint, signed (or forged) like Discord does. */
  interact(url: string, interaction: Record<string, unknown>, opts?: { forge?: boolean; timestamp?: number }): Promise<InteractionRecord>;
  slash(sub: string, options: Record<string, string | number>, member: DiscordMember, guildId: string): Record<string, unknown>;
  click(message: { id: string; channel_id: string }, customId: string, member: DiscordMember, guildId: string): Record<string, unknown>;
  /** The buttons of a message: [label, custom_id]. */
  buttonsOf(m: { components?: unknown[] }): Array<[string, string]>;
  /** Resolves with the first request (made or to come) that matches. */
  waitFor(match: (r: RecordedRequest) => boolean, timeoutMs?: number, what?: string): Promise<RecordedRequest>;
  /** A moderator deletes this message. */
  deleteByPerson(id: string): void;
  /** Messages not deleted. */
  live(): DiscordMessage[];
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
  const commands = new Map<string, unknown[]>();
  const interactions: InteractionRecord[] = [];
  const requestWaiters = new Set<() => void>();
  const keys = generateKeyPairSync('ed25519');
  const publicKey = (keys.publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const publicKeyHex = Buffer.from(publicKey, 'base64url').toString('hex');
  let interactionCount = 0;

  const snowflake = () => (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (sequence++ & 0xfffn)).toString();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    // A 204 has no body, and Discord sends no content type with it (clients would try to parse one).
    res.writeHead(status, status === 204 ? headers : { 'content-type': 'application/json', ...headers });
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
    const b = (body ?? {}) as { content?: string; embeds?: unknown[]; nonce?: string; allowed_mentions?: { roles?: string[] }; components?: unknown[] };
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
    if (b.components !== undefined) msg.components = b.components;
    messages.push(msg);
    return msg;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rawBytes: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = rawBytes.toString('utf8');
    let body: unknown;
    let files: Array<{ filename: string; size: number; data: Buffer }> = [];
    const boundary = multipartBoundary(req.headers['content-type'] ?? '');
    if (boundary && (req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      const parts = parseMultipart(rawBytes, boundary);
      body = typeof parts.payload_json === 'string' ? JSON.parse(parts.payload_json) : undefined;
      files = Object.entries(parts)
        .filter(([k]) => k.startsWith('files['))
        .map(([, v]) => v as { filename: string; size: number; data: Buffer });
    } else {
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
    }
    requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, at: Date.now() });
    for (const w of [...requestWaiters]) w();

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

    const bot = () => opts.botToken !== undefined && req.headers.authorization === `Bot ${opts.botToken}`;

    const commandsRoute = /^\/api\/v10\/applications\/(\d+)\/guilds\/(\d+)\/commands$/.exec(url.pathname);
    if (commandsRoute !== null && req.method === 'PUT') {
      if (!bot()) return send(res, 401, PRESETS.unauthorized.body);
      if (commandsRoute[1] !== opts.applicationId) return send(res, 404, { message: 'Unknown Application', code: 10002 });
      const list = (Array.isArray(body) ? body : []).map((c: Record<string, unknown>, i: number) => ({ id: `${9000 + i}`, application_id: opts.applicationId, guild_id: commandsRoute[2], version: '1', ...c }));
      commands.set(commandsRoute[2]!, list);
      return send(res, 200, list);
    }

    // The interaction webhook: only for tokens issued by interact().
    const ihook = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)(\/messages\/(?:@|%40)original)?\/?$/.exec(url.pathname);
    if (ihook !== null && ihook[1] === opts.applicationId) {
      const record = interactions.find((x) => x.token === decodeURIComponent(ihook[2]!));
      if (!record) return send(res, 404, { message: 'Unknown Webhook', code: 10015 });
      const b = (body ?? {}) as Record<string, unknown>;
      const content = { ...b, ...(files.length > 0 ? { attachments: files } : {}) } as NonNullable<InteractionRecord['original']>;
      if (ihook[3] && req.method === 'PATCH') {
        record.original = { ...record.original, ...content };
        return send(res, 200, { id: `orig-${record.token}`, channel_id: '1', ...record.original });
      }
      if (!ihook[3] && req.method === 'POST') {
        record.followUps.push(content);
        return send(res, 200, { id: `follow-${record.followUps.length}-${record.token}`, channel_id: '1', ...content });
      }
    }

    const unknownMessage = () => send(res, 404, { message: 'Unknown Message', code: 10008 });
    const hookMessage = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/(\d+)\/?$/.exec(url.pathname);
    if (hookMessage !== null && (req.method === 'PATCH' || req.method === 'DELETE')) {
      const [, id = '', token = '', messageId = ''] = hookMessage;
      const known = opts.webhooks?.find((w) => w.id === id);
      if (known === undefined) return send(res, 404, PRESETS['unknown-webhook'].body);
      if (known.token !== decodeURIComponent(token)) return send(res, 401, { message: 'Invalid Webhook Token', code: 50027 });
      const headers = take(res, `webhook-${id}`);
      if (headers === undefined) return;
      // A webhook reaches only the messages it posted.
      const msg = messages.find((m) => m.id === messageId && m.webhook_id === id && !m.deleted);
      if (!msg) return unknownMessage();
      if (req.method === 'DELETE') {
        msg.deleted = true;
        return send(res, 204, undefined, headers);
      }
      const b = (body ?? {}) as { content?: string; embeds?: unknown[] };
      if (b.content !== undefined) msg.content = b.content;
      if (b.embeds !== undefined) msg.embeds = b.embeds;
      msg.edited_timestamp = new Date().toISOString();
      return send(res, 200, msg, headers);
    }

    const edit = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)\/?$/.exec(url.pathname);
    if (edit !== null && req.method === 'DELETE') {
      if (!bot()) return send(res, 401, PRESETS.unauthorized.body);
      const msg = messages.find((m) => m.channel_id === edit[1] && m.id === edit[2] && !m.deleted);
      if (!msg) return unknownMessage();
      msg.deleted = true;
      return send(res, 204, undefined);
    }
    if (edit !== null && req.method === 'PATCH') {
      if (!bot()) return send(res, 401, PRESETS.unauthorized.body);
      const msg = messages.find((m) => m.channel_id === edit[1] && m.id === edit[2] && !m.deleted);
      if (!msg) return unknownMessage();
      const b = (body ?? {}) as { content?: string; embeds?: unknown[]; components?: unknown[] };
      if (b.content !== undefined) msg.content = b.content;
      if (b.embeds !== undefined) msg.embeds = b.embeds;
      if (b.components !== undefined) msg.components = b.components;
      msg.edited_timestamp = new Date().toISOString();
      return send(res, 200, msg);
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
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
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
    deleteByPerson(id) {
      const m = messages.find((x) => x.id === id);
      if (m) m.deleted = true;
    },
    live() {
      return messages.filter((m) => !m.deleted);
    },
    webhookUrl(id) {
      const hook = opts.webhooks?.find((w) => w.id === id);
      if (hook === undefined) throw new Error(`no webhook ${id} configured on the test Discord API`);
      return `${apiRoot}/webhooks/${hook.id}/${hook.token}`;
    },
    failNext(...failures) {
      queue.push(...failures);
    },
    commands,
    publicKey: publicKeyHex,
    interactions,
    async interact(target, interaction, o = {}) {
      const token = `itoken-${++interactionCount}-${'x'.repeat(20)}`;
      const full = { id: `${7_000_000 + interactionCount}`, application_id: opts.applicationId, token, version: 1, ...interaction };
      const raw = JSON.stringify(full);
      const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
      const signer = o.forge ? generateKeyPairSync('ed25519').privateKey : keys.privateKey;
      const signature = sign(null, Buffer.from(timestamp + raw), signer).toString('hex');
      const record: InteractionRecord = { token, status: 0, response: undefined, followUps: [] };
      interactions.push(record);
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp, 'user-agent': 'Discord-Interactions/1.0' },
        body: raw,
      });
      record.status = res.status;
      const text = await res.text();
      record.response = text === '' ? undefined : (JSON.parse(text) as InteractionRecord['response']);
      return record;
    },
    slash(sub, options, member, guildId) {
      return {
        type: 2,
        guild_id: guildId,
        channel_id: '700000000000000001',
        member,
        data: { id: '9000', name: 'herald', type: 1, options: [{ name: sub, type: 1, options: Object.entries(options).map(([name, value]) => ({ name, type: typeof value === 'number' ? 4 : 3, value })) }] },
      };
    },
    click(message, customId, member, guildId) {
      return { type: 3, guild_id: guildId, channel_id: message.channel_id, member, message, data: { custom_id: customId, component_type: 2 } };
    },
    buttonsOf(m) {
      const rows = (m.components ?? []) as Array<{ components?: Array<{ label: string; custom_id: string }> }>;
      return rows.flatMap((r) => r.components ?? []).map((b) => [b.label, b.custom_id]);
    },
    waitFor(match, timeoutMs = 10_000, what = 'a matching Discord request') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find(match);
          if (!found) return false;
          requestWaiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          requestWaiters.delete(check);
          reject(new Error(`waited ${timeoutMs} ms for ${what}; requests: ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`));
        }, timeoutMs);
        if (!check()) requestWaiters.add(check);
      });
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

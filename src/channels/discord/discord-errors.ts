import { createRequire } from 'node:module';
import { redact } from '../../util/secrets.ts';
import { type DeliveryError, permanent, rateLimited, transient } from '../errors.ts';

/**
 * discord.js errors → DeliveryError, in words an editor understands, naming the
 * channel and never a token. discord.js errors carry the request URL (a webhook's
 * token is in its path) and the request body, so they are never passed on as
 * `cause`: a small redacted summary is.
 */
export interface DiscordErrorContext {
  /** Herald channel id. */
  channelId: string;
  /** 'channel 123' or 'webhook 456', for messages. */
  target: string;
  /** Tokens to scrub besides the registered secrets. */
  secrets: readonly string[];
  timeoutMs: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export function mapDiscordError(e: unknown, ctx: DiscordErrorContext): DeliveryError {
  const scrub = (s: string) => {
    let out = redact(s);
    for (const secret of ctx.secrets) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  };
  const ch = ctx.channelId;

  // Loaded here, not at start-up: only a Discord send (which loaded discord.js already) gets here.
  const { DiscordAPIError, HTTPError, RateLimitError } = createRequire(import.meta.url)('discord.js') as typeof import('discord.js');
  if (e instanceof RateLimitError) {
    const waitMs = Math.max(e.retryAfter, e.timeToReset, e.sublimitTimeout, 0);
    const scope = e.global || e.scope === 'global' ? ' (global: the whole bot or webhook is limited)' : '';
    return rateLimited(`${ch}: Discord rate limit${scope}; asked to wait ${formatWait(waitMs)}`, waitMs, {
      code: 429,
      // The route keeps a webhook token when the id is not a standard snowflake.
      cause: { name: 'RateLimitError', retryAfterMs: waitMs, global: e.global, scope: e.scope, route: scrub(e.route) },
    });
  }

  if (e instanceof DiscordAPIError) {
    // Discord's generic texts repeat the status ("401: Unauthorized"); keep only the words.
    const detail = scrub(oneLine(e.message)).replace(new RegExp(`^${e.status}: `), '');
    const cause = { name: 'DiscordAPIError', status: e.status, code: e.code, method: e.method, message: detail };
    const opts = { code: e.status, cause };
    switch (e.status) {
      case 401:
        return permanent(
          `${ch}: the Discord ${ctx.target.startsWith('webhook') ? 'webhook token' : 'token'} was rejected (401${detail === 'Unauthorized' ? '' : `: ${detail}`})`,
          opts,
        );
      case 403:
        return permanent(`${ch}: missing permission to post in ${ctx.target} (403: ${detail})`, opts);
      case 404:
        return permanent(`${ch}: the webhook or channel no longer exists (404: ${detail})`, opts);
      case 413:
        return permanent(`${ch}: Discord refused the message as too large (413: ${detail})`, opts);
      case 408:
        return transient(`${ch}: Discord timed out handling the message (408); will retry`, opts);
      default:
        if (e.status >= 500) return transient(`${ch}: Discord server error (${e.status}: ${detail}); will retry`, opts);
        return permanent(`${ch}: Discord rejected the message (${e.status}: ${detail})`, opts);
    }
  }

  if (e instanceof HTTPError) {
    const cause = { name: 'HTTPError', status: e.status, method: e.method, message: scrub(e.message) };
    if (e.status >= 500) return transient(`${ch}: Discord server error (HTTP ${e.status} ${scrub(e.message)}); will retry`, { code: e.status, cause });
    return permanent(`${ch}: Discord answered HTTP ${e.status} ${scrub(e.message)}`, { code: e.status, cause });
  }

  const err = e instanceof Error ? e : new Error(String(e));
  const code = networkCode(err);
  if (err.name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return transient(`${ch}: no answer from Discord within ${Math.round(ctx.timeoutMs / 1000)}s; will retry`, {
      connection: true,
      cause: { name: 'TimeoutError', code },
    });
  }
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_') || /CERT|TLS|SSL/.test(code))) {
    return transient(`${ch}: cannot reach Discord (${code}: ${scrub(oneLine(err.message))}); will retry`, {
      connection: true,
      code,
      cause: { name: err.name, code, message: scrub(oneLine(err.message)) },
    });
  }
  // Anything else is unexpected: transient, so a bug never loses a delivery.
  return transient(`${ch}: sending to Discord failed: ${scrub(oneLine(err.message))}`, { cause: { name: err.name, message: scrub(oneLine(err.message)) } });
}

/** The system error code of a network failure (undici puts it on the error or on its cause). */
function networkCode(err: Error): string | undefined {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** discord.js lists a 400's field errors on separate lines; one line reads better in a ledger. */
function oneLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}

function formatWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

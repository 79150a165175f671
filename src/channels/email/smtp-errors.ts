import { type DeliveryError, permanent, rateLimited, transient } from '../errors.ts';
import { scrub } from './smtp-url.ts';

/**
 * nodemailer error → DeliveryError.
 *
 * - Could not talk to the server at all (refused, DNS, timeouts, TLS, greeting,
 *   421, dropped connection) and problems that affect every message of the channel
 *   (login rejected, sender rejected) → transient with `connection: true`, so the
 *   pipeline backs off and eventually gives the channel up for the run instead of
 *   failing thousands of recipients one by one.
 * - A reply about this message/recipient: 4xx → transient, 5xx → permanent;
 *   4xx replies that talk about rate limits → rate-limited.
 */
export interface SmtpErrorContext {
  channelId: string;
  /** host:port */
  server: string;
  host: string;
  secrets: readonly string[];
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
}

interface NodemailerError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** When a 4xx reply says "slow down", how long to wait; providers rarely say exactly. */
export const RATE_LIMIT_RETRY_MS = 60_000;
const RATE_LIMIT_RE = /rate|throttl|too many|limit exceeded|try again in/i;

const DNS_CODES = new Set(['EDNS', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA']);
const SOCKET_CODES = new Set(['ESOCKET', 'ECONNECTION', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROTOCOL', 'ECONNABORTED']);

export function mapSmtpError(error: unknown, ctx: SmtpErrorContext): DeliveryError {
  const e: NodemailerError = error !== null && typeof error === 'object' ? (error as NodemailerError) : { message: String(error) };
  const id = ctx.channelId;
  const reply = e.response ? oneLine(e.response) : e.responseCode !== undefined ? String(e.responseCode) : undefined;
  const cause = sanitizedCause(e, ctx.secrets);
  const make = (kind: 'transient' | 'permanent', message: string, connection: boolean) =>
    (kind === 'transient' ? transient : permanent)(scrub(message, ctx.secrets), {
      connection,
      ...(e.responseCode === undefined ? {} : { code: e.responseCode }),
      cause,
    });
  const code = e.code ?? '';
  const msg = e.message ?? '';

  // Socket errors reach us re-coded as ESOCKET, so the original code is read from the message too.
  const has = (re: RegExp) => re.test(code) || re.test(msg);
  if (has(/ECONNREFUSED/)) return make('transient', `${id}: SMTP server ${ctx.server} refused the connection`, true);
  if (DNS_CODES.has(code) || has(/ENOTFOUND|EAI_AGAIN|EAI_FAIL|ENODATA/)) {
    const dnsCode = DNS_CODES.has(code) ? code : (/ENOTFOUND|EAI_AGAIN|EAI_FAIL|ENODATA/.exec(msg)?.[0] ?? code);
    return make('transient', `${id}: could not resolve SMTP host ${ctx.host} (${dnsCode})`, true);
  }
  if (/greeting never received/i.test(msg)) return make('transient', `${id}: SMTP server ${ctx.server} sent no greeting within ${seconds(ctx.timeouts.greetingMs)}`, true);
  if (/^connection timeout/i.test(msg)) return make('transient', `${id}: could not connect to SMTP server ${ctx.server} within ${seconds(ctx.timeouts.connectionMs)}`, true);
  if (code === 'ETIMEDOUT') return make('transient', `${id}: SMTP server ${ctx.server} stopped responding (no reply within ${seconds(ctx.timeouts.socketMs)})`, true);
  if (code === 'ETLS' || /certificate|self[- ]signed|SSL|TLS/i.test(msg) || /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|UNABLE_TO)/.test(code)) {
    return make('transient', `${id}: TLS with SMTP server ${ctx.server} failed: ${oneLine(msg)}`, true);
  }
  if (code === 'EAUTH') {
    return make('transient', `${id}: SMTP server ${ctx.server} rejected the login${reply ? ` (${reply})` : ''}; check the user and password in the smtp URL`, true);
  }
  if (e.responseCode === 421) return make('transient', `${id}: SMTP server ${ctx.server} closed the connection (${reply})`, true);

  if (typeof e.responseCode === 'number') {
    const command = (e.command ?? '').toUpperCase();
    const temporary = e.responseCode < 500;
    if (command.startsWith('MAIL')) {
      return make('transient', `${id}: SMTP server ${ctx.server} rejected the sender address (${reply}); check the channel's from address`, true);
    }
    const what = command.startsWith('RCPT') || code === 'EENVELOPE' ? 'recipient' : 'message';
    if (temporary && RATE_LIMIT_RE.test(reply ?? '')) {
      return rateLimited(scrub(`${id}: SMTP server ${ctx.server} is rate limiting (${reply})`, ctx.secrets), RATE_LIMIT_RETRY_MS, {
        code: e.responseCode,
        cause,
      });
    }
    return make(temporary ? 'transient' : 'permanent', `${id}: ${what} ${temporary ? 'temporarily ' : ''}rejected (${reply})`, false);
  }

  if (SOCKET_CODES.has(code)) return make('transient', `${id}: connection to SMTP server ${ctx.server} failed: ${oneLine(msg)}`, true);
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return make('permanent', `${id}: message not accepted: ${oneLine(msg)}`, false);
  // Unknown: retry rather than lose a delivery.
  return make('transient', `${id}: sending failed: ${oneLine(msg) || 'unknown error'}`, false);
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`;
}

/** Keep the diagnostic fields, but never a nodemailer object that might hold connection options. */
function sanitizedCause(e: NodemailerError, secrets: readonly string[]): Error {
  const c = new Error(scrub(e.message ?? 'SMTP error', secrets));
  c.name = 'SmtpError';
  return Object.assign(c, {
    ...(e.code === undefined ? {} : { code: e.code }),
    ...(e.responseCode === undefined ? {} : { responseCode: e.responseCode }),
    ...(e.response === undefined ? {} : { response: scrub(e.response, secrets) }),
    ...(e.command === undefined ? {} : { command: e.command }),
  });
}

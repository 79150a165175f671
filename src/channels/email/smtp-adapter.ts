import { transient } from '../errors.ts';
import type { ChannelAdapter, EmailPayload, SendResult } from '../types.ts';
import { mapSmtpError, type SmtpErrorContext } from './smtp-errors.ts';
import { SmtpPool } from './smtp-pool.ts';
import { noDelaySocketFactory } from './smtp-socket.ts';
import { parseSmtpUrl } from './smtp-url.ts';

/**
 * Sends prepared raw messages over pooled SMTP connections (smtp-pool.ts: nodemailer's
 * SMTPConnection, with MAIL/RCPT/DATA pipelined when the server offers PIPELINING).
 * The adapter never builds or changes a message: `payload.raw` goes out as is (dot-stuffed),
 * with the envelope given (one recipient per message).
 */
export interface SmtpAdapterOptions {
  channelId: string;
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465. */
  url: string;
  pool?: {
    /** Parallel SMTP connections (default 5). */
    maxConnections?: number;
    /** Messages per second across the pool; 0 or absent = unlimited. */
    rateLimit?: number;
    /** Messages per connection before reconnecting (default 1000). */
    maxMessages?: number;
  };
  tls?: { rejectUnauthorized?: boolean };
  /** Overrides for tests; defaults: connect 10 s, greeting 10 s, idle socket 30 s. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
}

export interface SmtpAdapter extends ChannelAdapter<EmailPayload> {
  /** Connects and logs in once, to check the settings (e.g. for `herald doctor`). */
  verify(): Promise<void>;
}

const QUEUE_ID_RE = /\bqueued as ([^\s;,]+)|\bid=([^\s;,]+)/i;

export function createSmtpAdapter(opts: SmtpAdapterOptions): SmtpAdapter {
  const target = parseSmtpUrl(opts.channelId, opts.url);
  const timeouts = {
    connectionMs: opts.timeouts?.connectionMs ?? 10_000,
    greetingMs: opts.timeouts?.greetingMs ?? 10_000,
    socketMs: opts.timeouts?.socketMs ?? 30_000,
  };
  const ctx: SmtpErrorContext = { channelId: opts.channelId, server: target.display, host: target.host, secrets: target.secrets, timeouts };
  const rateLimit = opts.pool?.rateLimit ?? 0;

  const pool = new SmtpPool({
    host: target.host,
    port: target.port,
    secure: target.secure,
    ...(target.user === undefined ? {} : { auth: { user: target.user, pass: target.pass ?? '' } }),
    maxConnections: opts.pool?.maxConnections ?? 5,
    // nodemailer's default (100) reconnects often; most servers allow far more per session.
    maxMessages: opts.pool?.maxMessages ?? 1000,
    rateLimit,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    tls: { rejectUnauthorized: opts.tls?.rejectUnauthorized ?? true, servername: target.host },
    getSocket: noDelaySocketFactory(target.host, target.port, timeouts.connectionMs),
  });

  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  return {
    channelId: opts.channelId,
    type: 'email',
    preview: false,
    async send(payload: EmailPayload): Promise<SendResult> {
      if (closed) throw transient(`${opts.channelId}: SMTP adapter is closed`, { connection: true });
      const attempt = pool.send(payload.envelope, payload.raw);
      inFlight.add(attempt);
      try {
        const reply = await attempt;
        const m = QUEUE_ID_RE.exec(reply);
        const queueId = m?.[1] ?? m?.[2];
        return { providerMessageId: queueId ?? payload.messageId };
      } catch (e) {
        throw mapSmtpError(e, ctx);
      } finally {
        inFlight.delete(attempt);
      }
    },
    async verify() {
      try {
        await pool.verify();
      } catch (e) {
        throw mapSmtpError(e, ctx);
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
      pool.close();
    },
  };
}


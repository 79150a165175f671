/**
 * A real SMTP server on loopback for tests (package `smtp-server`).
 *
 *   const smtp = await startSmtpServer();              // port 0 → a free port
 *   // point Herald at smtp.url ('smtp://127.0.0.1:PORT'), send...
 *   await smtp.waitForMessages(1);
 *   const [mail] = await smtp.parsed();                 // mailparser ParsedMail
 *   smtp.messages[0].envelope                           // { from, to[] } as the server saw it
 *   smtp.rejectRecipient('gone@example.com', 550, '5.1.1 user unknown');
 *   smtp.rejectNext(2, 450, '4.3.2 try again later');  // the next 2 RCPT TO fail, then accept
 *   await smtp.close();
 *
 * STARTTLS is disabled (plain SMTP) unless `tls: 'starttls'`; `tls: 'implicit'` makes it an
 * smtps:// server. Both use smtp-server's built-in self-signed localhost certificate (so
 * clients need `rejectUnauthorized: false`) unless `certificate` gives another. Auth: with `auth: { user, pass }` the server
 * requires those credentials (and `url` includes them); without, AUTH is optional and
 * any credentials are accepted. `delayMs` delays each 250 reply to DATA. `discard: true` drains bodies without keeping them
 * (for throughput tests); `messages` then only holds envelopes and empty raws. `discard: 'body'` keeps only each
 * message's header block (Message-ID and the rest) in `raw`. `pipelining: false` leaves PIPELINING out of the EHLO reply.
 */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface TestSmtpServerOptions {
  /** Require these credentials; when absent, AUTH is optional and anything is accepted. */
  auth?: { user: string; pass: string };
  /** Wait this long before acknowledging each message (a slow server, e.g. to kill a client mid-run). */
  delayMs?: number;
  /** Drain message data without storing it ('body': keep the header block only). */
  discard?: boolean | 'body';
  /** 'none' (default): plain SMTP; 'starttls': offer STARTTLS; 'implicit': TLS from the first byte (smtps://). */
  tls?: 'none' | 'starttls' | 'implicit';
  /** Queue id reported in the 250 reply to DATA; default: a counter (`Q1`, `Q2`, ...). */
  queueId?: (n: number) => string;
  /** TLS certificate and key (PEM) instead of smtp-server's built-in self-signed one. */
  certificate?: { key: string | Buffer; cert: string | Buffer };
  /** false: do not offer PIPELINING in the EHLO reply (default: offered). */
  pipelining?: boolean;
}

export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /** Whether the session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  /** The authenticated user, if the client logged in. */
  user?: string;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** smtp[s]://[user:pass@]127.0.0.1:PORT */
  url: string;
  messages: ReceivedMessage[];
  /** Every received message parsed with mailparser's simpleParser, in arrival order. */
  parsed(): Promise<ParsedMail[]>;
  /** Reject RCPT TO for this address (case-insensitive) with the given reply. */
  rejectRecipient(address: string, code: number, message?: string): void;
  /** Reject the next `count` RCPT TO commands (any address), then accept again. */
  rejectNext(count: number, code: number, message?: string): void;
  /** Resolves once at least `count` messages arrived (rejects after `timeoutMs`). */
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  /** Number of RCPT TO commands seen, accepted or not. */
  readonly rcptAttempts: number;
  /** Every RCPT TO address, accepted or not, in order. */
  readonly rcptTo: string[];
  /** Stops listening and drops open connections (pooled clients included). */
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpServer(opts: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const rejected = new Map<string, { code: number; message: string }>();
  const next: { count: number; code: number; message: string } = { count: 0, code: 450, message: '' };
  const waiters = new Set<() => void>();
  let rcptAttempts = 0;
  const rcptTo: string[] = [];

  const options: SMTPServerOptions = {
    secure: opts.tls === 'implicit',
    ...(opts.certificate ? { key: opts.certificate.key, cert: opts.certificate.cert } : {}),
    disabledCommands: opts.tls === 'starttls' || opts.tls === 'implicit' ? [] : ['STARTTLS'],
    hidePIPELINING: opts.pipelining === false,
    authOptional: opts.auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    banner: 'herald-test',
    size: 50 * 1024 * 1024,
    // Pooled clients keep connections open; do not wait 30 s for them on close.
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      if (opts.auth && (auth.username !== opts.auth.user || auth.password !== opts.auth.pass)) {
        return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      rcptAttempts++;
      rcptTo.push(address.address);
      const rule = rejected.get(address.address.toLowerCase());
      if (rule) return callback(smtpError(rule.code, rule.message));
      if (next.count > 0) {
        next.count--;
        return callback(smtpError(next.code, next.message));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let headersDone = false;
      stream.on('data', (c: Buffer) => {
        if (opts.discard === 'body') {
          if (headersDone) return;
          chunks.push(c);
          const sofar = Buffer.concat(chunks);
          const end = sofar.indexOf('\r\n\r\n');
          if (end >= 0 || sofar.length > 64 * 1024) {
            headersDone = true;
            chunks.splice(0, chunks.length, sofar.subarray(0, end >= 0 ? end + 4 : sofar.length));
          }
          return;
        }
        if (!opts.discard) chunks.push(c);
      });
      stream.on('end', async () => {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const user = typeof session.user === 'string' ? session.user : undefined;
        messages.push({
          envelope: {
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
          secure: session.secure === true,
          ...(user === undefined ? {} : { user }),
        });
        for (const w of waiters) w();
        callback(null, `OK: queued as ${opts.queueId ? opts.queueId(messages.length) : `Q${messages.length}`}`);
      });
    },
  };
  const server = new SMTPServer(options);
  // A client dropping the connection mid-test is expected; do not crash the runner.
  server.on('error', () => {});

  const host = '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const creds = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';

  return {
    host,
    port,
    url: `${opts.tls === 'implicit' ? 'smtps' : 'smtp'}://${creds}${host}:${port}`,
    messages,
    rcptTo,
    get rcptAttempts() {
      return rcptAttempts;
    },
    parsed: () => Promise.all(messages.map((m) => simpleParser(m.raw))),
    rejectRecipient(address, code, message = code >= 500 ? '5.1.1 user unknown' : '4.2.1 mailbox busy, try later') {
      rejected.set(address.toLowerCase(), { code, message });
    },
    rejectNext(count, code, message = code >= 500 ? '5.7.1 rejected' : '4.3.2 try again later') {
      Object.assign(next, { count, code, message });
    },
    waitForMessages(count, timeoutMs = 5000) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`test SMTP server: expected ${count} messages, got ${messages.length} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

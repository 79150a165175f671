/**
 * A pool of SMTP connections that sends one raw message per call, pipelined when the server
 * offers PIPELINING (pipelined-transaction.ts), else with nodemailer's own `send`.
 *
 * Why not nodemailer's pooled transport alone: for each message its Mailer builds a
 * MailMessage and a MailComposer stream even for `raw`, its pool hands the message over
 * through events and timers, and its connection sends MAIL FROM, RCPT TO, DATA and the body
 * one after the other, each waiting for the server's reply: four writes and four round trips
 * per message. `herald digest` to 20,000 subscribers (66 KB messages, Postfix smtp-sink on
 * loopback, 2 shared cores; medians of 3 alternating runs, load 6-11) used 5.7 s of main-thread
 * CPU with it, 3.7 s with this pool (DKIM off; 8.1 s and 5.5 s with DKIM on, RSA-2048), and its
 * main thread was switched out involuntarily 24,000 times (4,700 now). On a quiet machine that
 * path left `herald digest` at 0.51 of `smtp-source -s 10`'s speed (DKIM off), 0.25-0.27 with
 * DKIM on. This pool keeps nodemailer's SMTPConnection for everything that is not the
 * per-message path (socket, TLS/STARTTLS and certificate checks, EHLO, AUTH, reply parsing,
 * timeouts, QUIT) and replaces only that path.
 *
 * Behaviour kept from nodemailer's pool: at most `maxConnections` connections, opened on
 * demand; a message is given to one connection and fails with that connection's error if it
 * cannot connect or log in, or if the connection drops (it is never sent twice by the pool);
 * a connection is closed after any refused message and after `maxMessages` messages (then
 * with QUIT), and the next message opens a new one; `rateLimit` messages per second across
 * the pool.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { wholeMessage } from '../message-bytes.ts';
import { installFastDotStuffing } from './fast-dot-stuffing.ts';
import { envelopeProblem, internals, offersPipelining, type PipelinedMessage, sendPipelined } from './pipelined-transaction.ts';
import type { GetSocket } from './smtp-socket.ts';

export interface SmtpPoolOptions {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
  maxConnections: number;
  maxMessages: number;
  /** Messages per second across the pool; 0 = unlimited. */
  rateLimit: number;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  tls: { rejectUnauthorized: boolean; servername: string };
  getSocket: GetSocket;
}

interface Job extends PipelinedMessage {
  resolve: (reply: string) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  conn?: SMTPConnection;
  ready: boolean;
  /** Messages given to this connection so far (for maxMessages). */
  assigned: number;
  /** Sent or being sent, oldest first: with pipelining, one message's end and the next one's envelope. */
  inFlight: Job[];
  /** After a refusal: takes no more messages and is closed once inFlight is empty. */
  draining: boolean;
}

type ConnectionClass = new (options: Record<string, unknown>) => SMTPConnection;
let Connection: ConnectionClass | undefined;

export class SmtpPool {
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private closed = false;
  private readonly rate = { windowStart: 0, count: 0, timer: undefined as NodeJS.Timeout | undefined };

  constructor(private readonly opts: SmtpPoolOptions) {
    // Loaded when an SMTP channel is first used: commands that send no email never load it.
    Connection ??= createRequire(import.meta.url)('nodemailer/lib/smtp-connection/index.js') as ConnectionClass;
    // Used by nodemailer's `send` on servers without PIPELINING.
    installFastDotStuffing();
  }

  /** Sends one message (whole or as its pieces in order); resolves with the server's reply to its end of data. */
  send(envelope: { from: string; to: string }, raw: Buffer | readonly Buffer[]): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ envelope, raw, resolve, reject, done: () => {} });
      this.pump();
    });
  }

  /** Opens a connection, logs in and says QUIT. */
  verify(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.open((err, conn) => {
        if (err || !conn) return reject(err);
        // Whatever happens while it says QUIT no longer matters (and must not go unhandled).
        conn.on('error', () => {});
        conn.quit();
        resolve();
      });
    });
  }

  /** Stops taking messages and says QUIT on every connection (call once nothing is in flight). */
  close(): void {
    this.closed = true;
    clearTimeout(this.rate.timer);
    for (const job of this.queue.splice(0)) job.reject(Object.assign(new Error('Connection pool was closed'), { code: 'ECONNECTION' }));
    for (const slot of [...this.slots]) this.retire(slot, true);
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      if (!this.rateAllows()) return;
      let slot: Slot | undefined;
      for (const s of this.slots) {
        if (s.ready && s.inFlight.length === 0 && !s.draining) {
          slot = s;
          break;
        }
      }
      if (!slot) {
        if (this.slots.size >= this.opts.maxConnections) return;
        slot = { ready: false, assigned: 0, inFlight: [], draining: false };
        this.slots.add(slot);
      }
      const job = this.queue.shift() as Job;
      this.assign(slot, job);
      if (slot.ready) this.transmit(slot, job);
      else this.connect(slot, job);
    }
  }

  private assign(slot: Slot, job: Job): void {
    slot.inFlight.push(job);
    slot.assigned++;
    if (this.opts.rateLimit > 0) this.rate.count++;
    job.done = (err, reply) => this.finish(slot, job, err, reply);
  }

  /** The connection's next message, to pipeline after the end of the current one, if one is waiting. */
  private nextFor(slot: Slot): Job | undefined {
    const job = this.queue[0];
    if (!job || this.closed || slot.draining || slot.assigned >= this.opts.maxMessages || !slot.conn) return undefined;
    // One nodemailer would refuse before writing is left for a connection of its own.
    if (envelopeProblem(slot.conn, job.envelope) || !this.rateAllows()) return undefined;
    this.queue.shift();
    this.assign(slot, job);
    return job;
  }

  /** nodemailer's pool: at most rateLimit messages per 1 s window. */
  private rateAllows(): boolean {
    if (this.opts.rateLimit <= 0) return true;
    const now = Date.now();
    if (now - this.rate.windowStart >= 1000) {
      this.rate.windowStart = now;
      this.rate.count = 0;
    }
    if (this.rate.count < this.opts.rateLimit) return true;
    this.rate.timer ??= setTimeout(
      () => {
        this.rate.timer = undefined;
        this.pump();
      },
      1000 - (now - this.rate.windowStart),
    );
    return false;
  }

  private connect(slot: Slot, job: Job): void {
    this.open((err, conn) => {
      if (err || !conn) {
        this.slots.delete(slot);
        slot.inFlight = [];
        job.reject(err);
        // As nodemailer's pool: a short pause before the next connection attempt.
        setTimeout(() => this.pump(), 100);
        return;
      }
      slot.conn = conn;
      slot.ready = true;
      // Dropped, timed out or closed by the server while in the pool.
      conn.once('error', (e: Error) => this.lost(slot, e));
      conn.once('end', () => this.lost(slot, Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' })));
      if (this.closed) {
        slot.inFlight = [];
        job.reject(Object.assign(new Error('Connection pool was closed'), { code: 'ECONNECTION' }));
        this.retire(slot, true);
        return;
      }
      this.transmit(slot, job);
    });
  }

  /** A new connection, logged in when credentials are given and the server offers AUTH. */
  private open(callback: (err: Error | undefined, conn?: SMTPConnection) => void): void {
    const o = this.opts;
    o.getSocket(undefined, (sockErr, socketOptions) => {
      if (sockErr || !socketOptions) return callback(sockErr ?? new Error('No socket'));
      const conn = new (Connection as ConnectionClass)({
        host: o.host,
        port: o.port,
        secure: o.secure,
        connection: socketOptions.connection as Socket,
        tls: o.tls,
        connectionTimeout: o.connectionTimeout,
        greetingTimeout: o.greetingTimeout,
        socketTimeout: o.socketTimeout,
        dnsTimeout: o.connectionTimeout,
        logger: false,
        debug: false,
      });
      let returned = false;
      const finish = (err?: Error) => {
        if (returned) return;
        returned = true;
        conn.removeListener('error', finish);
        conn.removeListener('end', onEnd);
        if (err) {
          conn.close();
          callback(err);
        } else callback(undefined, conn);
      };
      // As nodemailer's pool resource: a close during the handshake is an error after 1 s
      // unless the error itself arrives first.
      const onEnd = () => {
        setTimeout(() => {
          const internal = conn as unknown as { _socket?: { upgrading?: boolean } };
          finish(Object.assign(new Error('Unexpected socket close'), internal._socket?.upgrading ? { code: 'ETLS' } : {}));
        }, 1000).unref();
      };
      conn.once('error', finish);
      conn.once('end', onEnd);
      conn.connect(() => {
        if (o.auth && (conn as unknown as { allowsAuth: boolean }).allowsAuth) {
          // The same auth data as nodemailer's pool resource: the method is the server's first offer.
          conn.login({ type: 'LOGIN', user: o.auth.user, credentials: { user: o.auth.user, pass: o.auth.pass }, method: false } as never, (err) => finish(err ?? undefined));
        } else finish();
      });
    });
  }

  private transmit(slot: Slot, job: Job): void {
    const conn = slot.conn as SMTPConnection;
    if (offersPipelining(conn)) {
      const problem = envelopeProblem(conn, job.envelope);
      if (problem) job.done(problem);
      else sendPipelined(conn, job, () => this.nextFor(slot));
    } else {
      conn.send({ from: job.envelope.from, to: [job.envelope.to] }, wholeMessage(job.raw), (err, info) => job.done(err ?? null, info?.response));
    }
  }

  private finish(slot: Slot, job: Job, err: Error | null, reply?: string): void {
    const i = slot.inFlight.indexOf(job);
    if (i < 0) return; // already failed by a dropped connection
    slot.inFlight.splice(i, 1);
    if (err) {
      // As nodemailer's pool: a connection is not reused after a refusal.
      slot.draining = true;
      job.reject(err);
    } else job.resolve(reply ?? '');
    if (slot.inFlight.length === 0 && this.slots.has(slot)) {
      if (slot.draining) this.retire(slot, false);
      else if (slot.assigned >= this.opts.maxMessages) this.retire(slot, true);
    }
    this.pump();
  }

  /** A connection failed or closed: fail its messages in flight, if any, and forget it. */
  private lost(slot: Slot, err: Error): void {
    if (!this.slots.has(slot)) return;
    this.slots.delete(slot);
    const jobs = slot.inFlight;
    slot.inFlight = [];
    for (const job of jobs) job.reject(job.refused ?? err);
    slot.conn?.close();
    if (!this.closed) setTimeout(() => this.pump(), jobs.length > 0 ? 100 : 0);
  }

  private retire(slot: Slot, politely: boolean): void {
    this.slots.delete(slot);
    const conn = slot.conn;
    if (!conn) return;
    // Its later 'error'/'end' events no longer concern the pool.
    conn.removeAllListeners('error');
    conn.removeAllListeners('end');
    conn.on('error', () => {});
    if (politely && !internals(conn)._destroyed) conn.quit();
    else conn.close();
  }
}

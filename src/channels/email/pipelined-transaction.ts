/**
 * One message over an open nodemailer SMTPConnection with SMTP PIPELINING (RFC 2920):
 * MAIL FROM, RCPT TO and DATA go out in one write, their three replies are read together,
 * then the dot-stuffed body and its terminator go out in one more write. nodemailer's own
 * `send` waits for each reply before the next command (MAIL, RCPT, DATA, body: four round
 * trips and four writes per message, and it pipes the body through a stream).
 *
 * nodemailer still does everything around it: the socket, TLS and STARTTLS with certificate
 * checks, EHLO, AUTH, the reply parser, timeouts and closing. This file only queues reply
 * handlers on the connection (`_responseActions`, the queue nodemailer's parser calls one
 * handler per reply from) and writes to its socket, and it builds its errors with
 * nodemailer's `_formatError`, so a refusal looks exactly as it did from `send`
 * (smtp-errors.ts maps both). Those are private members: the nodemailer version is pinned in
 * package-lock.json and test/channels/email covers this path against a real server.
 */
import type { Socket } from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

/** The members of nodemailer's SMTPConnection this file relies on (nodemailer 7). */
export interface ConnectionInternals {
  _socket: Socket;
  _responseActions: Array<(reply: string) => void>;
  _supportedExtensions: string[];
  _destroyed: boolean;
  _formatError(message: string, code: string, response: string | false, command: string): Error;
}

export function internals(conn: SMTPConnection): ConnectionInternals {
  return conn as unknown as ConnectionInternals;
}

/** Whether the server said PIPELINING in its EHLO reply (nodemailer records it). */
export function offersPipelining(conn: SMTPConnection): boolean {
  return internals(conn)._supportedExtensions.includes('PIPELINING');
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const ONE_DOT = Buffer.from('.');
const END_AFTER_LF = Buffer.from('.\r\n');
const END_AFTER_CR = Buffer.from('\n.\r\n');
const END = Buffer.from('\r\n.\r\n');

/**
 * The message as it goes on the wire after DATA: dot-stuffed, bare LFs made CRLF, ended by
 * "." on a line of its own; the same bytes as nodemailer's DataStream (the test compares them).
 * Slices of the message and a few constant pieces, for one writev: nothing is copied.
 *
 * The message may come as its pieces in order (a digest's parts shared by every recipient
 * with the few bytes of each recipient between them): then nothing is joined either, and a
 * large piece's stuffing is worked out once and reused for every message that contains it.
 */
export function dataBlock(raw: Buffer | readonly Buffer[]): Buffer[] {
  let pieces: Buffer[];
  let lastByte: number | undefined;
  if (Buffer.isBuffer(raw)) {
    pieces = stuffChunk(raw, START);
    lastByte = raw[raw.length - 1];
  } else {
    pieces = [];
    let before: Before = START;
    for (const chunk of raw) {
      if (chunk.length === 0) continue;
      for (const p of chunk.length >= CACHED_MIN ? cachedStuffing(chunk, before) : stuffChunk(chunk, before)) pieces.push(p);
      lastByte = chunk[chunk.length - 1] as number;
      before = lastByte === LF ? START : lastByte === CR ? AFTER_CR : MID_LINE;
    }
  }
  pieces.push(lastByte === LF ? END_AFTER_LF : lastByte === CR ? END_AFTER_CR : END);
  return pieces;
}

/** What came before a piece: the start of a line (or of the message), a CR, anything else. */
const START = 0;
const AFTER_CR = 1;
const MID_LINE = 2;
type Before = typeof START | typeof AFTER_CR | typeof MID_LINE;

/**
 * Pieces at least this long keep their stuffing, per what comes before them: a digest's shared
 * parts, tens of KB. A recipient's own pieces (headers, DKIM-Signature, spliced values) are
 * shorter and stuffed each time, so the cache holds nothing per message.
 */
const CACHED_MIN = 2048;
const stuffings = new WeakMap<Buffer, Array<Buffer[] | undefined>>();

function cachedStuffing(chunk: Buffer, before: Before): Buffer[] {
  // Only the first byte depends on what came before (a dot at a line start, a bare LF).
  const key: Before = chunk[0] === DOT || chunk[0] === LF ? before : MID_LINE;
  let known = stuffings.get(chunk);
  if (known === undefined) {
    known = [];
    stuffings.set(chunk, known);
  }
  let pieces = known[key];
  if (pieces === undefined) {
    pieces = stuffChunk(chunk, key);
    known[key] = pieces;
  }
  return pieces;
}

/** One piece of the message, stuffed: itself when nothing needs changing, else slices and constants. */
function stuffChunk(chunk: Buffer, before: Before): Buffer[] {
  const pieces: Buffer[] = [];
  let last = 0;
  if (chunk[0] === DOT && before === START) pieces.push(ONE_DOT);
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    if (i === 0 ? before !== AFTER_CR : chunk[i - 1] !== CR) {
      if (i > last) pieces.push(chunk.subarray(last, i));
      pieces.push(CRLF);
      last = i + 1;
    }
    if (chunk[i + 1] === DOT) {
      pieces.push(chunk.subarray(last, i + 2), ONE_DOT);
      last = i + 2;
    }
  }
  if (last < chunk.length) pieces.push(last === 0 ? chunk : chunk.subarray(last));
  return pieces;
}

export interface PipelinedMessage {
  envelope: { from: string; to: string };
  /** The message (CRLF line endings, not dot-stuffed), whole or as its pieces in order. */
  raw: Buffer | readonly Buffer[];
  /** `(null, reply)`: the server's reply to the end of data (with its queue id); or a nodemailer-shaped error. */
  done: (err: Error | null, reply?: string) => void;
  /** The server's refusal, once read (a 421 before a close is then what the message failed with). */
  refused?: Error;
}

/** The same checks and the same errors as nodemailer's _setEnvelope, before anything is written. */
export function envelopeProblem(conn: SMTPConnection, envelope: { from: string; to: string }): Error | undefined {
  const c = internals(conn);
  const from = envelope.from.trim();
  const to = envelope.to.trim();
  if (!to) return c._formatError('No recipients defined', 'EENVELOPE', false, 'API');
  if (from && /[\r\n<>]/.test(from)) return c._formatError(`Invalid sender ${JSON.stringify(from)}`, 'EENVELOPE', false, 'API');
  if (/[\r\n<>]/.test(to)) return c._formatError(`Invalid recipient ${JSON.stringify(to)}`, 'EENVELOPE', false, 'API');
  return undefined;
}

/**
 * Sends a message (its envelope checked with envelopeProblem) to one recipient: MAIL FROM,
 * RCPT TO and DATA in one write; after the 354, the body and its terminator in one write.
 * `next()` may hand over the connection's next message: its MAIL/RCPT/DATA then go out in
 * that same write, right after this message's end of data (RFC 2920 allows commands after
 * the end of data in one group), so each message costs one write and one round trip. A
 * refusal is reported through `done`; a dropped connection through the connection's 'error'.
 */
export function sendPipelined(conn: SMTPConnection, msg: PipelinedMessage, next: () => PipelinedMessage | undefined): void {
  const c = internals(conn);
  c._socket.write(queueEnvelope(c, msg, next));
}

/** Queues the handlers for the three envelope replies and returns the commands to write. */
function queueEnvelope(c: ConnectionInternals, msg: PipelinedMessage, next: () => PipelinedMessage | undefined): string {
  const from = msg.envelope.from.trim();
  const to = msg.envelope.to.trim();
  const smtputf8 = (/[\x80-\uFFFF]/.test(from) || /[\x80-\uFFFF]/.test(to)) && c._supportedExtensions.includes('SMTPUTF8');
  c._responseActions.push(
    (reply) => {
      if (reply.charAt(0) !== '2') {
        const message = smtputf8 && /^550 /.test(reply) && /[\x80-\uFFFF]/.test(from) ? 'Internationalized mailbox name not allowed' : 'Mail command failed';
        msg.refused = c._formatError(message, 'EENVELOPE', reply, 'MAIL FROM');
      }
    },
    (reply) => {
      if (reply.charAt(0) !== '2' && !msg.refused) msg.refused = c._formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', reply, 'RCPT TO');
    },
    (reply) => {
      const accepted = /^[23]/.test(reply);
      if (msg.refused) {
        // A server that takes DATA after refusing the envelope gets an empty message to end it;
        // the pool closes the connection after a refusal anyway.
        if (accepted) {
          c._responseActions.push(() => {});
          c._socket.write('.\r\n');
        }
        msg.done(msg.refused);
        return;
      }
      if (!accepted) {
        msg.refused = c._formatError('Data command failed', 'EENVELOPE', reply, 'DATA');
        msg.done(msg.refused);
        return;
      }
      c._responseActions.push((end) => {
        if (end.charAt(0) === '2') msg.done(null, end);
        else {
          msg.refused = c._formatError('Message failed', 'EMESSAGE', end, 'DATA');
          msg.done(msg.refused);
        }
      });
      const socket = c._socket;
      // One writev: the body, its terminator and the next message's envelope.
      socket.cork();
      for (const piece of dataBlock(msg.raw)) socket.write(piece);
      const following = next();
      if (following) socket.write(queueEnvelope(c, following, next));
      socket.uncork();
    },
  );
  return `MAIL FROM:<${from}>${smtputf8 ? ' SMTPUTF8' : ''}\r\nRCPT TO:<${to}>\r\nDATA\r\n`;
}

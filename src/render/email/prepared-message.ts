import { randomBytes } from 'node:crypto';
import qp from 'nodemailer/lib/qp/index.js';
import { greetingLine, PLACEHOLDER_RE, type PlaceholderKey, placeholderKey } from '../placeholders.ts';
import {
  assertHeaderUri,
  formatAddress,
  formatDate,
  formatMessageId,
  headerLine,
  HeaderError,
  type MailAddress,
  customHeader,
  normalizeAddress,
  textHeader,
  toMailAddress,
} from './mime-headers.ts';
import type { GreetingForms } from './render-email.ts';

/**
 * Builds each distinct MIME message once and only splices per-recipient parts.
 *
 * Both bodies are quoted-printable. The HTML/text is split at the PLACEHOLDERS,
 * every static segment is QP-encoded once into a shared Buffer that ends with a
 * soft line break (`=\r\n`), so encoded pieces can be concatenated in any order and
 * still decode to the plain concatenation; per recipient only the short values
 * (greeting, name, unsubscribe URL) and three headers are encoded. `build` is then
 * one Buffer.concat over precomputed Buffers.
 */

export interface PrepareMessageInput {
  from: string | MailAddress;
  replyTo?: string | MailAddress;
  subject: string;
  html: string;
  text: string;
  date: Date;
  /** Extra headers such as List-Id; Herald's own headers cannot be overridden. */
  headers?: Record<string, string>;
  /** Greeting lines for PLACEHOLDERS.greeting (from RenderedEmail); default: "{name}" / "". */
  greeting?: GreetingForms;
}

export interface RecipientParts {
  to: MailAddress;
  /** With or without angle brackets. */
  messageId: string;
  /** One-click unsubscribe URL (https for List-Unsubscribe-Post to apply). */
  unsubscribeUrl: string;
  /** `mailto:` URI or a bare address, added to List-Unsubscribe. */
  unsubscribeMailto?: string;
  /** The reader's preferences page; without one, footers link to the unsubscribe page (which links on to it). */
  preferencesUrl?: string;
  /** Name for the greeting; defaults to to.name. */
  name?: string;
}

export interface PreparedMessage {
  /** The complete RFC 5322 message, CRLF line endings, not dot-stuffed. */
  build(r: RecipientParts): Buffer;
  /** Bare From address (IDN domain in punycode), for the SMTP envelope's MAIL FROM. */
  readonly envelopeFrom: string;
  /** Bytes shared by every recipient (for sizing and benchmarks). */
  readonly staticBytes: number;
}

type Part = 'text' | 'html';
/** What goes between two static buffers: the recipient headers or a placeholder value. */
type Slot = { kind: 'headers' } | { kind: 'value'; key: PlaceholderKey; part: Part };

const SOFT_BREAK = '=\r\n';

export function prepareMessage(input: PrepareMessageInput): PreparedMessage {
  const boundary = `----=_Herald_${randomBytes(12).toString('hex')}`;
  const greeting = input.greeting ?? { named: '{name}', anonymous: '' };

  let head = '';
  head += headerLine('From', formatAddress('From', input.from));
  if (input.replyTo !== undefined) head += headerLine('Reply-To', formatAddress('Reply-To', input.replyTo));
  head += textHeader('Subject', input.subject);
  head += headerLine('Date', formatDate(input.date));
  head += 'MIME-Version: 1.0\r\n';
  const afterRecipient =
    Object.entries(input.headers ?? {})
      .map(([name, value]) => customHeader(name, value))
      .join('') +
    headerLine('Content-Type', `multipart/alternative; boundary="${boundary}"`) +
    '\r\n' +
    partHeader(boundary, 'text/plain');

  // Static pieces and the slots between them, in message order.
  const statics: string[] = [head];
  const slots: Slot[] = [{ kind: 'headers' }];
  let pending = afterRecipient;
  for (const [part, body] of [
    ['text', input.text],
    ['html', input.html],
  ] as const) {
    if (part === 'html') pending += `\r\n${partHeader(boundary, 'text/html')}`;
    const pieces = body.replace(/\r\n?|\n/g, '\r\n').split(PLACEHOLDER_RE);
    // split() with a capture group alternates text, key name, text, ...
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (i % 2 === 0) {
        pending += encodeSegment(piece, i === pieces.length - 1);
      } else {
        statics.push(pending);
        pending = '';
        const key = placeholderKey(`%%HERALD_${piece}%%`);
        if (key === undefined) throw new Error(`unknown placeholder ${piece}`);
        slots.push({ kind: 'value', key, part });
      }
    }
  }
  pending += `\r\n--${boundary}--\r\n`;
  statics.push(pending);

  const staticBuffers = statics.map((s) => Buffer.from(s, 'latin1'));
  for (const s of statics) {
    // Everything is QP or encoded words by now; a non-ASCII byte means a bug above.
    if (/[\u0080-\uffff]/.test(s)) throw new Error('internal: non-ASCII byte in encoded message');
  }
  const staticBytes = staticBuffers.reduce((n, b) => n + b.length, 0);

  return {
    envelopeFrom: normalizeAddress('From', toMailAddress('From', input.from).address),
    staticBytes,
    build(r) {
      const values = recipientValues(r, greeting);
      const list: Buffer[] = new Array(staticBuffers.length + slots.length);
      let length = staticBytes;
      let j = 0;
      for (let i = 0; i < slots.length; i++) {
        list[j++] = staticBuffers[i] as Buffer;
        const slot = slots[i] as Slot;
        const buf = slot.kind === 'headers' ? values.headers : values.get(slot.key, slot.part);
        list[j++] = buf;
        length += buf.length;
      }
      list[j] = staticBuffers[slots.length] as Buffer;
      return Buffer.concat(list, length);
    },
  };
}

function partHeader(boundary: string, type: string): string {
  return `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
}

/**
 * QP-encodes one piece of a body. Lines are wrapped at 75 so the trailing soft
 * break still fits in 76; a piece that ends mid-line gets `=\r\n` so whatever is
 * spliced after it starts on a fresh line without adding a character.
 */
function encodeSegment(s: string, last: boolean): string {
  if (s === '') return '';
  const encoded = qp.wrap(qp.encode(Buffer.from(s, 'utf8')), 75);
  if (last || encoded.endsWith('\r\n')) return encoded;
  return encoded + SOFT_BREAK;
}

function recipientValues(r: RecipientParts, greeting: GreetingForms) {
  const to = formatAddress('To', r.to);
  const messageId = formatMessageId(r.messageId);
  assertHeaderUri('unsubscribe URL', r.unsubscribeUrl);
  let listUnsubscribe = `<${r.unsubscribeUrl}>`;
  if (r.unsubscribeMailto !== undefined) {
    const mailto = r.unsubscribeMailto.startsWith('mailto:') ? r.unsubscribeMailto : `mailto:${r.unsubscribeMailto}`;
    assertHeaderUri('unsubscribe mailto', mailto);
    listUnsubscribe += `, <${mailto}>`;
  }
  let headers = headerLine('To', to) + headerLine('Message-ID', messageId) + headerLine('List-Unsubscribe', listUnsubscribe);
  // RFC 8058 one-click applies to HTTPS URIs only.
  if (/^https:/i.test(r.unsubscribeUrl)) headers += 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n';

  const name = (r.name ?? r.to.name ?? '').trim();
  if (/[\r\n]/.test(name)) throw new HeaderError('recipient name must not contain line breaks');
  const plain: Record<PlaceholderKey, string> = {
    greeting: greetingLine(greeting, name),
    name,
    unsubscribeUrl: r.unsubscribeUrl,
    preferencesUrl: r.preferencesUrl ?? r.unsubscribeUrl,
  };
  const cache = new Map<string, Buffer>();
  return {
    headers: Buffer.from(headers, 'utf8'),
    get(key: PlaceholderKey, part: Part): Buffer {
      const id = `${part}:${key}`;
      let buf = cache.get(id);
      if (buf === undefined) {
        const value = part === 'html' ? escapeHtml(plain[key]) : plain[key];
        buf = Buffer.from(encodeSegment(value, false), 'latin1');
        cache.set(id, buf);
      }
      return buf;
    },
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Values may land in text or in an attribute (href), so quotes are escaped too. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

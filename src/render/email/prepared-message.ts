import { createHash, type Hash, randomBytes } from 'node:crypto';
import { greetingLine, type PlaceholderKey } from '../placeholders.ts';
import { type Chunk, type EncodedPart, encodePart, encodeSmaller, type Part, type TransferEncoding } from './body-encoding.ts';
import { canonicalSignedHeaders, type DkimKey, relaxedBody, signatureHeaders } from './dkim.ts';
import {
  assertHeaderUri,
  customHeader,
  feedbackIdHeader,
  formatAddress,
  formatDate,
  formatMessageId,
  HeaderError,
  headerLine,
  listIdHeader,
  type MailAddress,
  normalizeAddress,
  textHeader,
  toMailAddress,
} from './mime-headers.ts';
import type { GreetingForms } from './render-email.ts';

/**
 * Builds each distinct MIME message once and only splices per-recipient parts.
 *
 * The HTML/text is split at the PLACEHOLDERS and every static segment is encoded once
 * (quoted-printable or base64, whichever is smaller for that part; see body-encoding.ts);
 * per recipient only the short values (greeting, name, links) and four headers are
 * encoded. `buildParts` gives the message as those Buffers in order, the shared ones the same
 * objects for every recipient (the SMTP pool writes them as they are: nothing is joined or
 * copied per recipient); `build` joins them into one Buffer.
 *
 * With DKIM keys, each message is signed (relaxed/relaxed): the body hash starts from the
 * shared prefix (Hash.copy()) and runs over precomputed canonical chunks, and the private
 * key operation runs in node's thread pool, so the event loop keeps sending meanwhile.
 */

export interface PrepareMessageInput {
  from: string | MailAddress;
  replyTo?: string | MailAddress;
  subject: string;
  html: string;
  text: string;
  date: Date;
  /** List-Id (RFC 2919): the list's name (the site title) and id (`<channel>.<site host>`). */
  listId?: { name: string; id: string };
  /** Feedback-ID header value (Gmail's feedback loop), e.g. `news:digest:example.com`. */
  feedbackId?: string;
  /** Extra headers (X-…); Herald's own headers cannot be overridden. */
  headers?: Record<string, string>;
  /** Greeting lines for PLACEHOLDERS.greeting (from RenderedEmail); default: "{name}" / "". */
  greeting?: GreetingForms;
  /** Sign every message with each of these keys (several: e.g. RSA and Ed25519 side by side). */
  dkim?: readonly DkimKey[];
  /** Force a transfer encoding per part; default: the smaller of quoted-printable and base64. */
  encoding?: Partial<Record<Part, TransferEncoding>>;
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

export interface PartInfo {
  encoding: TransferEncoding;
  /** Encoded bytes as sent, placeholders counted as empty. */
  staticBytes: number;
  /** Placeholders in the part (each adds its value, encoded, per recipient). */
  slots: number;
}

export interface PreparedMessage {
  /** The complete RFC 5322 message, DKIM-signed when keys were given; CRLF line endings, not dot-stuffed. */
  build(r: RecipientParts): Promise<Buffer>;
  /** The same message as its pieces in order: shared pieces are reused across recipients and must not be changed. */
  buildParts(r: RecipientParts): Promise<Buffer[]>;
  /** Bare From address (IDN domain in punycode), for the SMTP envelope's MAIL FROM. */
  readonly envelopeFrom: string;
  /** Bytes shared by every recipient (for sizing and benchmarks; DKIM-Signature headers not included). */
  readonly staticBytes: number;
  readonly parts: Readonly<Record<Part, PartInfo>>;
  /** Whether messages are signed. */
  readonly signed: boolean;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const shared = (s: string): Chunk => {
  const raw = latin1(s);
  return { raw, canon: relaxedBody(raw) };
};

export function prepareMessage(input: PrepareMessageInput): PreparedMessage {
  const boundary = `----=_Herald_${randomBytes(12).toString('hex')}`;
  const greeting = input.greeting ?? { named: '{name}', anonymous: '' };
  const choose = (part: Part, body: string): EncodedPart => {
    const forced = input.encoding?.[part];
    return forced === undefined ? encodeSmaller(body) : encodePart(body, forced);
  };
  const text = choose('text', input.text);
  const html = choose('html', input.html);

  // Header fields as written, by lower-case name, for DKIM (no final CRLF).
  const fields = new Map<string, string>();
  const field = (line: string) => {
    fields.set(line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(0, -2));
    return line;
  };
  let head = '';
  head += field(headerLine('From', formatAddress('From', input.from)));
  if (input.replyTo !== undefined) head += field(headerLine('Reply-To', formatAddress('Reply-To', input.replyTo)));
  head += field(textHeader('Subject', input.subject));
  head += field(headerLine('Date', formatDate(input.date)));
  head += field('MIME-Version: 1.0\r\n');
  let afterRecipient = '';
  if (input.listId !== undefined) afterRecipient += field(listIdHeader(input.listId.name, input.listId.id));
  if (input.feedbackId !== undefined) afterRecipient += field(feedbackIdHeader(input.feedbackId));
  for (const [name, value] of Object.entries(input.headers ?? {})) afterRecipient += field(customHeader(name, value));
  afterRecipient += field(headerLine('Content-Type', `multipart/alternative; boundary="${boundary}"`));
  const bodyStart = partHeader(boundary, 'text/plain', text.encoding) + text.head;
  const middle = shared(`\r\n${partHeader(boundary, 'text/html', html.encoding)}${html.head}`);
  const end = shared(`\r\n--${boundary}--\r\n`);

  const headBuf = latin1(head);
  const afterBuf = latin1(`${afterRecipient}\r\n${bodyStart}`);
  for (const s of [head, afterRecipient, bodyStart, middle.raw.toString('latin1')]) {
    // Everything is encoded by now; a non-ASCII byte means a bug above.
    if (/[\u0080-\uffff]/.test(s)) throw new Error('internal: non-ASCII byte in encoded message');
  }
  const staticBytes = headBuf.length + afterBuf.length + middle.raw.length + end.raw.length + text.staticBytes - text.head.length + html.staticBytes - html.head.length;

  const keys = input.dkim ?? [];
  const signTime = Math.floor(input.date.getTime() / 1000);
  // The body hash of everything before the first spliced value, computed once.
  const prefix: Hash | undefined = keys.length > 0 ? createHash('sha256').update(relaxedBody(latin1(bodyStart))) : undefined;

  const buildParts = async (r: RecipientParts): Promise<Buffer[]> => {
    const v = recipientValues(r, greeting);
    const body: Chunk[] = [];
    text.emit(v.text, body);
    body.push(middle);
    html.emit(v.html, body);
    body.push(end);

    const list: Buffer[] = [];
    if (prefix !== undefined) {
      const hash = prefix.copy();
      for (const c of body) hash.update(c.canon);
      const recipientFields = new Map(fields);
      for (const line of v.headerLines) recipientFields.set(line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(0, -2));
      const signed = canonicalSignedHeaders({ get: (name) => recipientFields.get(name) });
      list.push(latin1(await signatureHeaders(keys, signed, hash.digest('base64'), signTime)));
    }
    list.push(headBuf, v.headers, afterBuf);
    for (const c of body) list.push(c.raw);
    return list;
  };

  return {
    envelopeFrom: normalizeAddress('From', toMailAddress('From', input.from).address),
    staticBytes,
    signed: keys.length > 0,
    parts: {
      text: { encoding: text.encoding, staticBytes: text.staticBytes, slots: text.slots },
      html: { encoding: html.encoding, staticBytes: html.staticBytes, slots: html.slots },
    },
    buildParts,
    build: async (r) => Buffer.concat(await buildParts(r)),
  };
}

function partHeader(boundary: string, type: string, encoding: TransferEncoding): string {
  return `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`;
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
  const headerLines = [headerLine('To', to), headerLine('Message-ID', messageId), headerLine('List-Unsubscribe', listUnsubscribe)];
  // RFC 8058 one-click applies to HTTPS URIs only.
  if (/^https:/i.test(r.unsubscribeUrl)) headerLines.push('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');

  const name = (r.name ?? r.to.name ?? '').trim();
  if (/[\r\n]/.test(name)) throw new HeaderError('recipient name must not contain line breaks');
  const plain: Record<PlaceholderKey, string> = {
    greeting: greetingLine(greeting, name),
    name,
    unsubscribeUrl: r.unsubscribeUrl,
    preferencesUrl: r.preferencesUrl ?? r.unsubscribeUrl,
  };
  const escaped = new Map<PlaceholderKey, string>();
  return {
    headerLines,
    headers: Buffer.from(headerLines.join(''), 'utf8'),
    text: (key: PlaceholderKey) => plain[key],
    html: (key: PlaceholderKey) => {
      let s = escaped.get(key);
      if (s === undefined) {
        s = escapeHtml(plain[key]);
        escaped.set(key, s);
      }
      return s;
    },
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Values may land in text or in an attribute (href), so quotes are escaped too. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

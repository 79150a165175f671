import { createRequire } from 'node:module';
import type Qp from 'nodemailer/lib/qp/index.js';
import { PLACEHOLDER_RE, type PlaceholderKey, placeholderKey } from '../placeholders.ts';
import { relaxedBody } from './dkim.ts';

// Loaded on first use (see mime-headers.ts).
let loadedQp: typeof Qp | undefined;
const qpOf = (): typeof Qp => (loadedQp ??= createRequire(import.meta.url)('nodemailer/lib/qp/index.js') as typeof Qp);

/**
 * Content-Transfer-Encoding of one body part with per-recipient splicing.
 *
 * A part is split at the PLACEHOLDERS into static segments S0 V1 S1 … Vn Sn; the static
 * segments are encoded once and shared by every recipient, and only the values V are
 * encoded per recipient. Every chunk handed out ends at a line end (CRLF), so the
 * DKIM-canonical form of a shared chunk is computed once too.
 *
 * - quoted-printable: a static segment that ends mid-line gets a soft break (`=\r\n`), so
 *   pieces concatenate to the plain concatenation.
 * - base64: groups of 3 bytes cannot straddle a splice, so each static segment is encoded
 *   in three variants, one per alignment (0, 1 or 2 of its first bytes completing the
 *   group the value left open); per recipient only the value, with at most 2 bytes on
 *   either side, is encoded. Lines are at most 76 characters, each a whole number of
 *   4-character groups; decoders ignore line breaks in base64.
 *
 * CJK text is 9 bytes a character in quoted-printable and 4 in base64, so `choose` takes
 * whichever is smaller for each part.
 */

export type TransferEncoding = 'quoted-printable' | 'base64';
export type Part = 'text' | 'html';

/** A piece of the body as sent, and its DKIM relaxed-canonical form. */
export interface Chunk {
  raw: Buffer;
  canon: Buffer;
}

export interface EncodedPart {
  encoding: TransferEncoding;
  /** Encoded static text before the first placeholder (not necessarily a whole line). */
  head: string;
  /** Encoded bytes shared by every recipient (placeholders count as empty). */
  staticBytes: number;
  /** How many placeholders the part has. */
  slots: number;
  /** Appends the rest of the part for one recipient: per placeholder its value, then the shared chunk that follows. */
  emit(value: (key: PlaceholderKey) => string, out: Chunk[]): void;
}

const SOFT_BREAK = '=\r\n';

/** CRLF line ends, then the static segments and the placeholder keys between them. */
export function splitAtPlaceholders(body: string): { statics: string[]; keys: PlaceholderKey[] } {
  const pieces = body.replace(/\r\n?|\n/g, '\r\n').split(PLACEHOLDER_RE);
  const statics: string[] = [];
  const keys: PlaceholderKey[] = [];
  // split() with a capture group alternates text, key name, text, ...
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) statics.push(piece);
    else {
      const key = placeholderKey(`%%HERALD_${piece}%%`);
      if (key === undefined) throw new Error(`unknown placeholder ${piece}`);
      keys.push(key);
    }
  });
  return { statics, keys };
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const chunkOf = (raw: Buffer, canonical = true): Chunk => ({ raw, canon: canonical ? relaxedBody(raw) : raw });

/**
 * QP-encodes one piece of a body. Lines are wrapped at 75 so the trailing soft break
 * still fits in 76; a piece that ends mid-line gets `=\r\n` so whatever is spliced after
 * it starts on a fresh line without adding a character.
 */
export function qpSegment(s: string, last: boolean): string {
  if (s === '') return '';
  const qp = qpOf();
  const encoded = qp.wrap(qp.encode(Buffer.from(s, 'utf8')), 75);
  if (last || encoded.endsWith('\r\n')) return encoded;
  return encoded + SOFT_BREAK;
}

function quotedPrintable(statics: string[], keys: PlaceholderKey[]): EncodedPart {
  const encoded = statics.map((s, i) => qpSegment(s, i === statics.length - 1));
  const shared = encoded.slice(1).map((s) => chunkOf(latin1(s)));
  return {
    encoding: 'quoted-printable',
    head: encoded[0] ?? '',
    staticBytes: encoded.reduce((n, s) => n + s.length, 0),
    slots: keys.length,
    emit(value, out) {
      keys.forEach((key, i) => {
        out.push(chunkOf(latin1(qpSegment(value(key), false))));
        out.push(shared[i] as Chunk);
      });
    },
  };
}

/** base64 in lines of at most 76 characters, each ending with CRLF. */
function base64Lines(bytes: Buffer): string {
  if (bytes.length === 0) return '';
  return `${bytes
    .toString('base64')
    .replace(/.{76}(?=.)/g, '$&\r\n')}\r\n`;
}

interface Base64Variant {
  /** The bytes completing the open group, taken from the start of the segment. */
  lead: Buffer;
  chunk: Chunk;
  /** 0–2 bytes left over for the next group (empty for the last segment). */
  carry: Buffer;
}

function base64Part(statics: string[], keys: PlaceholderKey[]): EncodedPart {
  const bytes = statics.map((s) => Buffer.from(s, 'utf8'));
  const last = bytes.length - 1;
  // A segment shorter than 3 bytes cannot close an open group and open another, so it is
  // encoded with the values around it instead of being shared.
  const variants = bytes.map((b, i) => {
    if (i === 0 || b.length < 3) return undefined;
    return [0, 1, 2].map((lead): Base64Variant => {
      const whole = i === last ? b.length - lead : Math.floor((b.length - lead) / 3) * 3;
      return {
        lead: b.subarray(0, lead),
        chunk: chunkOf(latin1(base64Lines(b.subarray(lead, lead + whole))), false),
        carry: b.subarray(lead + whole),
      };
    });
  });
  const first = bytes[0] as Buffer;
  const headWhole = last === 0 ? first.length : Math.floor(first.length / 3) * 3;
  const headCarry = first.subarray(headWhole);
  let staticBytes = 0;
  for (const b of bytes) staticBytes += Math.ceil(b.length / 3) * 4 + Math.ceil(b.length / 57) * 2;
  return {
    encoding: 'base64',
    head: base64Lines(first.subarray(0, headWhole)),
    staticBytes,
    slots: keys.length,
    emit(value, out) {
      let pending: Buffer = headCarry;
      keys.forEach((key, i) => {
        const open = Buffer.concat([pending, Buffer.from(value(key), 'utf8')]);
        const options = variants[i + 1];
        if (options === undefined) {
          pending = Buffer.concat([open, bytes[i + 1] as Buffer]);
          return;
        }
        const v = options[(3 - (open.length % 3)) % 3] as Base64Variant;
        out.push(chunkOf(latin1(base64Lines(Buffer.concat([open, v.lead]))), false));
        out.push(v.chunk);
        pending = v.carry;
      });
      if (pending.length > 0) out.push(chunkOf(latin1(base64Lines(pending)), false));
    },
  };
}

export function encodePart(body: string, encoding: TransferEncoding): EncodedPart {
  const { statics, keys } = splitAtPlaceholders(body);
  return encoding === 'base64' ? base64Part(statics, keys) : quotedPrintable(statics, keys);
}

/** The smaller of the two encodings as sent (placeholders counted empty). */
export function encodeSmaller(body: string): EncodedPart {
  const { statics, keys } = splitAtPlaceholders(body);
  const q = quotedPrintable(statics, keys);
  const b = base64Part(statics, keys);
  return b.staticBytes < q.staticBytes ? b : q;
}

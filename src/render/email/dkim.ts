import { createHash, createPublicKey, type Hash, type KeyObject, sign } from 'node:crypto';

/**
 * DKIM signatures (RFC 6376), relaxed/relaxed, with RSA-SHA256 and Ed25519-SHA256
 * (RFC 8463) side by side. Pure computation: keys arrive as KeyObjects, parsed once
 * when the config is loaded, so a signature costs one private-key operation.
 *
 * prepared-message.ts feeds the body hash incrementally (the canonical form of each
 * shared body piece is computed once; per recipient only the short spliced values are
 * canonicalized), and calls `signatureHeaders` with the canonical header lines.
 */

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimKey {
  /** d=: the signing domain (ASCII; IDN as punycode). */
  domain: string;
  /** s=: the selector; the public key is published at <selector>._domainkey.<domain>. */
  selector: string;
  algorithm: DkimAlgorithm;
  privateKey: KeyObject;
  /** RSA modulus length in bits; 256 for Ed25519. */
  bits: number;
  /** Where the key came from, for messages (a file path or "inline PEM"); never the key itself. */
  source: string;
}

/**
 * The h= list. Each header is signed once; From, Subject and the List-Unsubscribe pair are
 * listed once more than they occur ("over-signed"), so no one can add a second copy that a
 * mail client would show instead. A listed header that is absent (Reply-To, List-Id, ...)
 * is signed as absent: adding it later breaks the signature too.
 */
export const SIGNED_HEADERS = [
  'From',
  'To',
  'Subject',
  'Date',
  'Message-ID',
  'MIME-Version',
  'Content-Type',
  'Reply-To',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'Feedback-ID',
  'From',
  'Subject',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
] as const;

/** RFC 6376 3.4.2, for one complete header field (name, colon, value, folded lines; no final CRLF). */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}`;
}

/**
 * RFC 6376 3.4.4 for a piece of body made of whole lines (every piece Herald splices
 * ends with CRLF): trailing whitespace of each line removed, runs of spaces/tabs become one
 * space. Empty lines at the very end are the caller's concern (Herald's bodies end with the
 * closing MIME boundary, never with an empty line).
 */
export function relaxedBody(piece: Buffer): Buffer {
  // Fast path: quoted-printable and base64 lines rarely hold two spaces in a row.
  if (!/[ \t]{2}|\t|[ \t]\r\n/.test(piece.toString('latin1'))) return piece;
  return Buffer.from(
    piece
      .toString('latin1')
      .replace(/[ \t]+\r\n/g, '\r\n')
      .replace(/[ \t]+/g, ' '),
    'latin1',
  );
}

/** A running SHA-256 of the canonical body; copy() lets every recipient start from the shared prefix. */
export function bodyHasher(): Hash {
  return createHash('sha256');
}

export interface HeaderSource {
  /** Lower-case header name → the complete header field as written (folded, no final CRLF). */
  get(lowerName: string): string | undefined;
}

/** The h= value, folded into lines of about 64 characters. */
const H_LIST = (() => {
  const lines: string[] = [];
  let line = '';
  SIGNED_HEADERS.forEach((name, i) => {
    const piece = i < SIGNED_HEADERS.length - 1 ? `${name}:` : name;
    if (line.length + piece.length > 64) {
      lines.push(line);
      line = '';
    }
    line += piece;
  });
  lines.push(line);
  return lines.join('\r\n ');
})();

/** What a DKIM-Signature header says before b= (b= last, so its value can be folded freely). */
function signatureTemplate(key: DkimKey, signTime: number, bodyHash: string): string {
  return `DKIM-Signature: v=1; a=${key.algorithm}; c=relaxed/relaxed; d=${key.domain};\r\n s=${key.selector}; t=${signTime}; bh=${bodyHash};\r\n h=${H_LIST};\r\n b=`;
}

/** The canonical signed-header block (without the DKIM-Signature itself). */
export function canonicalSignedHeaders(headers: HeaderSource): string {
  const used = new Set<string>();
  let out = '';
  for (const name of SIGNED_HEADERS) {
    const lower = name.toLowerCase();
    if (used.has(lower)) continue; // the over-signed instance: signed as absent
    used.add(lower);
    const field = headers.get(lower);
    if (field !== undefined) out += `${relaxedHeader(field)}\r\n`;
  }
  return out;
}

function fold(b64: string): string {
  return b64.replace(/(.{72})(?=.)/g, '$1\r\n  ');
}

function signData(key: DkimKey, data: Buffer): Buffer {
  return key.algorithm === 'rsa-sha256' ? sign('sha256', data, key.privateKey) : sign(null, createHash('sha256').update(data).digest(), key.privateKey);
}

function signDataAsync(key: DkimKey, data: Buffer): Promise<Buffer> {
  // With a callback, node signs in its thread pool: the event loop keeps sending meanwhile.
  const input = key.algorithm === 'rsa-sha256' ? data : createHash('sha256').update(data).digest();
  return new Promise((resolve, reject) =>
    sign(key.algorithm === 'rsa-sha256' ? 'sha256' : null, input, key.privateKey, (err, sig) => (err ? reject(err) : resolve(sig))),
  );
}

/**
 * The DKIM-Signature header fields (CRLF-terminated, to go on top of the message), one per
 * key, each over the same headers and body hash.
 */
export async function signatureHeaders(keys: readonly DkimKey[], signedHeaders: string, bodyHash: string, signTime: number): Promise<string> {
  const sigs = await Promise.all(
    keys.map(async (key) => {
      const template = signatureTemplate(key, signTime, bodyHash);
      const data = Buffer.from(signedHeaders + relaxedHeader(template), 'latin1');
      return `${template}${fold((await signDataAsync(key, data)).toString('base64'))}\r\n`;
    }),
  );
  return sigs.join('');
}

/** The same, signing on the calling thread (for one-off messages and measurements). */
export function signatureHeadersSync(keys: readonly DkimKey[], signedHeaders: string, bodyHash: string, signTime: number): string {
  let out = '';
  for (const key of keys) {
    const template = signatureTemplate(key, signTime, bodyHash);
    const data = Buffer.from(signedHeaders + relaxedHeader(template), 'latin1');
    out += `${template}${fold(signData(key, data).toString('base64'))}\r\n`;
  }
  return out;
}

/** The TXT record to publish at <selector>._domainkey.<domain> for this key. */
export function dkimPublicRecord(key: DkimKey): { name: string; value: string } {
  const pub = createPublicKey(key.privateKey);
  const p =
    key.algorithm === 'rsa-sha256'
      ? pub.export({ type: 'spki', format: 'der' }).toString('base64')
      : // RFC 8463: the raw 32-byte key, not SubjectPublicKeyInfo.
        Buffer.from((pub.export({ format: 'jwk' }) as { x: string }).x, 'base64url').toString('base64');
  return { name: `${key.selector}._domainkey.${key.domain}`, value: `v=DKIM1; k=${key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519'}; p=${p}` };
}

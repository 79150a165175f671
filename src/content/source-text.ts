import { isUtf8 } from 'node:buffer';
import { ArticleParseError } from './errors.ts';

/** Files above this size are reported rather than read: nobody writes a 5 MB article by hand. */
export const MAX_ARTICLE_BYTES = 5 * 1024 * 1024;

export function describeTooLarge(size: number): string {
  return `file is ${formatMegabytes(size)}, larger than the ${formatMegabytes(MAX_ARTICLE_BYTES)} limit for an article`;
}

function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/** One decoder for every file: each decode() without `stream` starts afresh. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes the bytes of a markdown file, rejecting what is clearly not a text
 * article. The checks run in this order so each file gets the most useful reason.
 */
export function decodeSourceText(bytes: Uint8Array): string {
  checkSourceBytes(bytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ArticleParseError(`not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8Offset(bytes)}), expected UTF-8 text; re-save the file as UTF-8`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** decodeSourceText's checks, in its order: each throws the same error. */
function checkSourceBytes(bytes: Uint8Array): void {
  if (bytes.length > MAX_ARTICLE_BYTES) throw new ArticleParseError(describeTooLarge(bytes.length));
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ArticleParseError('file is UTF-16 encoded (byte order mark), expected UTF-8 text');
  }
  if (bytes.includes(0)) throw new ArticleParseError('binary file (contains NUL bytes), expected UTF-8 markdown text');
}

/**
 * The file's text in two parts, for a reader that may need only the first: the text up to
 * the end of the line at `headBytes` (BOM dropped), and a function decoding the rest. The
 * whole file is checked first (as decodeSourceText: same errors); head + rest() is its text.
 * Undefined: the file is no longer than that.
 */
export function splitSourceText(bytes: Uint8Array, headBytes: number): { head: string; rest: () => string } | undefined {
  if (bytes.length <= headBytes) return undefined;
  // After a newline byte, which is never inside a UTF-8 sequence (nor between "\r" and "\n").
  const cut = bytes.indexOf(0x0a, headBytes - 1) + 1;
  if (cut <= 0 || cut >= bytes.length) return undefined;
  checkSourceBytes(bytes);
  if (!isUtf8(bytes)) return undefined; // decodeSourceText reports where
  const head = utf8.decode(bytes.subarray(0, cut));
  return { head: head.charCodeAt(0) === 0xfeff ? head.slice(1) : head, rest: () => utf8.decode(bytes.subarray(cut)) };
}

/** Offset of the first byte that breaks UTF-8, so the author can find it. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

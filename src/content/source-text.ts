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
  if (bytes.length > MAX_ARTICLE_BYTES) throw new ArticleParseError(describeTooLarge(bytes.length));
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ArticleParseError('file is UTF-16 encoded (byte order mark), expected UTF-8 text');
  }
  if (bytes.includes(0)) throw new ArticleParseError('binary file (contains NUL bytes), expected UTF-8 markdown text');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ArticleParseError(`not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8Offset(bytes)}), expected UTF-8 text; re-save the file as UTF-8`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
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

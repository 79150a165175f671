import { domainToASCII } from 'node:url';
import { createRequire } from 'node:module';
import type MimeFuncs from 'nodemailer/lib/mime-funcs/index.js';

// Loaded on first use: every command builds the channel kinds, few write an email (and its
// MIME type table is ~100 KB to load).
let loaded: typeof MimeFuncs | undefined;
const mimeFuncs = (): typeof MimeFuncs => (loaded ??= createRequire(import.meta.url)('nodemailer/lib/mime-funcs/index.js') as typeof MimeFuncs);

/**
 * RFC 5322 header building: every value is checked for CR/LF (header injection),
 * non-ASCII text becomes RFC 2047 encoded words, and lines are folded at 76.
 */

export interface MailAddress {
  address: string;
  name?: string;
}

/** Thrown for values that would produce a broken or injectable message. */
export class HeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderError';
  }
}

export function assertNoLineBreaks(what: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new HeaderError(`${what} must not contain line breaks (CR/LF): ${JSON.stringify(value.slice(0, 80))}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL in a header is never legitimate
  if (/\u0000/.test(value)) throw new HeaderError(`${what} must not contain NUL characters`);
}

/** 'Q' for mostly-Latin text (readable in raw form), 'B' for mostly non-Latin (shorter for CJK). */
function wordEncoding(value: string): 'Q' | 'B' {
  const nonLatin = (value.match(/[\u0080-\uffff]/g) ?? []).length;
  const latin = (value.match(/[a-z]/gi) ?? []).length;
  return nonLatin < latin ? 'Q' : 'B';
}

/** Free text (Subject, custom headers): encoded only when it needs to be. */
export function encodeText(value: string): string {
  // A literal "=?" could be misread as an encoded word by the receiver, so encode that too.
  if (/^[\x20-\x7e]*$/.test(value) && !value.includes('=?')) return value;
  return mimeFuncs().encodeWord(value, wordEncoding(value), 52);
}

/** `Name: value`, folded to 76-character lines, CRLF-terminated. */
export function headerLine(name: string, value: string): string {
  return `${mimeFuncs().foldLines(`${name}: ${value}`, 76)}\r\n`;
}

export function textHeader(name: string, value: string): string {
  assertNoLineBreaks(`header ${name}`, value);
  return headerLine(name, encodeText(value));
}

/** Accepts 'a@b', 'Name <a@b>' or { address, name }. */
export function toMailAddress(what: string, input: string | MailAddress): MailAddress {
  if (typeof input !== 'string') return input;
  assertNoLineBreaks(what, input);
  const m = /^\s*(?:"?(.*?)"?\s*)?<([^<>]+)>\s*$/.exec(input);
  if (m?.[2] !== undefined) return m[1] ? { name: m[1].replace(/\\(.)/g, '$1'), address: m[2].trim() } : { address: m[2].trim() };
  return { address: input.trim() };
}

/** The bare address for headers and the SMTP envelope: ASCII, IDN domain as punycode. */
export function normalizeAddress(what: string, address: string): string {
  assertNoLineBreaks(what, address);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || /[\s<>()[\],;:"\\]/.test(address.slice(at + 1)) || /[\s<>]/.test(address)) {
    throw new HeaderError(`${what}: not a valid email address: ${JSON.stringify(address)}`);
  }
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1));
  if (domain === '') throw new HeaderError(`${what}: invalid domain in ${JSON.stringify(address)}`);
  // A non-ASCII local part needs SMTPUTF8, which Herald does not negotiate.
  if (!/^[\x21-\x7e]+$/.test(local)) throw new HeaderError(`${what}: non-ASCII local part is not supported: ${JSON.stringify(address)}`);
  return `${local}@${domain}`;
}

/** `"Name" <a@b>` / `=?UTF-8?...?= <a@b>` / `a@b`. */
export function formatAddress(what: string, input: string | MailAddress): string {
  const { address, name } = toMailAddress(what, input);
  const addr = normalizeAddress(what, address);
  if (name === undefined || name.trim() === '') return addr;
  assertNoLineBreaks(`${what} name`, name);
  return `${encodeDisplayName(name.trim())} <${addr}>`;
}

function encodeDisplayName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name) && !name.includes('=?')) return `"${name.replace(/([\\"])/g, '\\$1')}"`;
  return mimeFuncs().encodeWord(name, wordEncoding(name), 52);
}

/** RFC 5322 date-time in UTC, e.g. "Fri, 03 May 2024 01:00:00 +0000". */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new HeaderError('Date header: invalid date');
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** Message-IDs are accepted with or without angle brackets and always written with them. */
export function formatMessageId(id: string): string {
  assertNoLineBreaks('Message-ID', id);
  const bare = id.trim().replace(/^<(.*)>$/, '$1');
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(bare) || /[<>]/.test(bare)) throw new HeaderError(`Message-ID: not a valid id: ${JSON.stringify(id)}`);
  return `<${bare}>`;
}

/** URIs go inside <...> in List-Unsubscribe, so they must be plain printable ASCII. */
export function assertHeaderUri(what: string, uri: string): void {
  assertNoLineBreaks(what, uri);
  if (!/^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i.test(uri) || /[<>]/.test(uri)) {
    throw new HeaderError(`${what}: must be an absolute, percent-encoded URI: ${JSON.stringify(uri.slice(0, 120))}`);
  }
}

const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-id',
  'feedback-id',
  'dkim-signature',
]);

/** RFC 2919 `List-Id: <phrase> <label.host>`: the name as a display name, the id as a dot-atom. */
export function listIdHeader(name: string, id: string): string {
  assertNoLineBreaks('List-Id', name);
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/.test(id)) throw new HeaderError(`List-Id: not a valid list id: ${JSON.stringify(id)}`);
  const phrase = name.trim() === '' ? '' : `${encodeDisplayName(name.trim())} `;
  return headerLine('List-Id', `${phrase}<${id}>`);
}

/** Gmail's Feedback-ID: printable ASCII, colon-separated fields. */
export function feedbackIdHeader(value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) throw new HeaderError(`Feedback-ID: expected printable ASCII without spaces: ${JSON.stringify(value)}`);
  return headerLine('Feedback-ID', value);
}

/** Extra headers (List-Id, X-…): a valid field name, not one Herald writes itself. */
export function customHeader(name: string, value: string): string {
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new HeaderError(`header name ${JSON.stringify(name)} is not valid`);
  if (RESERVED.has(name.toLowerCase())) throw new HeaderError(`header ${name} is set by Herald and cannot be overridden`);
  return textHeader(name, value);
}

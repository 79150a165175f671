/**
 * Telegram's HTML parse mode, as far as Herald needs it: measure the visible text the
 * way Telegram does, check that only supported markup is used, and cut safely.
 * https://core.telegram.org/bots/api#html-style
 */
import { splitGraphemes } from '../../util/text.ts';

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Tag → the attributes Telegram accepts on it (`true`: any value; a RegExp: values that match). */
const ALLOWED_TAGS: Record<string, Record<string, true | RegExp>> = {
  b: {},
  strong: {},
  i: {},
  em: {},
  u: {},
  ins: {},
  s: {},
  strike: {},
  del: {},
  a: { href: true },
  code: { class: /^language-[\w+#.-]+$/ },
  pre: {},
  blockquote: { expandable: /^$/ },
  'tg-spoiler': {},
  span: { class: /^tg-spoiler$/ },
  'tg-emoji': { 'emoji-id': /^\d+$/ },
};
// HTML tags without a closing tag (none is allowed, but <br> is a common slip).
const VOID_TAGS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr']);
const REQUIRED_ATTRIBUTES: Record<string, string> = { a: 'href', span: 'class', 'tg-emoji': 'emoji-id' };

type Token =
  | { type: 'text'; raw: string }
  | { type: 'entity'; raw: string; value: string | undefined }
  | { type: 'open'; raw: string; name: string; attrs: string }
  | { type: 'close'; raw: string; name: string }
  | { type: 'stray'; raw: string };

const TOKEN = /<(\/?)([A-Za-z][\w-]*)((?:\s[^<>]*)?)>|&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);|[<>&]/g;

function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of html.matchAll(TOKEN)) {
    if (m.index > last) tokens.push({ type: 'text', raw: html.slice(last, m.index) });
    last = m.index + m[0].length;
    const [raw, slash, name, attrs, entity] = m;
    if (name !== undefined) {
      const lower = name.toLowerCase();
      tokens.push(slash ? { type: 'close', raw, name: lower } : { type: 'open', raw, name: lower, attrs: attrs ?? '' });
    } else if (entity !== undefined) {
      tokens.push({ type: 'entity', raw, value: decodeEntity(entity) });
    } else {
      tokens.push({ type: 'stray', raw });
    }
  }
  if (last < html.length) tokens.push({ type: 'text', raw: html.slice(last) });
  return tokens;
}

function decodeEntity(body: string): string | undefined {
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
    if (!Number.isInteger(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    return String.fromCodePoint(code);
  }
  return NAMED_ENTITIES[body];
}

/** The text a reader sees: tags removed, entities decoded. */
export function telegramVisibleText(html: string): string {
  let out = '';
  for (const t of tokenize(html)) {
    if (t.type === 'text' || t.type === 'stray') out += t.raw;
    else if (t.type === 'entity') out += t.value ?? t.raw;
  }
  return out;
}

/** Length as Telegram counts it against the caption/text limits: UTF-16 code units of the visible text. */
export function telegramTextLength(html: string): number {
  return telegramVisibleText(html).length;
}

/** Problems Telegram would reject (or show literally); empty when the markup is fine. */
export function validateTelegramHtml(html: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  for (const t of tokenize(html)) {
    if (t.type === 'stray') problems.push(`bare "${t.raw}" (write ${t.raw === '<' ? '&lt;' : t.raw === '>' ? '&gt;' : '&amp;'})`);
    else if (t.type === 'entity' && t.value === undefined) problems.push(`unsupported entity ${t.raw}`);
    else if (t.type === 'open') {
      const allowed = ALLOWED_TAGS[t.name];
      if (allowed === undefined) {
        problems.push(`tag <${t.name}> is not supported by Telegram`);
        // Still tracked, so its closing tag is not reported a second time.
        if (!VOID_TAGS.has(t.name)) open.push(t.name);
        continue;
      }
      const attrs = parseAttributes(t.attrs);
      if (attrs === undefined) problems.push(`malformed attributes in ${t.raw}`);
      for (const [name, value] of attrs ?? []) {
        const rule = allowed[name];
        if (rule === undefined) problems.push(`attribute ${name} is not allowed on <${t.name}>`);
        else if (rule !== true && !rule.test(value)) problems.push(`attribute ${name}="${value}" is not allowed on <${t.name}>`);
      }
      const required = REQUIRED_ATTRIBUTES[t.name];
      if (required !== undefined && !(attrs ?? []).some(([n, v]) => n === required && v !== '')) problems.push(`<${t.name}> needs ${required}`);
      open.push(t.name);
    } else if (t.type === 'close') {
      const top = open.pop();
      if (top !== t.name) {
        problems.push(top === undefined ? `</${t.name}> closes nothing` : `</${t.name}> closes <${top}>`);
        if (top !== undefined) open.push(top);
      }
    }
  }
  for (const name of open.reverse()) problems.push(`<${name}> is never closed`);
  return problems;
}

const ATTRIBUTE = /\s+([A-Za-z][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/gy;

function parseAttributes(source: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  const trimmed = source.replace(/\s*\/?\s*$/, '');
  ATTRIBUTE.lastIndex = 0;
  let pos = 0;
  for (;;) {
    if (pos >= trimmed.length) return out;
    ATTRIBUTE.lastIndex = pos;
    const m = ATTRIBUTE.exec(trimmed);
    if (m === null) return undefined;
    out.push([(m[1] as string).toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '']);
    pos = ATTRIBUTE.lastIndex;
  }
}

/**
 * Cuts Telegram HTML to at most `limit` visible UTF-16 units, ellipsis included, on a
 * grapheme boundary, never inside a tag or an entity, and closes the tags left open.
 * A last resort: renderers shorten the summary first, which reads much better.
 */
export function truncateTelegramHtml(html: string, limit: number, ellipsis = '…'): string {
  if (telegramTextLength(html) <= limit) return html;
  let budget = Math.max(0, limit - ellipsis.length);
  let out = '';
  const open: string[] = [];
  let full = false;
  for (const t of tokenize(html)) {
    if (full) break;
    if (t.type === 'open') {
      out += t.raw;
      open.push(t.name);
    } else if (t.type === 'close') {
      out += t.raw;
      const i = open.lastIndexOf(t.name);
      if (i >= 0) open.splice(i, 1);
    } else if (t.type === 'entity' || t.type === 'stray') {
      const size = t.type === 'entity' ? (t.value ?? t.raw).length : 1;
      if (size > budget) full = true;
      else {
        out += t.type === 'stray' ? escapeChar(t.raw) : t.raw;
        budget -= size;
      }
    } else {
      for (const g of splitGraphemes(t.raw)) {
        if (g.length > budget) {
          full = true;
          break;
        }
        out += g;
        budget -= g.length;
      }
    }
  }
  out = out.replace(/\s+$/u, '');
  return `${out}${ellipsis}${open
    .reverse()
    .map((name) => `</${name}>`)
    .join('')}`;
}

function escapeChar(c: string): string {
  return c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;';
}

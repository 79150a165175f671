/**
 * Visual approximations of chat posts for the dashboard. The Telegram caption is
 * Telegram HTML written by our templates from article text; it is re-built here from
 * tokens, keeping only Telegram's own tags with safe attributes, so whatever a
 * template or an article contains can never become live markup in the dashboard.
 */
import type { DiscordPayload } from '../../channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../../channels/telegram/telegram-payload.ts';

const TAGS: Record<string, string> = {
  b: 'b',
  strong: 'strong',
  i: 'i',
  em: 'em',
  u: 'u',
  ins: 'ins',
  s: 's',
  strike: 's',
  del: 'del',
  a: 'a',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-spoiler': 'span',
  span: 'span',
};

const TOKEN = /<(\/?)([A-Za-z][\w-]*)((?:\s[^<>]*)?)>|&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|lt|gt|amp|quot);|[<>&"']|\n/g;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** http(s) and tg: links only; anything else (javascript:, data:) is dropped. */
export function safeHref(href: string | undefined): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href);
    return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'tg:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

function decodeEntity(body: string): string {
  if (body === 'lt') return '<';
  if (body === 'gt') return '>';
  if (body === 'amp') return '&';
  if (body === 'quot') return '"';
  const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
  return Number.isInteger(code) && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\uFFFD';
}

function hrefOf(attrs: string): string | undefined {
  const m = /\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i.exec(attrs);
  const raw = m?.[1] ?? m?.[2] ?? m?.[3];
  // Entities inside the attribute (&amp; in query strings) are decoded before checking.
  return raw === undefined ? undefined : safeHref(raw.replace(/&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|lt|gt|amp|quot);/g, (_, e: string) => decodeEntity(e)));
}

/** Telegram HTML → safe HTML: text escaped, only Telegram's tags kept (attributes rebuilt), tags balanced. */
export function telegramHtmlToSafeHtml(html: string): string {
  let out = '';
  const open: string[] = [];
  let last = 0;
  for (const m of html.matchAll(TOKEN)) {
    out += escapeHtml(html.slice(last, m.index));
    last = m.index + m[0].length;
    const [raw, slash, name, attrs, entity] = m;
    if (name !== undefined) {
      const tag = TAGS[name.toLowerCase()];
      if (tag === undefined) {
        out += escapeHtml(raw);
      } else if (slash) {
        const i = open.lastIndexOf(tag);
        if (i >= 0) {
          // Close what was left open inside it too, so the output stays well nested.
          for (const t of open.splice(i).reverse()) out += `</${t}>`;
        }
      } else if (tag === 'a') {
        const href = hrefOf(attrs ?? '');
        out += href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">` : '<a>';
        open.push('a');
      } else if (tag === 'span') {
        out += '<span class="tg-spoiler">';
        open.push('span');
      } else {
        out += `<${tag}>`;
        open.push(tag);
      }
    } else if (entity !== undefined) {
      out += escapeHtml(decodeEntity(entity));
    } else if (raw === '\n') {
      out += '<br>';
    } else {
      out += escapeHtml(raw);
    }
  }
  out += escapeHtml(html.slice(last));
  for (const t of open.reverse()) out += `</${t}>`;
  return out;
}

export interface TelegramView {
  photo?: string;
  /** Safe HTML approximation of the caption or text. */
  html: string;
  linkPreview?: string;
}

export function telegramView(p: TelegramPayload): TelegramView {
  return {
    photo: safeHref(p.photo?.url),
    html: telegramHtmlToSafeHtml(p.photo ? p.photo.caption : p.text),
    linkPreview: p.photo || !p.linkPreview ? undefined : safeHref(p.linkPreviewUrl),
  };
}

export interface DiscordView {
  content?: string;
  color: string;
  title: string;
  url?: string;
  description?: string;
  image?: string;
  author?: string;
  footer?: string;
  timestamp?: string;
  fields: Array<{ name: string; value: string; inline: boolean }>;
}

/** Discord shows `\<` as `<`: drop markdown escapes so the approximation reads like the client. */
function unescapeMarkdown(s: string): string;
function unescapeMarkdown(s: string | undefined): string | undefined;
function unescapeMarkdown(s: string | undefined): string | undefined {
  return s?.replace(/\\([\\`*_~|<>#[\]()@:.!-])/g, '$1');
}

/** Plain data for the template (escaped there); the colour is rebuilt from the number, so it is always a hex colour. */
export function discordView(p: DiscordPayload): DiscordView {
  const [e] = p.embeds;
  return {
    content: unescapeMarkdown(p.content),
    color: `#${((e.color ?? 0x5865f2) & 0xffffff).toString(16).padStart(6, '0')}`,
    title: unescapeMarkdown(e.title),
    url: safeHref(e.url),
    description: unescapeMarkdown(e.description),
    image: safeHref(e.image?.url),
    author: unescapeMarkdown(e.author?.name),
    footer: unescapeMarkdown(e.footer?.text),
    timestamp: e.timestamp,
    fields: (e.fields ?? []).map((f) => ({ name: unescapeMarkdown(f.name), value: unescapeMarkdown(f.value), inline: f.inline === true })),
  };
}

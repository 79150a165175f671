import { Lexer, type Token, type Tokens } from 'marked';
import { collapseWhitespace, truncateGraphemes } from '../util/text.ts';

export const SUMMARY_MAX_GRAPHEMES = 200;

/** Front matter `summary`/`description`: inline markdown removed, whitespace collapsed, cut to the limit. */
export function summaryFromText(text: string, max = SUMMARY_MAX_GRAPHEMES): string {
  return PLAIN_INLINE.test(text) ? truncateGraphemes(tidy(text), max) : summaryFromMarkdownText(text, max);
}

/**
 * Text with none of the characters that start inline markdown (emphasis, code, links, images,
 * HTML, escapes, entities, strikethrough, footnote markers): marked's inline lexer gives it back
 * as it is, up to whitespace (a hard break is a newline), which `tidy` collapses anyway. Most
 * front matter summaries are such text: not lexing them took a 2,000-page cold scan from 988 to
 * 940 ms. (Autolinked URLs and addresses keep their text.) test/content/summary.test.ts checks
 * this against the lexer.
 */
const PLAIN_INLINE = /^[^\\`*_[\]<>!~&]*$/;

/** summaryFromText always through marked's inline lexer. */
export function summaryFromMarkdownText(text: string, max = SUMMARY_MAX_GRAPHEMES): string {
  return truncateGraphemes(tidy(inlineText(Lexer.lexInline(stripFootnoteMarkers(text)))), max);
}

/**
 * Summary from the body: the text before Hugo's `<!--more-->` when present, else
 * the first paragraph (a leading blockquote's paragraph counts), as plain text.
 * Headings, images, code, tables, raw HTML blocks and footnotes are skipped.
 */
export function summaryFromBody(markdown: string, max = SUMMARY_MAX_GRAPHEMES): string {
  const source = stripFootnoteMarkers(stripFootnoteDefinitions(stripShortcodes(markdown)));
  const more = /<!--\s*more\s*-->/i.exec(source);
  if (more) return truncateGraphemes(tidy(allParagraphs(new Lexer().lex(source.slice(0, more.index))).join(' ')), max);
  const text = firstParagraphOfPrefix(source) ?? firstParagraphOrItem(new Lexer().lex(source));
  return truncateGraphemes(tidy(text), max);
}

function firstParagraphOrItem(tokens: Token[]): string {
  return firstParagraph(tokens) ?? firstListItem(tokens) ?? '';
}

// A link reference definition (`[id]: url`) anywhere changes how `[text][id]` earlier reads.
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:/m;

/**
 * The first paragraph from the start of a long body only: lexing a 30 KB article to read
 * its first lines cost more than everything else in a scan. A paragraph ends at the first
 * blank line or block that interrupts it, so once the lexed prefix (cut at a blank line)
 * holds a top-level paragraph followed by another block, nothing later can change it,
 * except a link reference definition, so bodies with one are lexed whole. Undefined:
 * read the whole body (no paragraph yet, or the prefix is the body).
 */
function firstParagraphOfPrefix(source: string): string | undefined {
  if (source.length < 4096 || REFERENCE_DEFINITION.test(source)) return undefined;
  for (let size = 512; size < source.length / 2; size *= 4) {
    const cut = source.indexOf('\n\n', size);
    if (cut < 0) return undefined;
    const tokens = new Lexer().lex(source.slice(0, cut + 1));
    const found = firstClosedParagraph(tokens);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** As firstParagraph, but only a paragraph that another token follows at the same level. */
function firstClosedParagraph(tokens: Token[]): string | undefined {
  return firstParagraph(tokens.slice(0, -1));
}

/**
 * Summary of an HTML content file: the text before `<!--more-->`, else of the first
 * paragraph (`<p>`), else of the whole body; tags, scripts and styles removed.
 */
export function summaryFromHtml(html: string, max = SUMMARY_MAX_GRAPHEMES): string {
  const source = stripShortcodes(html).replace(/<(script|style|template)\b[\s\S]*?<\/\1\s*>/gi, '').replace(/<!--(?!\s*more\s*-->)[\s\S]*?-->/g, '');
  const more = /<!--\s*more\s*-->/i.exec(source);
  const firstParagraph = /<p\b[^>]*>([\s\S]*?)(?:<\/p\s*>|(?=<p\b)|$)/i.exec(source);
  const part = more ? source.slice(0, more.index) : firstParagraph && textOf(firstParagraph[1] as string).trim() !== '' ? (firstParagraph[1] as string) : source;
  return truncateGraphemes(tidy(textOf(part)), max);
}

function textOf(html: string): string {
  return decodeEntities(html.replace(/<br\s*\/?>/gi, '\n').replace(/<\/?(p|div|li|h[1-6]|tr|blockquote|section|article)\b[^>]*>/gi, ' ').replace(/<[^>]*>/g, ''));
}

// Hugo shortcodes ({{< figure … >}}, {{% note %}}) are template calls, not prose.
function stripShortcodes(md: string): string {
  return md.replace(/\{\{[<%][\s\S]*?[>%]\}\}/g, '');
}

// `[^1]: text` plus its indented continuation lines.
function stripFootnoteDefinitions(md: string): string {
  return md.replace(/^ {0,3}\[\^[^\]\n]+\]:.*(?:\n(?:[ \t]+\S.*|[ \t]*(?=\n[ \t]+\S)))*/gm, '');
}

function stripFootnoteMarkers(md: string): string {
  return md.replace(/\[\^[^\]\s]+\]/g, '');
}

function firstParagraph(tokens: Token[]): string | undefined {
  for (const token of tokens) {
    if (token.type === 'paragraph') {
      const text = inlineText((token as Tokens.Paragraph).tokens);
      if (text.trim() !== '') return text;
    } else if (token.type === 'blockquote') {
      const text = firstParagraph((token as Tokens.Blockquote).tokens);
      if (text !== undefined) return text;
    }
  }
  return undefined;
}

/** For bodies that are only a list, the first item is better than nothing. */
function firstListItem(tokens: Token[]): string | undefined {
  for (const token of tokens) {
    if (token.type !== 'list') continue;
    for (const item of (token as Tokens.List).items) {
      const text = blockText(item.tokens);
      if (text.trim() !== '') return text;
    }
  }
  return undefined;
}

function allParagraphs(tokens: Token[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    if (token.type === 'paragraph') out.push(inlineText((token as Tokens.Paragraph).tokens));
    else if (token.type === 'blockquote') out.push(...allParagraphs((token as Tokens.Blockquote).tokens));
    else if (token.type === 'list') out.push(...(token as Tokens.List).items.map((i) => blockText(i.tokens)));
  }
  return out.filter((t) => t.trim() !== '');
}

function blockText(tokens: Token[]): string {
  return tokens
    .map((t) => {
      if (t.type === 'text' || t.type === 'paragraph') return 'tokens' in t && t.tokens ? inlineText(t.tokens) : decodeEntities(t.text ?? '');
      if (t.type === 'list') return (t as Tokens.List).items.map((i) => blockText(i.tokens)).join(' ');
      return '';
    })
    .join(' ');
}

function inlineText(tokens: Token[] | undefined): string {
  if (tokens === undefined) return '';
  let out = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        out += 'tokens' in t && t.tokens ? inlineText(t.tokens) : decodeEntities((t as Tokens.Text).text);
        break;
      case 'escape':
      case 'codespan':
        out += (t as Tokens.Escape | Tokens.Codespan).text;
        break;
      case 'strong':
      case 'em':
      case 'del':
      case 'link':
        out += inlineText((t as Tokens.Strong | Tokens.Em | Tokens.Del | Tokens.Link).tokens);
        break;
      case 'br':
        out += '\n';
        break;
      case 'html':
        // Tags go, the text between them stays; <br> still separates words.
        if (/^<br\s*\/?>$/i.test((t as Tokens.HTML).text.trim())) out += '\n';
        break;
      default:
        // images, checkboxes and extension tokens carry no prose
        break;
    }
  }
  return out;
}

const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3000-\\u303F\\uFF00-\\uFFEF';
// A line break between two CJK characters is source wrapping, not a space.
const CJK_LINE_BREAK = new RegExp(`(?<=[${CJK}])[ \\t]*\\r?\\n[ \\t]*(?=[${CJK}])`, 'gu');

function tidy(text: string): string {
  return collapseWhitespace(text.replace(CJK_LINE_BREAK, ''));
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™', middot: '·',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[\da-f]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      // Lone surrogates and out-of-range code points would poison the summary.
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) return '\ufffd';
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

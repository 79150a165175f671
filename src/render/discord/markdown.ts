/**
 * Discord renders markdown in message content, embed titles, descriptions and
 * field values. Article text is plain, so its `*`, `_`, `[x](y)`, `<@123>` ...
 * must show as typed. Discord's parser treats `\` before any ASCII punctuation as
 * an escape, so a backslash is always safe. (Pinging is stopped separately, by
 * allowed_mentions; this is about how the text looks.)
 */
const INLINE = /[\\*_~`|[\]<>]/g;
// Headings, -# subtext and list items are only special at a line start (quotes: `>` above).
const LINE_START = /^(\s*)(#{1,3}\s|-#\s|[-+]\s)/gm;
// `\1.` would show the backslash (digits are not escapable): escape the dot instead.
const ORDERED_ITEM = /^(\s*\d+)\.(\s)/gm;

export function escapeMarkdown(text: string): string {
  return text
    .replace(INLINE, '\\$&')
    .replace(LINE_START, (_m, space: string, marker: string) => `${space}\\${marker}`)
    .replace(ORDERED_ITEM, '$1\\.$2');
}

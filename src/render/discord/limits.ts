import { truncateUtf16 } from '../../util/text.ts';

/**
 * Discord's documented message and embed limits. Discord counts characters; we
 * count UTF-16 units (String#length), which is never fewer, so a text that fits
 * here fits there whatever Discord's exact counting, and cuts still fall on
 * grapheme boundaries.
 */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  /** Sum of title, description, field names and values, footer and author name. */
  embedTotal: 6000,
  username: 80,
  url: 2048,
} as const;

/** Length as counted against the limits above. */
export function discordLength(text: string): number {
  return text.length;
}

/**
 * Cuts `text` to `max` with `…`, on a grapheme boundary. A cut right after a
 * markdown escape would leave a lone `\` that escapes the ellipsis, so it goes too.
 */
export function fitText(text: string, max: number): string {
  const cut = truncateUtf16(text, Math.max(0, max));
  if (cut === text || !cut.endsWith('…')) return cut;
  const head = cut.slice(0, -1);
  const backslashes = /\\+$/.exec(head)?.[0].length ?? 0;
  return backslashes % 2 === 1 ? `${head.slice(0, -1)}…` : cut;
}

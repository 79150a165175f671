/**
 * Grapheme-safe text helpers shared by content/ (summaries) and the channels
 * (Telegram counts UTF-16 units, Discord and e-mail count characters).
 */

// Made on first use: each costs ~10 ms of ICU loading, which a command that shortens no text
// (an unchanged rescan, `status`) should not pay when it imports this module.
let graphemes: Intl.Segmenter | undefined;
let words: Intl.Segmenter | undefined;
const graphemeSegmenter = {
  segment(text: string) {
    graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    return graphemes.segment(text);
  },
};
const wordSegmenter = {
  segment(text: string) {
    words ??= new Intl.Segmenter(undefined, { granularity: 'word' });
    return words.segment(text);
  },
};

/**
 * Splits into user-perceived characters: an emoji ZWJ sequence or a flag is one
 * entry. Meant for short strings; truncate* never segments past the limit.
 */
export function splitGraphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

export function countGraphemes(text: string): number {
  // No segmenter where each character is a grapheme (truncate counts its "…" at every call): a
  // thread's first segmenting costs ~15 ms of ICU set-up, paid by each thread of a cold scan.
  if (ONE_UNIT_GRAPHEMES.test(text)) return text.length;
  let n = 0;
  for (const _ of graphemeSegmenter.segment(text)) n++;
  return n;
}

/** Trims and turns every run of whitespace (including newlines and U+3000) into one space. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * Shortens `text` to at most `maxGraphemes` user-perceived characters, ellipsis
 * included. Returns `text` unchanged when it already fits.
 */
export function truncateGraphemes(text: string, maxGraphemes: number, ellipsis = '…'): string {
  return truncate(text, maxGraphemes, ellipsis, 'grapheme');
}

/**
 * Shortens `text` to at most `maxUnits` UTF-16 code units (String#length),
 * ellipsis included, without splitting a grapheme or a surrogate pair.
 */
export function truncateUtf16(text: string, maxUnits: number, ellipsis = '…'): string {
  return truncate(text, maxUnits, ellipsis, 'utf16');
}

type Unit = 'grapheme' | 'utf16';

// Punctuation after which a CJK sentence or clause can end; Latin punctuation is
// only a break when followed by a space, which the whitespace rule already covers
// (so "3.14" is never cut after the dot). Written as escapes: 、。，；：！？」』】》〉）…～
// (one non-ASCII character would make the whole CLI bundle a two-byte string, read at every start).
const CJK_BREAK_AFTER = /^[\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u300d\u300f\u3011\u300b\u3009\uff09\u2026\uff5e]$/u;
// Characters that look wrong right before an ellipsis: whitespace and ,，、;；:：。.·-–—
const TRAILING_BEFORE_ELLIPSIS = /[\s,\uff0c\u3001;\uff1b:\uff1a\u3002.\u00b7\-\u2013\u2014]+$/u;

function truncate(text: string, max: number, ellipsis: string, unit: Unit): string {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`truncate: limit must be a non-negative integer, got ${max}`);
  // A grapheme is at least one UTF-16 unit, so this settles most calls without segmenting.
  if (text.length <= max) return text;
  const size = (g: string) => (unit === 'grapheme' ? 1 : g.length);

  // Only graphemes up to the limit (plus context) matter: enough of them always
  // cover `max` units, since a grapheme is at least one unit.
  const { parts, complete } = leadingGraphemes(text, max + CONTEXT_GRAPHEMES + 1);
  let total = 0;
  for (const g of parts) total += size(g);
  if (complete && total <= max) return text;

  const ellipsisSize = unit === 'grapheme' ? countGraphemes(ellipsis) : ellipsis.length;
  const budget = max - ellipsisSize;
  if (budget <= 0) return hardCut(splitGraphemes(ellipsis), max, size);

  let used = 0;
  let fit = 0;
  while (fit < parts.length && used + size(parts[fit] as string) <= budget) {
    used += size(parts[fit] as string);
    fit++;
  }
  const cut = chooseCut(parts, fit);
  let head = parts.slice(0, cut).join('').replace(TRAILING_BEFORE_ELLIPSIS, '');
  // Text made only of spaces/punctuation near the start: keep the hard cut instead of nothing.
  if (head === '') head = parts.slice(0, fit).join('');
  return head + ellipsis;
}

/**
 * Characters that are always a grapheme of their own, whatever comes before or after them
 * (Unicode's extended grapheme cluster rules, UAX #29): tab, newline (not CR, which pairs with
 * LF), ASCII, Latin-1 and Latin Extended, spacing modifiers, general punctuation, CJK symbols
 * and punctuation (not the tone marks U+302A-302F), kana (not the combining voiced marks
 * U+3099-309A), CJK ideographs and fullwidth forms (not U+FF9E-FF9F, which extend). No
 * combining marks, joiners, Hangul jamo, surrogates (emoji, regional indicators) or Indic scripts.
 */
const ONE_UNIT_GRAPHEMES = /^[\t\n\u0020-\u007e\u00a0-\u02ff\u2010-\u2027\u2030-\u205e\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff9d]*$/;

/**
 * The first `limit` graphemes of `text`, segmenting a growing prefix: V8's
 * segmenter costs time proportional to the whole input (worse than linear on
 * long strings), and a 5 MB article only needs its first few hundred graphemes.
 */
export function leadingGraphemes(text: string, limit: number): { parts: string[]; complete: boolean } {
  // Where every character up to the limit (and the one after, which could extend the last) is
  // a grapheme of its own, the graphemes are the characters: no segmenter (a cold scan of
  // 2,000 articles spent ~40 ms segmenting summaries).
  const head = text.length > limit ? text.slice(0, limit + 1) : text;
  if (ONE_UNIT_GRAPHEMES.test(head)) return text.length > limit ? { parts: head.slice(0, limit).split(''), complete: false } : { parts: text.split(''), complete: true };
  let window = Math.max(64, limit * 4);
  for (;;) {
    const whole = window >= text.length;
    const parts: string[] = [];
    for (const { segment } of graphemeSegmenter.segment(whole ? text : text.slice(0, window))) {
      parts.push(segment);
      if (parts.length > limit) break;
    }
    // With a grapheme starting after them, the first `limit` are complete even
    // if the prefix cut the last one short.
    if (parts.length > limit) return { parts: parts.slice(0, limit), complete: false };
    if (whole) return { parts, complete: true };
    window *= 2;
  }
}

/** Graphemes read past the limit so word segmentation sees how the cut word continues. */
const CONTEXT_GRAPHEMES = 8;

function hardCut(parts: string[], max: number, size: (g: string) => number): string {
  let used = 0;
  let out = '';
  for (const g of parts) {
    if (used + size(g) > max) break;
    used += size(g);
    out += g;
  }
  return out;
}

/**
 * Picks the grapheme index to cut at, at most `fit`. Prefers, within a short
 * window before the limit, a cut before whitespace or after CJK punctuation, then
 * a word boundary (Intl.Segmenter knows CJK words), then the hard limit.
 */
function chooseCut(parts: string[], fit: number): number {
  const window = Math.min(30, Math.floor(fit / 4));
  const lowest = Math.max(1, fit - window);
  for (let i = fit; i >= lowest; i--) {
    const prev = parts[i - 1] as string;
    const next = parts[i];
    if (/\s/u.test(prev)) continue;
    if ((next !== undefined && /^\s/u.test(next)) || CJK_BREAK_AFTER.test(prev)) return i;
  }
  const boundaries = wordBoundaries(parts, fit);
  for (let i = fit; i >= lowest; i--) {
    if (boundaries.has(i)) return i;
  }
  return fit;
}

/** Word boundaries, as grapheme indexes, in the text up to a little past `fit`. */
function wordBoundaries(parts: string[], fit: number): Set<number> {
  // Segment a little past the limit so the boundary at `fit` is judged with context.
  const end = Math.min(parts.length, fit + CONTEXT_GRAPHEMES);
  let offset = 0;
  const indexByOffset = new Map<number, number>();
  for (let i = 0; i < end; i++) {
    indexByOffset.set(offset, i);
    offset += (parts[i] as string).length;
  }
  indexByOffset.set(offset, end);
  const result = new Set<number>();
  for (const seg of wordSegmenter.segment(parts.slice(0, end).join(''))) {
    // Only boundaries that are also grapheme boundaries are usable.
    const idx = indexByOffset.get(seg.index);
    if (idx !== undefined) result.add(idx);
  }
  return result;
}

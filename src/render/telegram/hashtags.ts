/**
 * Article topics → Telegram hashtags. Telegram links `#` followed by letters, digits
 * and `_`, so every other run of characters (spaces, punctuation, emoji) becomes one
 * `_`: "Open Source" → #Open_Source, "AI千兆工厂" stays #AI千兆工厂.
 */

// Marks (\p{M}) are kept so scripts like Devanagari or Thai stay one word.
const NOT_WORD = /[^\p{L}\p{M}\p{N}]+/gu;
const DIGITS_ONLY = /^\p{N}+$/u;

/**
 * The hashtag for one topic, with its `#`, or undefined when nothing usable is left.
 * A topic made only of digits (e.g. "2024") is dropped: Telegram does not link `#2024`,
 * and an invented `#_2024` is not a tag anyone searches for.
 */
export function topicHashtag(topic: string): string | undefined {
  const body = topic
    .normalize('NFC')
    .replace(NOT_WORD, '_')
    .replace(/^_+|_+$/g, '');
  if (body === '' || DIGITS_ONLY.test(body.replaceAll('_', ''))) return undefined;
  return `#${body}`;
}

/** Hashtags for a list of topics, in order, without duplicates (compared case-insensitively, as Telegram searches them). */
export function topicHashtags(topics: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const topic of topics) {
    const tag = topicHashtag(topic);
    if (tag === undefined) continue;
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
  }
  return out;
}

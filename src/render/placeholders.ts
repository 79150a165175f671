/**
 * Per-recipient placeholders left in rendered emails and filled in by
 * prepared-message.ts for each recipient. `%%HERALD_…%%` survives Liquid escaping,
 * MJML, html-to-text and quoted-printable unchanged (only ASCII letters, `_`, `%`),
 * and cannot come from content: render functions defuse the token in article and
 * site text, and real URLs are percent-encoded (a literal `%%` is invalid there).
 */
export const PLACEHOLDERS = {
  /** The full greeting line: "Hi Ada," or "Hello," when the name is unknown. */
  greeting: '%%HERALD_GREETING%%',
  /** Just the recipient's name ('' when unknown), for custom templates. */
  name: '%%HERALD_NAME%%',
  /** The recipient's one-click unsubscribe URL. */
  unsubscribeUrl: '%%HERALD_UNSUBSCRIBE_URL%%',
  /** The recipient's preferences page (topics, name, pause). */
  preferencesUrl: '%%HERALD_PREFERENCES_URL%%',
} as const;

export type PlaceholderKey = keyof typeof PLACEHOLDERS;

const TOKEN_PREFIX = '%%HERALD_';
// A word joiner keeps the text looking the same while breaking the token.
const DEFUSED_PREFIX = '%%\u2060HERALD_';

/** Makes sure a string from content can never be mistaken for a placeholder. */
export function defusePlaceholders(s: string): string {
  return s.includes(TOKEN_PREFIX) ? s.replaceAll(TOKEN_PREFIX, DEFUSED_PREFIX) : s;
}

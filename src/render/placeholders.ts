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

/** Every placeholder token; group 1 is its name (`UNSUBSCRIBE_URL`). */
export const PLACEHOLDER_RE = /%%HERALD_(GREETING|NAME|UNSUBSCRIBE_URL|PREFERENCES_URL)%%/g;

const KEY_BY_TOKEN = new Map<string, PlaceholderKey>((Object.entries(PLACEHOLDERS) as [PlaceholderKey, string][]).map(([key, token]) => [token, key]));

/** The key of a placeholder token (`%%HERALD_NAME%%` → 'name'). */
export function placeholderKey(token: string): PlaceholderKey | undefined {
  return KEY_BY_TOKEN.get(token);
}

/**
 * Fills every placeholder of `text` in one pass, with a function replacer: a value is
 * inserted as it is (a name holding `$&` or `$'` is not a replacement pattern) and is
 * never scanned again (a name that reads `%%HERALD_UNSUBSCRIBE_URL%%` stays those words).
 */
export function fillPlaceholders(text: string, values: Record<PlaceholderKey, string>, encode: (s: string) => string = (s) => s): string {
  return text.replace(PLACEHOLDER_RE, (token) => {
    const key = placeholderKey(token);
    return key === undefined ? token : encode(values[key]);
  });
}

/** The greeting line for a recipient: `named` with `{name}` put in as typed, or `anonymous`. */
export function greetingLine(forms: { named: string; anonymous: string }, name: string | undefined): string {
  const n = (name ?? '').trim();
  return n === '' ? forms.anonymous : forms.named.replaceAll('{name}', () => n);
}

const TOKEN_PREFIX = '%%HERALD_';
// A word joiner keeps the text looking the same while breaking the token.
const DEFUSED_PREFIX = '%%\u2060HERALD_';

/** Makes sure a string from content can never be mistaken for a placeholder. */
export function defusePlaceholders(s: string): string {
  return s.includes(TOKEN_PREFIX) ? s.replaceAll(TOKEN_PREFIX, DEFUSED_PREFIX) : s;
}

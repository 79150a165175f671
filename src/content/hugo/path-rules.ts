/**
 * Hugo's rules for turning text into URL paths (helpers/path.go and helpers/url.go in
 * Hugo 0.111): UnicodeSanitize, MakePath, MakePathSanitized and URLize. Ported rune by
 * rune, because these decide every link: `Hugo's Lookup Order` → `hugos-lookup-order`,
 * `中文：标题，好！` → `中文标题好`, `Hugo 0.24` → `hugo-0.24`.
 */

export interface PathRules {
  /** Hugo's `disablePathToLower`: keep the case of paths. */
  disablePathToLower: boolean;
  /** Hugo's `removePathAccents`: `Ünïcödé` → `Unicode`. */
  removePathAccents: boolean;
}

export const DEFAULT_PATH_RULES: PathRules = { disablePathToLower: false, removePathAccents: false };

const ALLOWED_PUNCTUATION = new Set(['.', '/', '\\', '_', '#', '+', '~', '-', '@']);
const LETTER_DIGIT_MARK = /^[\p{L}\p{Nd}\p{M}]$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;
const HEX = /^[0-9a-fA-F]$/;

/** Go's unicode.IsSpace: the Latin-1 spaces it lists, else the White_Space property. */
function isGoSpace(c: string): boolean {
  const cp = c.codePointAt(0) as number;
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return WHITE_SPACE.test(c);
}

/** Go's text.RemoveAccentsString: decompose, drop non-spacing marks, recompose. */
export function removeAccents(s: string): string {
  return s.normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC');
}

/**
 * Hugo's UnicodeSanitize: letters, digits (Nd), marks and `./\_#+~-@` stay, a `%` stays
 * when two hex digits follow, whitespace becomes one hyphen (never leading, never
 * doubled next to a hyphen), everything else (apostrophes, `：`, `，`, `!`, `(`) is dropped.
 */
export function unicodeSanitize(input: string, rules: PathRules = DEFAULT_PATH_RULES): string {
  const source = Array.from(rules.removePathAccents ? removeAccents(input) : input);
  let out = '';
  let prependHyphen = false;
  let wasHyphen = false;
  for (let i = 0; i < source.length; i++) {
    const r = source[i] as string;
    const allowed =
      ALLOWED_PUNCTUATION.has(r) ||
      LETTER_DIGIT_MARK.test(r) ||
      (r === '%' && i + 2 < source.length && HEX.test(source[i + 1] as string) && HEX.test(source[i + 2] as string));
    if (allowed) {
      wasHyphen = r === '-';
      if (prependHyphen) {
        if (!wasHyphen) out += '-';
        prependHyphen = false;
      }
      out += r;
    } else if (out.length > 0 && !wasHyphen && isGoSpace(r)) {
      prependHyphen = true;
    }
  }
  return out;
}

/** Go's strings.ToLower maps rune by rune (so `İ` → `i`, `Σ` → `σ`, unlike String#toLowerCase). */
export function goToLower(s: string): string {
  let out = '';
  for (const c of s) out += c === '\u0130' ? 'i' : c.toLowerCase();
  return out;
}

/** Hugo's MakePathSanitized: UnicodeSanitize, lower-cased unless disablePathToLower. */
export function makePathSanitized(s: string, rules: PathRules = DEFAULT_PATH_RULES): string {
  const path = unicodeSanitize(s, rules);
  return rules.disablePathToLower ? path : goToLower(path);
}

/**
 * Hugo's URLize as used by permalink tokens (`:title`, `:slug`, `:filename`). Hugo then
 * runs the string through Go's url.Parse/String, which only re-escapes; Herald escapes
 * once, when the final link is built.
 */
export function urlize(s: string, rules: PathRules = DEFAULT_PATH_RULES): string {
  return makePathSanitized(s, rules);
}

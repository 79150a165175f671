/**
 * A subscriber's name: one rule for every way a name comes in (the sign-up and preferences
 * forms, CSV import from the CLI or the dashboard, `herald subscribers add --name`).
 * Trimmed; at most NAME_MAX characters; no control characters (CR/LF, NUL, ESC, tab, …),
 * no line or paragraph separators and no bidi controls. The name goes into the To header
 * and the greeting of every email: a line break there makes every email to the reader fail.
 */
export const NAME_MAX = 100;

// Cc = C0, DEL and C1 controls; Zl/Zp = U+2028/U+2029; U+202A–202E and U+2066–2069 reorder how text is shown.
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

export type NameProblem = 'control' | 'length';

export type NameCheck = { ok: true; name: string | undefined } | { ok: false; problem: NameProblem };

/** The trimmed name (undefined when empty), or what is wrong with it. */
export function checkName(raw: string | undefined): NameCheck {
  const name = (raw ?? '').trim();
  if (FORBIDDEN.test(name)) return { ok: false, problem: 'control' };
  if ([...name].length > NAME_MAX) return { ok: false, problem: 'length' };
  return { ok: true, name: name === '' ? undefined : name };
}

/** Why a name was refused, for the CLI and import reports (English, like the logs). */
export function describeNameProblem(problem: NameProblem): string {
  return problem === 'control'
    ? 'contains a control character (line break, tab, NUL, ESC, …); names must be one line of text'
    : `is longer than ${NAME_MAX} characters`;
}

/**
 * The name to put in an email, or none. Names stored before this rule existed may break it;
 * such a reader is greeted without a name rather than never getting an email again.
 */
export function displayName(name: string | undefined): string | undefined {
  const c = checkName(name);
  return c.ok ? c.name : undefined;
}

/** A refused value shown in a report: escapes visible (`\r\n`), long ones cut. */
export function showValue(value: string, max = 60): string {
  const escaped = JSON.stringify(value).slice(1, -1);
  return [...escaped].length > max ? `${[...escaped].slice(0, max).join('')}…` : escaped;
}

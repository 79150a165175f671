/**
 * Secrets (SMTP passwords, bot tokens, HERALD_SECRET) are registered when the
 * config is loaded; every log line and every error shown to a person passes
 * through `redact`, so a secret that slips into a provider's error message
 * (a Telegram token is part of the request URL) is still never shown.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // Also the percent-encoded form, as it appears inside URLs.
  const enc = encodeURIComponent(value);
  if (enc !== value) secrets.add(enc);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  // Credentials in any URL (scheme://user:pass@host) even when not registered.
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi, '$1$2:***@');
}

/** Registers the password (and user:password) of a connection URL. */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    if (u.password) {
      registerSecret(decodeURIComponent(u.password));
      registerSecret(u.password);
    }
  } catch {
    /* not a URL: the validator reports it */
  }
}

export function errorMessage(e: unknown): string {
  return redact(e instanceof Error ? e.message : String(e));
}

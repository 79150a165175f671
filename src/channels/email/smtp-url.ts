/**
 * Parses `smtp[s]://user:pass@host:port`. Credentials are percent-decoded, and every
 * form in which they could leak into a message (decoded, encoded, `user:pass`) is
 * listed in `secrets` so errors can be scrubbed.
 */
export interface SmtpTarget {
  /** true for smtps:// (TLS from the first byte); smtp:// upgrades with STARTTLS when offered. */
  secure: boolean;
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** "host:port", safe to show. */
  display: string;
  secrets: string[];
}

export function parseSmtpUrl(channelId: string, url: string): SmtpTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Never echo the URL: it may hold the password.
    throw new Error(`${channelId}: the smtp setting is not a valid URL (expected smtp://user:password@host:587 or smtps://…:465)`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new Error(`${channelId}: the smtp URL must start with smtp:// or smtps://, not ${u.protocol}//`);
  }
  const secure = u.protocol === 'smtps:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`${channelId}: the smtp URL has no host`);
  // Submission (587) rather than relay (25) is what a newsletter talks to.
  const port = u.port === '' ? (secure ? 465 : 587) : Number(u.port);
  const user = u.username === '' ? undefined : safeDecode(u.username);
  const pass = u.password === '' ? undefined : safeDecode(u.password);
  const secrets = new Set<string>();
  for (const s of [pass, u.password, user !== undefined && pass !== undefined ? `${user}:${pass}` : undefined, u.password ? `${u.username}:${u.password}` : undefined]) {
    if (s) secrets.add(s);
  }
  return {
    secure,
    host,
    port,
    ...(user === undefined ? {} : { user }),
    ...(pass === undefined ? {} : { pass }),
    display: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    secrets: [...secrets].sort((a, b) => b.length - a.length),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces every secret with *** (longest first, so user:pass goes before pass). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/**
 * VERP: every email's envelope sender is `<local>+<token>@<domain>` (from bounces.returnPath),
 * so a bounce, sent back to that address, names the email it is about. The token is the
 * delivery id (or, for confirmation emails, the subscriber id) with an HMAC of it under
 * HERALD_SECRET: a bounce cannot be forged for another address by guessing ids.
 *
 * Tokens are lower-case letters and digits (some servers lower-case local parts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type VerpRef = { kind: 'delivery'; id: number } | { kind: 'subscriber'; id: number };

const MAC_CHARS = 16;

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(`herald-verp:${body}`).digest('hex').slice(0, MAC_CHARS);
}

function split(returnPath: string): { local: string; domain: string } {
  const at = returnPath.lastIndexOf('@');
  return { local: returnPath.slice(0, at), domain: returnPath.slice(at + 1) };
}

/** bounces@example.com + delivery 42 → bounces+d42-<mac>@example.com */
export function verpAddress(returnPath: string, secret: string, ref: VerpRef): string {
  const { local, domain } = split(returnPath);
  const body = `${ref.kind === 'delivery' ? 'd' : 's'}${ref.id}`;
  return `${local}+${body}-${mac(secret, body)}@${domain}`;
}

export type VerpMatch = { ok: true; ref: VerpRef } | { ok: false; reason: string };

/**
 * What an address says: undefined when it is not a VERP address of this return path;
 * `ok: false` when it looks like one but its token does not verify (forged or mangled).
 */
export function readVerp(address: string, returnPath: string, secret: string): VerpMatch | undefined {
  const { local, domain } = split(returnPath);
  const a = address.trim().replace(/^<|>$/g, '');
  const at = a.lastIndexOf('@');
  if (at < 0 || a.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return undefined;
  const l = a.slice(0, at);
  if (!l.toLowerCase().startsWith(`${local.toLowerCase()}+`)) return undefined;
  const token = l.slice(local.length + 1).toLowerCase();
  const m = /^([ds])(\d{1,15})-([0-9a-f]+)$/.exec(token);
  if (!m) return { ok: false, reason: `VERP token "${token.slice(0, 40)}" is malformed` };
  const body = `${m[1]}${m[2]}`;
  const want = Buffer.from(mac(secret, body));
  const got = Buffer.from(m[3] as string);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: `VERP token "${token.slice(0, 40)}" has a wrong signature (forged?)` };
  const id = Number(m[2]);
  return { ok: true, ref: m[1] === 'd' ? { kind: 'delivery', id } : { kind: 'subscriber', id } };
}

/** The envelope sender (MAIL FROM) of an email: the VERP address when bounces.returnPath is set, else the From address. */
export function envelopeSender(returnPath: string | undefined, secret: string, ref: VerpRef, fallback: string): string {
  return returnPath ? verpAddress(returnPath, secret, ref) : fallback;
}

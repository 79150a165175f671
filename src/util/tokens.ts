/**
 * Signed, opaque tokens for links in emails (unsubscribe, later confirm and preferences).
 * A token carries the subscriber's random public id, never the address, and an HMAC-SHA256
 * over purpose + payload with HERALD_SECRET; verification is constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'unsubscribe' | 'confirm' | 'preferences';

function mac(secret: string, purpose: TokenPurpose, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${purpose}\0${payload}`).digest().subarray(0, 18);
}

export function signToken(secret: string, purpose: TokenPurpose, payload: string): string {
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(secret, purpose, payload).toString('base64url')}`;
}

/**
 * The bytes of a base64url string, only when it is exactly what Buffer#toString('base64url')
 * writes for them. Node's decoder is lenient: it skips characters outside the alphabet and
 * ignores the unused low bits of the last character, so 16 spellings of a 22-character
 * payload decode alike. A token has one spelling; every other one is refused.
 */
export function decodeCanonicalBase64url(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.toString('base64url') === s ? bytes : undefined;
}

/** The payload when the token is genuine for this purpose, else undefined. */
export function verifyToken(secret: string, purpose: TokenPurpose, token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const payloadBytes = decodeCanonicalBase64url(token.slice(0, dot));
  const given = decodeCanonicalBase64url(token.slice(dot + 1));
  if (!payloadBytes || !given) return undefined;
  const payload = payloadBytes.toString('utf8');
  // A payload that is not valid UTF-8 would not re-encode to these bytes: not one of ours.
  if (!Buffer.from(payload, 'utf8').equals(payloadBytes)) return undefined;
  const expected = mac(secret, purpose, payload);
  return given.length === expected.length && timingSafeEqual(given, expected) ? payload : undefined;
}

export function unsubscribeUrl(publicUrl: string, secret: string, subscriberPublicId: string): string {
  return new URL(`unsubscribe/${signToken(secret, 'unsubscribe', subscriberPublicId)}`, publicUrl).toString();
}

/** The reader's preferences page (topics, name, pause), linked from every email's footer. */
export function preferencesUrl(publicUrl: string, secret: string, subscriberPublicId: string): string {
  return new URL(`preferences/${signToken(secret, 'preferences', subscriberPublicId)}`, publicUrl).toString();
}

/**
 * The public id in `herald doctor`'s one-click check. Real ids are base64url and never hold a
 * '.', so this one can never be a subscriber: the route answers it like a real one-click
 * unsubscribe (200, no redirect) and changes nothing.
 */
export const DOCTOR_PUBLIC_ID = 'herald.doctor';

/**
 * The signed links of the reader pages. Confirm links expire (48 h) because they turn an
 * address into a subscriber; unsubscribe and preferences links do not, since they sit in
 * emails people read weeks later. Tokens never carry the address, only the random publicId.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeCanonicalBase64url, signToken, verifyToken } from '../../util/tokens.ts';

export const CONFIRM_TTL_MS = 48 * 3_600_000;

/** Shape of every token: base64url payload, '.', base64url MAC. Anything else is garbled. */
export const TOKEN_RE = /^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{16,64}$/;

/**
 * The confirmation link's token: the subscriber, when it expires and, for someone who
 * unsubscribed and asked to come back, the re-subscription request it answers (only that
 * request's link can bring them back).
 */
export function confirmToken(secret: string, publicId: string, now: Date, requestId?: number): string {
  const expires = Math.floor((now.getTime() + CONFIRM_TTL_MS) / 1000);
  return signToken(secret, 'confirm', requestId === undefined ? `${publicId}.${expires}` : `${publicId}.${expires}.${requestId}`);
}

export type ConfirmCheck = { kind: 'valid'; publicId: string; issuedAt: Date; requestId?: number } | { kind: 'expired' } | { kind: 'invalid' };

export function checkConfirmToken(secret: string, token: string, now: Date): ConfirmCheck {
  const payload = TOKEN_RE.test(token) ? verifyToken(secret, 'confirm', token) : undefined;
  const m = payload === undefined ? null : /^([A-Za-z0-9_-]+)\.(\d{1,12})(?:\.(\d{1,15}))?$/.exec(payload);
  if (!m?.[1] || !m[2]) return { kind: 'invalid' };
  const expiresMs = Number(m[2]) * 1000;
  if (expiresMs <= now.getTime()) return { kind: 'expired' };
  return { kind: 'valid', publicId: m[1], issuedAt: new Date(expiresMs - CONFIRM_TTL_MS), requestId: m[3] === undefined ? undefined : Number(m[3]) };
}

export function preferencesToken(secret: string, publicId: string): string {
  return signToken(secret, 'preferences', publicId);
}

export function unsubscribeToken(secret: string, publicId: string): string {
  return signToken(secret, 'unsubscribe', publicId);
}

/** The publicId of an unsubscribe token (exactly the links already sent in emails). */
export function readUnsubscribeToken(secret: string, token: string): string | undefined {
  return TOKEN_RE.test(token) ? verifyToken(secret, 'unsubscribe', token) : undefined;
}

/**
 * The publicId of a preferences token, or of an unsubscribe token: the unsubscribe page
 * offers "change your preferences instead", and every email already carries that token.
 */
export function readPreferencesToken(secret: string, token: string): string | undefined {
  if (!TOKEN_RE.test(token)) return undefined;
  return verifyToken(secret, 'preferences', token) ?? verifyToken(secret, 'unsubscribe', token);
}

function formMac(secret: string, token: string): Buffer {
  return createHmac('sha256', secret).update(`prefs-form\0${token}`).digest().subarray(0, 18);
}

/**
 * Hidden field of the preferences form. The URL token is the real authority; this only
 * proves the post came from our own form, not from a page elsewhere that learnt the URL.
 */
export function formKey(secret: string, token: string): string {
  return formMac(secret, token).toString('base64url');
}

export function checkFormKey(secret: string, token: string, given: string): boolean {
  const a = decodeCanonicalBase64url(given);
  const b = formMac(secret, token);
  return a !== undefined && a.length === b.length && timingSafeEqual(a, b);
}

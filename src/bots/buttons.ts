/**
 * Button data, signed and expiring: a button carries what it does (`verb`) and to what (`id`),
 * its expiry, and an HMAC-SHA256 (HERALD_SECRET) over all of it. A forged, altered or stale
 * button does nothing. Short enough for Telegram's 64-byte callback_data (Discord allows 100).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Approval cards: send now, hold, skip. Confirmations: ok (carry out the action), no (cancel it). */
export type ButtonVerb = 'as' | 'ah' | 'ak' | 'ok' | 'no';
const VERBS = new Set<string>(['as', 'ah', 'ak', 'ok', 'no']);

export const BUTTON_TTL_MS = 24 * 3_600_000;
const PREFIX = 'h1';

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`herald-button\0${payload}`).digest().subarray(0, 9).toString('base64url');
}

export function signButton(secret: string, verb: ButtonVerb, id: number, now: Date): string {
  const payload = `${PREFIX}.${verb}.${id.toString(36)}.${Math.floor((now.getTime() + BUTTON_TTL_MS) / 1000).toString(36)}`;
  return `${payload}.${mac(secret, payload)}`;
}

export type ButtonCheck = { ok: true; verb: ButtonVerb; id: number } | { ok: false; why: 'forged' | 'expired' };

export function verifyButton(secret: string, data: string, now: Date): ButtonCheck {
  const parts = data.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX) return { ok: false, why: 'forged' };
  const [, verb = '', id = '', exp = '', given = ''] = parts;
  const payload = parts.slice(0, 4).join('.');
  const expected = Buffer.from(mac(secret, payload));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected) || !VERBS.has(verb)) return { ok: false, why: 'forged' };
  const expiresAt = Number.parseInt(exp, 36) * 1000;
  if (!Number.isFinite(expiresAt) || expiresAt <= now.getTime()) return { ok: false, why: 'expired' };
  const n = Number.parseInt(id, 36);
  if (!Number.isSafeInteger(n) || n <= 0) return { ok: false, why: 'forged' };
  return { ok: true, verb: verb as ButtonVerb, id: n };
}

/**
 * Discord signs every interaction with the application's Ed25519 key: the signature
 * (X-Signature-Ed25519, hex) covers X-Signature-Timestamp followed by the raw body.
 * node:crypto verifies Ed25519 with the raw 32-byte public key given as a JWK.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

export function discordPublicKey(hex: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

/** Requests older (or newer) than this are refused, so a captured one cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;

export function verifyInteraction(
  key: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowMs: number = Date.now(),
): { ok: true } | { ok: false; why: string } {
  if (!signature || !timestamp) return { ok: false, why: 'no signature headers' };
  if (!/^[0-9a-f]{128}$/i.test(signature)) return { ok: false, why: 'malformed signature' };
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(nowMs - seconds * 1000) > MAX_SKEW_MS) return { ok: false, why: 'stale timestamp' };
  const good = verify(null, Buffer.from(timestamp + body, 'utf8'), key, Buffer.from(signature, 'hex'));
  return good ? { ok: true } : { ok: false, why: 'bad signature' };
}

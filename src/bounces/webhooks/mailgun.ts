/**
 * Mailgun: every webhook carries `signature: { timestamp, token, signature }`, the signature
 * being HMAC-SHA256 of timestamp + token under the webhook signing key. Events `failed`
 * (severity permanent / temporary), `complained` and `unsubscribed`.
 * https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#securing-webhooks
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { enhancedCode } from '../classify.ts';
import { bracketed, json, str, type WebhookItem, WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './types.ts';

/** A signed call older (or newer) than this is refused: a captured call cannot be replayed later. */
export const MAILGUN_MAX_AGE_MS = 60 * 60_000;

export function mailgunItems(req: WebhookRequest, signingKey: string): WebhookItem[] {
  const p = json(req.body, true) as { signature?: Record<string, unknown>; 'event-data'?: Record<string, unknown> };
  const sig = p?.signature;
  const timestamp = str(sig?.timestamp) ?? '';
  const token = str(sig?.token) ?? '';
  const given = str(sig?.signature) ?? '';
  const want = createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
  if (!/^[0-9a-f]{64}$/i.test(given) || !timingSafeEqual(Buffer.from(given.toLowerCase()), Buffer.from(want))) throw new WebhookAuthError('missing or wrong Mailgun signature');
  if (Math.abs(req.now.getTime() - Number(timestamp) * 1000) > MAILGUN_MAX_AGE_MS) throw new WebhookAuthError('Mailgun signature timestamp is too old or in the future');
  const e = p['event-data'];
  if (!e || typeof e !== 'object') throw new WebhookPayloadError('expected "event-data"');
  const event = str(e.event);
  const status = (e['delivery-status'] ?? {}) as Record<string, unknown>;
  const message = (e.message ?? {}) as { headers?: Record<string, unknown> };
  const base = {
    key: `mailgun:${str(e.id) ?? token}`,
    recipient: str(e.recipient),
    messageId: bracketed(message.headers?.['message-id']),
  };
  if (event === 'complained') return [{ ...base, type: 'complaint', code: 'complained', diagnostic: 'spam complaint' }];
  if (event === 'unsubscribed') return [{ ...base, type: 'unsubscribe', code: 'unsubscribed', diagnostic: 'unsubscribed through Mailgun' }];
  if (event === 'failed') {
    const text = [str(status.message), str(status.description)].filter(Boolean).join(' ');
    const type = str(e.severity) === 'permanent' ? 'hard' : 'soft';
    return [{ ...base, type, code: str(status['enhanced-code']) ?? enhancedCode(text) ?? str(status.code), diagnostic: text || str(e.reason) }];
  }
  return [];
}

/**
 * SendGrid's signed event webhook: the ECDSA (P-256, SHA-256) signature of timestamp + raw
 * body in X-Twilio-Email-Event-Webhook-Signature, checked with the verification key from
 * SendGrid's settings. Events bounce (type bounce: hard, blocked: soft), spamreport,
 * unsubscribe and group_unsubscribe.
 * https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { enhancedCode } from '../classify.ts';
import { bracketed, header, json, str, type WebhookItem, WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './types.ts';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
const MAX_AGE_MS = 60 * 60_000;

const keys = new Map<string, KeyObject>();

/** The verification key as SendGrid shows it: base64 of the DER public key (or PEM). */
export function sendgridKey(publicKey: string): KeyObject {
  let k = keys.get(publicKey);
  if (!k) {
    k = publicKey.includes('BEGIN') ? createPublicKey(publicKey) : createPublicKey({ key: Buffer.from(publicKey.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
    keys.set(publicKey, k);
  }
  return k;
}

export function sendgridItems(req: WebhookRequest, publicKey: string): WebhookItem[] {
  const signature = header(req, SIGNATURE_HEADER) ?? '';
  const timestamp = header(req, TIMESTAMP_HEADER) ?? '';
  let ok = false;
  try {
    ok = signature !== '' && createVerify('sha256').update(timestamp).update(req.body).verify(sendgridKey(publicKey), signature, 'base64');
  } catch {
    ok = false;
  }
  if (!ok) throw new WebhookAuthError('missing or wrong SendGrid event webhook signature');
  if (Math.abs(req.now.getTime() - Number(timestamp) * 1000) > MAX_AGE_MS) throw new WebhookAuthError('SendGrid signature timestamp is too old or in the future');
  const events = json(req.body);
  if (!Array.isArray(events)) throw new WebhookPayloadError('expected a JSON array of events');
  const out: WebhookItem[] = [];
  for (const e of events as Array<Record<string, unknown>>) {
    if (!e || typeof e !== 'object') continue;
    const base = {
      key: `sendgrid:${str(e.sg_event_id) ?? `${str(e.sg_message_id)}:${str(e.event)}:${str(e.email)}`}`,
      recipient: str(e.email),
      messageId: bracketed(e['smtp-id']),
      providerMessageId: str(e.sg_message_id)?.split('.')[0],
    };
    const event = str(e.event);
    if (event === 'bounce') {
      const reason = str(e.reason);
      out.push({ ...base, type: str(e.type) === 'blocked' ? 'soft' : 'hard', code: str(e.status) ?? enhancedCode(reason), diagnostic: reason });
    } else if (event === 'spamreport') out.push({ ...base, type: 'complaint', code: 'spamreport', diagnostic: 'spam report' });
    else if (event === 'unsubscribe' || event === 'group_unsubscribe') out.push({ ...base, type: 'unsubscribe', code: event, diagnostic: `${event} through SendGrid` });
  }
  return out;
}

/**
 * Postmark: the webhook URL carries basic auth (https://user:password@host/hooks/bounces/postmark);
 * Postmark has no signature. Record types Bounce, SpamComplaint and SubscriptionChange.
 * https://postmarkapp.com/developer/webhooks/bounce-webhook
 */
import { timingSafeEqual } from 'node:crypto';
import { bracketed, header, json, str, type WebhookItem, WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './types.ts';

const HARD = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'AddressChange']);
const SOFT = new Set(['SoftBounce', 'Transient', 'DnsError', 'MailboxFull', 'Blocked', 'ContentRelated', 'SMTPApiError', 'ChallengeVerification', 'InboundError', 'BadEmailAddressSoft']);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyPostmark(req: WebhookRequest, creds: { user: string; password: string }): void {
  const m = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  const given = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  // Both compared in full, whatever the first says.
  const okUser = same(given.slice(0, given.indexOf(':')), creds.user);
  const okPass = same(given.slice(given.indexOf(':') + 1), creds.password);
  if (!m || given.indexOf(':') < 0 || !okUser || !okPass) throw new WebhookAuthError('missing or wrong basic auth credentials');
}

export function postmarkItems(req: WebhookRequest): WebhookItem[] {
  const p = json(req.body) as Record<string, unknown>;
  if (!p || typeof p !== 'object') throw new WebhookPayloadError('expected a JSON object');
  const record = str(p.RecordType);
  const id = str(p.ID) ?? str(p.MessageID) ?? '';
  const base = { providerMessageId: str(p.MessageID), messageId: bracketed(headerValue(p.Headers, 'Message-ID')) };
  if (record === 'SpamComplaint') {
    return [{ ...base, key: `postmark:complaint:${id}:${str(p.Email)}`, type: 'complaint', recipient: str(p.Email), code: 'SpamComplaint', diagnostic: str(p.Description) ?? 'spam complaint' }];
  }
  if (record === 'SubscriptionChange') {
    if (p.SuppressSending !== true) return [];
    const reason = str(p.SuppressionReason);
    // Postmark suppresses after its own hard bounce or complaint too: recorded as what it was.
    const type = reason === 'HardBounce' ? 'hard' : reason === 'SpamComplaint' ? 'complaint' : 'unsubscribe';
    return [{ ...base, key: `postmark:subscription:${str(p.MessageID)}:${str(p.Recipient)}:${str(p.ChangedAt)}`, type, recipient: str(p.Recipient), code: reason, diagnostic: `Postmark suppressed sending (${reason})` }];
  }
  if (record === 'Bounce' || (record === undefined && p.Type !== undefined)) {
    const t = str(p.Type) ?? '';
    const type = t === 'SpamComplaint' || t === 'SpamNotification' ? 'complaint' : t === 'Unsubscribe' ? 'unsubscribe' : HARD.has(t) ? 'hard' : SOFT.has(t) ? 'soft' : undefined;
    if (!type) return []; // auto-responders, open relay tests and the like
    const details = [str(p.Description), str(p.Details)].filter(Boolean).join(' ');
    return [{ ...base, key: `postmark:bounce:${id}:${str(p.Email)}`, type, recipient: str(p.Email), code: t, diagnostic: details || t }];
  }
  return [];
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  const h = headers.find((x) => x && typeof x === 'object' && String((x as { Name?: unknown }).Name).toLowerCase() === name.toLowerCase()) as { Value?: unknown } | undefined;
  return str(h?.Value);
}

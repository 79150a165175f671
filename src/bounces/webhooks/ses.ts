/**
 * Amazon SES through an SNS topic. SNS signs every message: the signature (SignatureVersion
 * 1: SHA1withRSA, 2: SHA256withRSA) over the message's fields in a fixed order, checked with
 * the certificate at SigningCertURL, which must be SNS's own (https://sns.<region>.amazonaws.com/
 * by default: bounces.webhooks.ses.snsUrl). A SubscriptionConfirmation is confirmed by fetching
 * its SubscribeURL (same rule), only for the configured topics when topicArn is set.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { enhancedCode } from '../classify.ts';
import { bracketed, json, str, type WebhookItem, WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './types.ts';

export interface SesSettings {
  topicArn: string[];
  snsUrl: string;
}

type SnsMessage = Record<string, unknown>;

const certs = new Map<string, Promise<X509Certificate>>();

function snsUrlAllowed(url: string, pattern: string): boolean {
  try {
    new URL(url);
  } catch {
    return false;
  }
  return new RegExp(pattern).test(url);
}

async function certificate(url: string): Promise<X509Certificate> {
  let c = certs.get(url);
  if (!c) {
    c = (async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return new X509Certificate(Buffer.from(await res.arrayBuffer()));
    })();
    certs.set(url, c);
    c.catch(() => certs.delete(url));
  }
  return c;
}

/** The string SNS signs: these fields, in this order, each "Name\nvalue\n" (Subject only when present). */
function stringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((f) => m[f] !== undefined && m[f] !== null)
    .map((f) => `${f}\n${String(m[f])}\n`)
    .join('');
}

export async function verifySns(req: WebhookRequest, s: SesSettings): Promise<SnsMessage> {
  const m = json(req.body, true) as SnsMessage;
  if (!m || typeof m !== 'object') throw new WebhookAuthError('not an SNS message');
  const certUrl = str(m.SigningCertURL) ?? '';
  if (!snsUrlAllowed(certUrl, s.snsUrl)) throw new WebhookAuthError(`SigningCertURL is not an SNS address (${s.snsUrl})`);
  const version = str(m.SignatureVersion);
  if (version !== '1' && version !== '2') throw new WebhookAuthError('unknown SNS SignatureVersion');
  let cert: X509Certificate;
  try {
    cert = await certificate(certUrl);
  } catch (e) {
    throw new WebhookAuthError(`could not fetch the SNS signing certificate: ${(e as Error).message}`);
  }
  const ok = (() => {
    try {
      return createVerify(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(stringToSign(m)).verify(cert.publicKey, str(m.Signature) ?? '', 'base64');
    } catch {
      return false;
    }
  })();
  if (!ok) throw new WebhookAuthError('SNS signature does not verify');
  if (!s.topicArn.includes(str(m.TopicArn) ?? '')) throw new WebhookAuthError(`topic ${str(m.TopicArn)} is not one of bounces.webhooks.ses.topicArn`);
  return m;
}

/** Confirms an SNS subscription by fetching its SubscribeURL (an SNS address). */
export async function confirmSubscription(m: SnsMessage, s: SesSettings): Promise<void> {
  const url = str(m.SubscribeURL) ?? '';
  if (!snsUrlAllowed(url, s.snsUrl)) throw new WebhookAuthError(`SubscribeURL is not an SNS address (${s.snsUrl})`);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  if (!res.ok) throw new Error(`confirming the SNS subscription failed: HTTP ${res.status}`);
}

/** The SES notification (or event publishing record) inside a verified SNS Notification. */
export function sesItems(m: SnsMessage): WebhookItem[] {
  let n: Record<string, unknown>;
  try {
    n = JSON.parse(str(m.Message) ?? '') as Record<string, unknown>;
  } catch {
    throw new WebhookPayloadError('the SNS Message is not an SES notification (JSON)');
  }
  const kind = str(n.notificationType) ?? str(n.eventType);
  const mail = (n.mail ?? {}) as { messageId?: unknown; headers?: Array<{ name?: unknown; value?: unknown }>; commonHeaders?: { messageId?: unknown } };
  const header = mail.headers?.find((x) => String(x.name).toLowerCase() === 'message-id')?.value;
  const base = { messageId: bracketed(header) ?? bracketed(mail.commonHeaders?.messageId), providerMessageId: str(mail.messageId) };
  const snsId = str(m.MessageId) ?? '';
  if (kind === 'Bounce') {
    const b = (n.bounce ?? {}) as { bounceType?: unknown; bounceSubType?: unknown; bouncedRecipients?: Array<Record<string, unknown>> };
    // Permanent: hard; Transient and Undetermined: soft.
    const type = str(b.bounceType) === 'Permanent' ? 'hard' : 'soft';
    return (b.bouncedRecipients ?? []).map((r) => {
      const diagnostic = str(r.diagnosticCode) ?? `${str(b.bounceType)} (${str(b.bounceSubType)})`;
      return { ...base, key: `ses:${snsId}:${str(r.emailAddress)}`, type, recipient: str(r.emailAddress), code: str(r.status) ?? enhancedCode(diagnostic) ?? str(b.bounceSubType), diagnostic };
    });
  }
  if (kind === 'Complaint') {
    const c = (n.complaint ?? {}) as { complaintFeedbackType?: unknown; complainedRecipients?: Array<Record<string, unknown>>; complaintSubType?: unknown };
    // A complaint SES flags as not from the recipient (complaintSubType "OnAccountSuppressionList") is still recorded as one.
    return (c.complainedRecipients ?? []).map((r) => ({
      ...base,
      key: `ses:${snsId}:${str(r.emailAddress)}`,
      type: 'complaint' as const,
      recipient: str(r.emailAddress),
      code: str(c.complaintFeedbackType) ?? 'complaint',
      diagnostic: `complaint${str(c.complaintFeedbackType) ? ` (${str(c.complaintFeedbackType)})` : ''}`,
    }));
  }
  return [];
}

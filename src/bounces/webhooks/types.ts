/** What a provider's webhook call says, once its authentication passed: one item per recipient event. */
import type { BounceType } from '../../store/types.ts';

export interface WebhookItem {
  /** Unique per event (the provider's event id), so a re-delivered call records nothing twice. */
  key: string;
  type: BounceType;
  recipient?: string;
  code?: string;
  diagnostic?: string;
  /** RFC 5322 Message-ID of the email, with brackets, when the provider gives it. */
  messageId?: string;
  /** The provider's id of the email. */
  providerMessageId?: string;
}

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received (signatures cover these bytes). */
  body: Buffer;
  now: Date;
}

/** Authentication failed: 401, nothing changes. */
export class WebhookAuthError extends Error {}
/** Authenticated but not understood: 400. */
export class WebhookPayloadError extends Error {}

export function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The body as JSON. `signed`: the signature is inside it, so a body that is no JSON fails authentication. */
export function json(body: Buffer, signed = false): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw signed ? new WebhookAuthError('the body is not a signed JSON message') : new WebhookPayloadError('the body is not JSON');
  }
}

/** "<abc@host>" whatever brackets the provider kept. */
export function bracketed(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.trim() === '') return undefined;
  const v = id.trim();
  return v.startsWith('<') ? v : `<${v}>`;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

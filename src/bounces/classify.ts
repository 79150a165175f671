/**
 * Hard or soft: what an SMTP reply (or a DSN's Status field) says about the address.
 * A hard bounce means the address will never take mail (no such user or domain); a soft
 * one that this email could not be delivered now (mailbox full, greylisting, a policy
 * block of the message): the address stays until soft bounces pile up.
 */
export type BounceKind = 'hard' | 'soft';

export interface SmtpReply {
  /** Basic reply code: 550, 452 … */
  code?: number;
  /** Enhanced status code (RFC 3463): 5.1.1, 4.2.2 … */
  enhanced?: string;
  text?: string;
}

const ENHANCED_RE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code in a reply or diagnostic text ("550 5.1.1 <x>: user unknown" → 5.1.1). */
export function enhancedCode(text: string | undefined): string | undefined {
  const m = text ? ENHANCED_RE.exec(text) : null;
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The basic reply code at the start of a reply ("550-5.1.1 …" → 550). */
export function replyCode(text: string | undefined): number | undefined {
  const m = text ? /^\s*(?:smtp;\s*)?([245]\d\d)[\s-]/i.exec(text) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * 5.1.x (bad mailbox, bad domain), 5.0.0, 5.2.1 (mailbox disabled) and 5.4.4 (no route to
 * the domain) are hard; so is a bare 550/551/553. 4.x.x, 5.2.2 (mailbox full), 5.7.x (the
 * message refused by policy, not the address) and other 5xx are soft.
 */
export function classifyReply(r: SmtpReply): BounceKind | undefined {
  const enhanced = r.enhanced ?? enhancedCode(r.text);
  if (enhanced) {
    const [cls, subject, detail] = enhanced.split('.').map(Number) as [number, number, number];
    if (cls === 2) return undefined;
    if (cls === 4) return 'soft';
    if (subject === 1) return 'hard';
    if (subject === 0 && detail === 0) return 'hard';
    if (subject === 2 && detail === 1) return 'hard';
    if (subject === 4 && detail === 4) return 'hard';
    return 'soft';
  }
  const code = r.code ?? replyCode(r.text);
  if (code === undefined) return undefined;
  if (code < 400) return undefined;
  if (code < 500) return 'soft';
  return code === 550 || code === 551 || code === 553 ? 'hard' : 'soft';
}

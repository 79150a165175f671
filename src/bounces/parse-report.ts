/**
 * A message from the bounce mailbox → what it reports. Understood: delivery status
 * notifications (RFC 3464, `multipart/report; report-type=delivery-status`), complaint
 * feedback reports (ARF, RFC 5965, `report-type=feedback-report`) and the common
 * non-standard bounce: a plain-text "Undelivered Mail" / "Mail delivery failed" message from
 * a mailer daemon quoting the failed address, the server's reply and the original headers.
 * Anything else is `none` (not a report: left alone). Never throws on bad input: what cannot
 * be read is a `problem`.
 */
import { createHash } from 'node:crypto';
import { type Attachment, type ParsedMail, simpleParser } from 'mailparser';
import { classifyReply, enhancedCode, replyCode } from './classify.ts';
import { addressOf, type Fields, fieldBlocks, headerBlock, messageIdOf } from './report-fields.ts';

export type ReportType = 'hard' | 'soft' | 'complaint' | 'unknown';

export interface ReportedRecipient {
  type: ReportType;
  recipient?: string;
  /** Enhanced status code, or the reply code when there is none. */
  code?: string;
  diagnostic?: string;
}

export interface ParsedReport {
  kind: 'dsn' | 'arf' | 'plain' | 'none';
  /** The report's own Message-ID, else a hash of its bytes: names it in event keys. */
  reportId: string;
  subject?: string;
  /** Recipients that failed (or complained); empty for a delay notice or a report Herald could not read. */
  recipients: ReportedRecipient[];
  /** The Message-ID of the email that bounced, from the returned message or headers. */
  originalMessageId?: string;
  /** Addresses that may be the VERP return path: the report's To/Delivered-To, the original's Return-Path, ARF's Original-Mail-From. */
  returnPaths: string[];
  /** Set when it is a report but could not be read (malformed, truncated). */
  problem?: string;
}

const BOUNCE_SENDER_RE = /mailer-daemon|postmaster|mail delivery (subsystem|system)/i;
const BOUNCE_SUBJECT_RE = /undeliver|returned (mail|to sender)|delivery (status notification|failure|has failed)|failure notice|mail delivery failed|non[- ]?delivery|could not be delivered/i;

function textOf(a: Attachment): string {
  return a.content.toString('utf8');
}

function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((l) => l.key === name.toLowerCase());
  return line ? line.line.slice(line.line.indexOf(':') + 1).trim() : undefined;
}

/** The returned message's headers: a message/rfc822 or text/rfc822-headers part, or the text after a "copy of the message" line. */
function originalHeaders(mail: ParsedMail, plainText?: string): Fields | undefined {
  const part = mail.attachments.find((a) => a.contentType === 'message/rfc822' || a.contentType === 'text/rfc822-headers' || a.contentType === 'message/rfc822-headers');
  if (part) return headerBlock(textOf(part));
  if (plainText) {
    // Exim: "------ This is a copy of the message, including all the headers. ------"; qmail: "--- Below this line is a copy of the message."
    const m = /(?:copy of the message|original message|message headers follow|headers of the original)[^\n]*\n+([\s\S]*)$/i.exec(plainText);
    const rest = m?.[1];
    if (rest) {
      const start = rest.search(/^[A-Za-z-]+:/m);
      if (start >= 0) return headerBlock(rest.slice(start).replace(/^[ \t]+(?=[A-Za-z-]+:)/gm, ''));
    }
  }
  return undefined;
}

function collectReturnPaths(mail: ParsedMail, original: Fields | undefined, extra: Array<string | undefined>): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (!v) return;
    for (const m of v.matchAll(/[^\s<>,;:"]+@[^\s<>,;"]+/g)) out.add(m[0].replace(/[>.]+$/, ''));
  };
  for (const name of ['to', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'x-failed-recipients-return-path']) add(header(mail, name));
  add(original?.get('return-path'));
  for (const e of extra) add(e);
  return [...out];
}

function parseDsn(mail: ParsedMail, part: Attachment): Omit<ParsedReport, 'reportId' | 'subject'> {
  const blocks = fieldBlocks(textOf(part));
  const original = originalHeaders(mail);
  const base = { kind: 'dsn' as const, originalMessageId: messageIdOf(original?.get('message-id')), returnPaths: collectReturnPaths(mail, original, []) };
  const perRecipient = blocks.filter((b) => b.has('final-recipient') || b.has('original-recipient') || b.has('action'));
  if (perRecipient.length === 0) return { ...base, recipients: [], problem: 'delivery-status part has no recipient fields' };
  const recipients: ReportedRecipient[] = [];
  for (const b of perRecipient) {
    const action = (b.get('action') ?? '').toLowerCase().trim();
    // Delayed, delivered, relayed, expanded: not a bounce.
    if (action !== 'failed') continue;
    const status = enhancedCode(b.get('status'));
    const diagnostic = b.get('diagnostic-code')?.replace(/^[a-z0-9-]+;\s*/i, '');
    const type = classifyReply({ enhanced: status ?? enhancedCode(diagnostic), code: replyCode(diagnostic), text: diagnostic }) ?? 'unknown';
    recipients.push({
      type,
      recipient: addressOf(b.get('final-recipient')) ?? addressOf(b.get('original-recipient')),
      code: status ?? enhancedCode(diagnostic) ?? replyCode(diagnostic)?.toString(),
      ...(diagnostic ? { diagnostic } : {}),
    });
  }
  return { ...base, recipients };
}

function parseArf(mail: ParsedMail, part: Attachment): Omit<ParsedReport, 'reportId' | 'subject'> {
  const fields = fieldBlocks(textOf(part))[0] ?? new Map<string, string>();
  const original = originalHeaders(mail);
  const feedbackType = (fields.get('feedback-type') ?? '').toLowerCase();
  const base = {
    kind: 'arf' as const,
    originalMessageId: messageIdOf(original?.get('message-id')),
    returnPaths: collectReturnPaths(mail, original, [fields.get('original-mail-from')]),
  };
  if (!feedbackType) return { ...base, recipients: [], problem: 'feedback report has no Feedback-Type' };
  // "not-spam" takes a complaint back; an auth-failure report is about the domain, not a reader.
  if (feedbackType === 'not-spam' || feedbackType === 'auth-failure') return { ...base, recipients: [] };
  const recipient = addressOf(fields.get('original-rcpt-to')) ?? addressOf(original?.get('to'));
  return { ...base, recipients: [{ type: 'complaint', recipient, code: feedbackType, diagnostic: `feedback report (${feedbackType})${fields.get('user-agent') ? ` from ${fields.get('user-agent')}` : ''}` }] };
}

/** Postfix without DSN, Exim, qmail and the like: addresses and replies in the text. */
function parsePlain(mail: ParsedMail): Omit<ParsedReport, 'reportId' | 'subject'> {
  const text = mail.text ?? '';
  const original = originalHeaders(mail, text);
  const base = { kind: 'plain' as const, originalMessageId: messageIdOf(original?.get('message-id')), returnPaths: collectReturnPaths(mail, original, []) };
  // The part before the returned copy: the explanation.
  const cut = text.search(/copy of the message|original message|message headers follow|headers of the original/i);
  const head = cut < 0 ? text : text.slice(0, cut);
  const failed = header(mail, 'x-failed-recipients');
  const addresses = new Set<string>();
  for (const a of (failed ?? '').split(',')) {
    const x = addressOf(a);
    if (x) addresses.add(x);
  }
  if (addresses.size === 0) {
    for (const m of head.matchAll(/<([^\s<>@]+@[^\s<>]+)>|^\s+([^\s<>@:]+@[^\s<>:]+)\s*$/gm)) {
      const x = m[1] ?? m[2];
      if (x && !BOUNCE_SENDER_RE.test(x)) addresses.add(x);
    }
  }
  if (addresses.size === 0) return { ...base, recipients: [], problem: 'no failed address found in the text' };
  const reply = /\b([45]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})?[^\n]*/.exec(head);
  const enhanced = enhancedCode(head);
  const type = classifyReply({ enhanced, code: reply ? Number(reply[1]) : undefined, text: reply?.[0] }) ?? (/permanent|does not exist|no such|unknown user|user unknown/i.test(head) ? 'hard' : 'soft');
  const diagnostic = reply?.[0]?.trim().slice(0, 300);
  return {
    ...base,
    recipients: [...addresses].map((recipient) => ({ type, recipient, code: enhanced ?? reply?.[1], ...(diagnostic ? { diagnostic } : {}) })),
  };
}

function reportIdOf(mail: ParsedMail | undefined, raw: Buffer): string {
  return mail?.messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
}

export async function parseReport(raw: Buffer): Promise<ParsedReport> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true });
  } catch (e) {
    return { kind: 'none', reportId: reportIdOf(undefined, raw), recipients: [], returnPaths: [], problem: `unreadable MIME: ${(e as Error).message}` };
  }
  const reportId = reportIdOf(mail, raw);
  const subject = mail.subject;
  const contentType = (header(mail, 'content-type') ?? '').toLowerCase();
  const reportType = /report-type\s*=\s*"?([a-z-]+)/.exec(contentType)?.[1];
  const find = (type: string) => mail.attachments.find((a) => a.contentType === type);
  try {
    const dsnPart = find('message/delivery-status') ?? find('message/global-delivery-status');
    const arfPart = find('message/feedback-report');
    if (arfPart || reportType === 'feedback-report') {
      if (!arfPart) return { kind: 'arf', reportId, subject, recipients: [], returnPaths: collectReturnPaths(mail, undefined, []), problem: 'feedback report without its message/feedback-report part (truncated?)' };
      return { ...parseArf(mail, arfPart), reportId, subject };
    }
    if (dsnPart || reportType === 'delivery-status') {
      if (!dsnPart) return { kind: 'dsn', reportId, subject, recipients: [], returnPaths: collectReturnPaths(mail, originalHeaders(mail), []), problem: 'delivery status notification without its message/delivery-status part (truncated?)' };
      return { ...parseDsn(mail, dsnPart), reportId, subject };
    }
    const from = mail.from?.value.map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ') ?? header(mail, 'from') ?? '';
    if (BOUNCE_SENDER_RE.test(from) && (BOUNCE_SUBJECT_RE.test(subject ?? '') || header(mail, 'x-failed-recipients'))) return { ...parsePlain(mail), reportId, subject };
  } catch (e) {
    return { kind: 'none', reportId, subject, recipients: [], returnPaths: [], problem: `could not read the report: ${(e as Error).message}` };
  }
  return { kind: 'none', reportId, subject, recipients: [], returnPaths: [] };
}

/**
 * `bounces:` in herald.yaml: the VERP return path, the bounce mailbox read over IMAP, the
 * providers' webhooks and the policy that turns bounces into a suppressed address.
 */
import * as z from 'zod';
import { duration } from '../config/fields.ts';
import type { BouncePolicy } from '../store/types.ts';

const address = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;

const mailboxUrl = z.string().superRefine((v, ctx) => {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {}
  // Never echo the value: it holds the mailbox password.
  if (!u || (u.protocol !== 'imap:' && u.protocol !== 'imaps:') || u.hostname === '') {
    ctx.addIssue({ code: 'custom', message: 'expected imaps://user:password@host:993/INBOX (or imap://… with STARTTLS)' });
  } else if (!u.username) ctx.addIssue({ code: 'custom', message: 'expected the mailbox user and password in the URL: imaps://user:password@host:993/INBOX' });
});

/** SNS signing certificates and subscription links come from https://sns.<region>.amazonaws.com/ (a pattern; tests serve their own). */
export const SNS_URL = '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/';

const regex = z.string().superRefine((v, ctx) => {
  try {
    new RegExp(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected a regular expression: ${(e as Error).message}` });
  }
});

const webhooks = z
  .object({
    /** Amazon SES through an SNS topic (HTTPS subscription to /hooks/bounces/ses). */
    ses: z
      .object({
        /**
         * The topics SES publishes to: only these are accepted (and their subscriptions confirmed).
         * Required: anyone can make an SNS topic whose messages SNS signs.
         */
        topicArn: z
          .union([z.string().startsWith('arn:', 'expected a topic ARN like arn:aws:sns:us-east-1:123456789012:ses-bounces'), z.array(z.string().startsWith('arn:')).min(1)])
          .transform((v) => (Array.isArray(v) ? v : [v])),
        /** SigningCertURL and SubscribeURL must match this (SNS's own addresses). */
        snsUrl: regex.default(SNS_URL),
      })
      .strict()
      .optional(),
    /** Postmark: basic auth in the webhook URL (https://user:password@…/hooks/bounces/postmark). */
    postmark: z.object({ user: z.string().min(1), password: z.string().min(8, 'expected a password of at least 8 characters') }).strict().optional(),
    /** Mailgun: the HTTP webhook signing key (Sending → Webhooks). */
    mailgun: z.object({ signingKey: z.string().min(8, 'expected the webhook signing key from Mailgun') }).strict().optional(),
    /** SendGrid: the signed event webhook's verification key (base64 ECDSA public key). */
    sendgrid: z.object({ publicKey: z.string().min(40, "expected the event webhook's verification key (base64)") }).strict().optional(),
  })
  .strict()
  .default({});

export const bouncesSchema = z
  .object({
    /** Envelope sender of every email, as bounces+<token>@domain (VERP); bounces come back here. */
    returnPath: z.string().regex(address, 'expected an address like bounces@example.com').optional(),
    /** The mailbox bounces and complaint reports arrive in. */
    mailbox: mailboxUrl.optional(),
    /** Processed reports are moved into this folder (created when missing). */
    processed: z.string().min(1).default('Herald/Processed'),
    /** `herald run` reads the mailbox this often. */
    fetch: duration('5m').default(5 * 60_000),
    tls: z.object({ rejectUnauthorized: z.boolean().default(true) }).strict().default({ rejectUnauthorized: true }),
    /** This many hard bounces make the address `bounced`. */
    hard: z.number().int().min(1).default(1),
    /** This many soft bounces (one per email) within softWindow make it `bounced`. */
    soft: z.number().int().min(1).default(5),
    softWindow: duration('30d').default(30 * 86_400_000),
    webhooks,
  })
  .strict()
  .default({
    processed: 'Herald/Processed',
    fetch: 5 * 60_000,
    tls: { rejectUnauthorized: true },
    hard: 1,
    soft: 5,
    softWindow: 30 * 86_400_000,
    webhooks: {},
  });

type Parsed = z.infer<typeof bouncesSchema>;

export interface BouncesConfig {
  returnPath?: string;
  mailbox?: string;
  processed: string;
  fetchMs: number;
  tls: { rejectUnauthorized: boolean };
  policy: BouncePolicy;
  webhooks: Parsed['webhooks'];
}

export function resolveBounces(b: Parsed): BouncesConfig {
  return {
    ...(b.returnPath ? { returnPath: b.returnPath } : {}),
    ...(b.mailbox ? { mailbox: b.mailbox } : {}),
    processed: b.processed,
    fetchMs: b.fetch,
    tls: b.tls,
    policy: { hard: b.hard, soft: b.soft, softWindowMs: b.softWindow },
    webhooks: b.webhooks,
  };
}

/** Every secret in the block, for the redactor. */
export function bounceSecrets(b: BouncesConfig): string[] {
  const w = b.webhooks;
  return [w.postmark?.password, w.mailgun?.signingKey].filter((s): s is string => Boolean(s));
}

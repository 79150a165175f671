import * as z from 'zod';
import { channelBase, cron } from '../../config/fields.ts';
import type { DkimKey } from '../../render/email/dkim.ts';

const mailbox = z.string().min(3, 'expected an address like "Site News <news@example.com>"');

/** Gmail clips messages past ~102 KB (hiding the footer and its unsubscribe link). */
export const DEFAULT_MAX_BYTES = 100_000;
/** Gmail's Feedback-ID: colon-separated fields, the last one identifying the sender. */
export const DEFAULT_FEEDBACK_ID = '{channel}:{kind}:{host}';

const dkimEntry = z
  .object({
    /** d=: usually the From address's domain (DMARC alignment). */
    domain: z.string().min(1, 'expected the signing domain, e.g. example.com'),
    /** s=: the public key is published at <selector>._domainkey.<domain>. */
    selector: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/, 'expected a selector like "herald" or "2025-07"'),
    /** PEM text, or file:<path> relative to the config file. */
    privateKey: z.string().min(1, 'expected PEM text or file:<path> (e.g. ${DKIM_PRIVATE_KEY})'),
  })
  .strict();

/** One key or a list (e.g. RSA and Ed25519 side by side); every message is signed with each. */
export const dkimSetting = z.union([dkimEntry, z.array(dkimEntry).min(1, 'expected at least one key')]).transform((v) => (Array.isArray(v) ? v : [v]));

const feedbackId = z.string().superRefine((v, ctx) => {
  if (v === '') return;
  const unknown = [...v.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((t) => !['channel', 'kind', 'host'].includes(t ?? ''));
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${unknown[0]}} (use {channel}, {kind}, {host})` });
  else if (!/^[\x21-\x7e]+$/.test(v.replace(/\{(channel|kind|host)\}/g, 'x'))) ctx.addIssue({ code: 'custom', message: 'expected printable ASCII without spaces, like "{channel}:{kind}:{host}"' });
});

/** A size in bytes: 100000, "100KB", "100 KB", "0.1MB" (1 KB = 1000 bytes). */
const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? [String(v), String(v), ''] : /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB)?\s*$/i.exec(v);
  const n = m ? Number(m[1]) * ({ '': 1, b: 1, kb: 1000, mb: 1_000_000 }[(m[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isFinite(n) || n < 10_000) {
    ctx.addIssue({ code: 'custom', message: `expected a size of at least 10KB, like 100000 or "100KB", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return Math.round(n);
});

/** Settings every email channel shares unless it sets its own (the top-level `email:` block). */
export const emailSettingsFields = {
  /** DKIM signing keys. */
  dkim: dkimSetting.optional(),
  /** Feedback-ID header; "" leaves it out. */
  feedbackId: feedbackId.optional(),
  /** A digest's HTML part, as sent, stays under this (Gmail clips past ~102 KB). */
  maxBytes: byteSize.optional(),
};

export const emailDefaultsSchema = z.object(emailSettingsFields).strict().default({});

export const emailChannelSchema = z
  .object({
    type: z.literal('email'),
    ...channelBase,
    /** smtp://user:pass@host:587 or smtps://…:465; empty = preview mode (writes to outbox/). */
    smtp: z
      .string()
      .default('')
      .superRefine((v, ctx) => {
        if (v === '') return;
        let ok = false;
        try {
          ok = ['smtp:', 'smtps:'].includes(new URL(v).protocol);
        } catch {}
        if (!ok) ctx.addIssue({ code: 'custom', message: 'expected an SMTP connection URL like smtp://user:password@mail.example.com:587 or smtps://…:465' });
      }),
    from: mailbox,
    replyTo: mailbox.optional(),
    schedule: cron.default('0 8 * * *'),
    mode: z.enum(['digest', 'each']).default('digest'),
    /** Digest channels: `email` sends breaking news at once to the readers who opted into alerts. */
    breaking: z.enum(['off', 'email']).default('off'),
    /** What an alerted reader's next digest does with the story: leave it out, or list it in one line as already sent. */
    alreadySent: z.enum(['skip', 'mention']).default('skip'),
    /** Digest channels: list the articles of the previous digest corrected or retracted since, in a short section. */
    corrections: z.boolean().default(false),
    maxArticles: z.number().int().min(1).max(200).default(20),
    /** Template name under templates/, without extension. */
    template: z.string().optional(),
    /** Liquid template for the subject; variables: site, date, count, article (mode each). */
    subject: z.string().optional(),
    /** Adds a mailto: to List-Unsubscribe. */
    unsubscribeMailto: z.string().email('expected an email address').optional(),
    pool: z
      .object({
        // 5 by measurement (npm run bench, 20,000 emails into Postfix's smtp-sink on this 2-core
        // machine): 10 connections took longer (median 14.6 s against 11.9 s) for more CPU per
        // message; a sending process is CPU-bound well before 5 connections wait on the server.
        maxConnections: z.number().int().min(1).max(100).default(5),
        /** Messages per second across the pool; 0 = unlimited. */
        rateLimit: z.number().min(0).default(0),
      })
      .default({ maxConnections: 5, rateLimit: 0 }),
    tls: z.object({ rejectUnauthorized: z.boolean().default(true) }).optional(),
    ...emailSettingsFields,
  })
  .strict();

export type EmailChannelConfig = z.infer<typeof emailChannelSchema> & {
  id: string;
  /** The parsed `dkim` keys (the channel's own, else the `email:` block's), set when the config is loaded. */
  dkimKeys?: readonly DkimKey[];
};

/** The channel's Feedback-ID header value for one kind of email, or undefined when turned off. */
export function feedbackIdFor(c: Pick<EmailChannelConfig, 'id' | 'feedbackId'>, kind: 'digest' | 'each' | 'confirm', siteHost: string): string | undefined {
  const template = c.feedbackId ?? DEFAULT_FEEDBACK_ID;
  if (template === '') return undefined;
  return template.replaceAll('{channel}', c.id).replaceAll('{kind}', kind).replaceAll('{host}', siteHost);
}

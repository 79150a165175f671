import { z } from 'zod';
import { channelBase, cron } from '../../config/fields.ts';

const mailbox = z.string().min(3, 'expected an address like "Site News <news@example.com>"');

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
    maxArticles: z.number().int().min(1).max(200).default(20),
    /** Template name under templates/, without extension. */
    template: z.string().optional(),
    /** Liquid template for the subject; variables: site, date, count, article (mode each). */
    subject: z.string().optional(),
    /** Adds a mailto: to List-Unsubscribe. */
    unsubscribeMailto: z.string().email('expected an email address').optional(),
    pool: z
      .object({
        maxConnections: z.number().int().min(1).max(100).default(5),
        /** Messages per second across the pool; 0 = unlimited. */
        rateLimit: z.number().min(0).default(0),
      })
      .default({ maxConnections: 5, rateLimit: 0 }),
    tls: z.object({ rejectUnauthorized: z.boolean().default(true) }).optional(),
  })
  .strict();

export type EmailChannelConfig = z.infer<typeof emailChannelSchema> & { id: string };

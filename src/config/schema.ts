import { z } from 'zod';
import { channelSchemas } from '../channels/channel-schemas.ts';
import { duration, httpUrl, timezone } from './fields.ts';

// Every site key may come from the site's own config (content.site); what is set here wins.
const site = z
  .object({
    title: z.string().min(1, 'expected the site title').optional(),
    url: httpUrl.transform((v) => (v.endsWith('/') ? v : `${v}/`)).optional(),
    language: z.string().min(1).optional(),
    timezone: timezone.optional(),
  })
  .strict()
  .default({});

const content = z
  .object({
    /** Root of a Hugo or Jekyll site: its own config is read. */
    site: z.string().min(1, 'expected the folder of a Hugo or Jekyll site').optional(),
    /** Force the generator instead of detecting it. */
    generator: z.enum(['hugo', 'jekyll']).optional(),
    dir: z.string().min(1, 'expected the folder of markdown articles').optional(),
    /** One pattern for every page; unset: the site's own permalinks (Hugo: the folder path). */
    permalink: z.string().optional(),
    lookback: duration('24h').default(24 * 3_600_000),
    maxAge: duration('7d').default(7 * 86_400_000),
    scan: duration('5m').default(5 * 60_000),
  })
  .strict();

const store = z
  .object({
    url: z
      .string()
      .default('sqlite:data/herald.db')
      .superRefine((v, ctx) => {
        if (!v.startsWith('sqlite:')) ctx.addIssue({ code: 'custom', message: `expected "sqlite:<path>" (only SQLite is supported for now), got "${v.replace(/\/\/[^@]*@/, '//***@')}"` });
      }),
  })
  .strict()
  .default({ url: 'sqlite:data/herald.db' });

const server = z
  .object({
    port: z.number().int().min(0).max(65535).default(8080),
    host: z.string().default('127.0.0.1'),
    publicUrl: httpUrl.optional(),
    /**
     * Whose X-Forwarded-For to believe for the client address (rate limits, logs):
     * a proxy-addr list such as "loopback" or "10.0.0.0/8", or true/false. Believing
     * everyone would let any client pick its own address and dodge the limits.
     */
    trustProxy: z.union([z.boolean(), z.string().min(1)]).default('loopback'),
  })
  .strict()
  .default({ port: 8080, host: '127.0.0.1', trustProxy: 'loopback' });

const delivery = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(8),
    /** First retry delay; doubles each attempt, with jitter. */
    backoff: duration('30s').default(30_000),
    maxBackoff: duration('6h').default(6 * 3_600_000),
    /** A one-shot command gives up a channel whose server stays unreachable this long. */
    giveUpAfter: duration('60s').default(60_000),
  })
  .strict()
  .default({ maxAttempts: 8, backoff: 30_000, maxBackoff: 6 * 3_600_000, giveUpAfter: 60_000 });

const channelId = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const configSchema = z
  .object({
    site,
    content,
    store,
    server,
    delivery,
    /** Where preview-mode channels write what they would send. */
    outbox: z.string().default('outbox'),
    /** Extra template folder whose files override the bundled templates/. */
    templates: z.string().optional(),
    channels: z
      .record(z.string().regex(channelId, 'expected a channel id of letters, digits, "-" and "_"'), z.discriminatedUnion('type', channelSchemas as never))
      .default({}),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;

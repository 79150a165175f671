import * as z from 'zod';
import { editorsSchema } from '../bots/editors-config.ts';
import { channelSchemas } from '../channels/channel-schemas.ts';
import { bouncesSchema } from '../bounces/bounce-config.ts';
import { emailDefaultsSchema } from '../channels/email/email-config.ts';
import { duration, httpUrl, timezone, topicList } from './fields.ts';

// Every site key may come from the site's own config (content.site); what is set here wins.
const site = z
  .object({
    title: z.string().min(1, 'expected the site title').optional(),
    url: httpUrl.transform((v) => (v.endsWith('/') ? v : `${v}/`)).optional(),
    language: z.string().min(1).optional(),
    timezone: timezone.optional(),
    /** Postal address shown in every email's footer (CAN-SPAM asks for one in commercial email). */
    address: z.string().trim().min(1, 'expected a postal address, e.g. "Example Media, 1 Main St, Springfield"').optional(),
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
        if (!v.startsWith('sqlite:') && !/^postgres(ql)?:\/\/./.test(v)) {
          ctx.addIssue({ code: 'custom', message: `expected "sqlite:<path>" or "postgres://user@host:port/database", got "${v.replace(/\/\/[^@]*@/, '//***@')}"` });
        }
      }),
  })
  .strict()
  .default({ url: 'sqlite:data/herald.db' });

const SERVER_TIMEOUTS = { headers: 10_000, request: 30_000, idle: 120_000, keepAlive: 5_000 };

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
    /**
     * Slow clients are cut off: the request headers must arrive within `headers`, the whole
     * request (body included) within `request`; a connection on which nothing moves for
     * `idle` is closed (longer than the slowest dashboard action, a digest sent by hand); a
     * kept-alive connection waits `keepAlive` for its next request.
     */
    timeouts: z
      .object({
        headers: duration('10s').default(10_000),
        request: duration('30s').default(30_000),
        idle: duration('2m').default(120_000),
        keepAlive: duration('5s').default(5_000),
      })
      .strict()
      .default(SERVER_TIMEOUTS),
  })
  .strict()
  .default({ port: 8080, host: '127.0.0.1', trustProxy: 'loopback', timeouts: SERVER_TIMEOUTS });

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
    /** Defaults for every email channel: dkim, feedbackId, maxBytes. */
    email: emailDefaultsSchema,
    /** Bounce and complaint processing: return path, bounce mailbox, webhooks, policy. */
    bounces: bouncesSchema,
    /** Where preview-mode channels write what they would send. */
    outbox: z.string().default('outbox'),
    /** Extra template folder whose files override the bundled templates/. */
    templates: z.string().optional(),
    channels: z
      .record(z.string().regex(channelId, 'expected a channel id of letters, digits, "-" and "_"'), z.discriminatedUnion('type', channelSchemas as never))
      .default({}),
    /** Who may command Herald from Telegram and Discord, and where approval cards go. */
    editors: editorsSchema.optional(),
    /** Articles with one of these topics are breaking news, like front matter `breaking: true`. */
    breaking: z.object({ topics: topicList }).strict().default({ topics: [] }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const telegram = c.editors?.telegram?.token ? c.editors.telegram : undefined;
    const discord = c.editors?.discord?.token ? c.editors.discord : undefined;
    for (const [id, ch] of Object.entries(c.channels as Record<string, { approval?: unknown }>)) {
      if (ch.approval !== undefined && !telegram && !discord) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', id, 'approval'],
          message: 'an approval window needs editors to decide: configure editors.telegram or editors.discord (with a token)',
        });
      } else if (ch.approval !== undefined && !telegram && discord && !discord.channelId) {
        ctx.addIssue({
          code: 'custom',
          path: ['editors', 'discord', 'channelId'],
          message: `channel ${id} has an approval window: set the editors' channel (channelId) where its approval cards go`,
        });
      }
    }
    if (telegram?.webhook && !(c.server.publicUrl ?? '').startsWith('https:')) {
      ctx.addIssue({
        code: 'custom',
        path: ['editors', 'telegram', 'webhook'],
        message: 'Telegram delivers webhooks only over https: set server.publicUrl to an https:// address, or use webhook: false (long polling)',
      });
    }
  });

export type RawConfig = z.infer<typeof configSchema>;

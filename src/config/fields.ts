/** Zod building blocks shared by the config schema and each channel's own schema. */
import { CronExpressionParser } from 'cron-parser';
import { Settings } from 'luxon';
import * as z from 'zod';
import { isKnownTimeZone } from '../util/time-zones.ts';
import { parseDuration } from './duration.ts';

export const duration = (example: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    if (typeof v === 'number') return v * 1000; // bare numbers are seconds
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like ${example} (units ms, s, m, h, d, w), got "${v}"` });
      return z.NEVER;
    }
    return ms;
  });

// cron-parser makes luxon dates without a locale, and luxon then asks ICU for the machine's
// (~15-20 ms the first time, at every start). Herald names the locale wherever it formats a
// date (render/filters.ts, pipeline/living.ts) and writes month names itself (permalinks), so
// luxon's default is fixed instead: nothing Herald prints depends on it.
Settings.defaultLocale = 'en-US';

export const cron = z.string().superRefine((v, ctx) => {
  try {
    CronExpressionParser.parse(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected a cron expression like "0 8 * * *" (minute hour day month weekday), got "${v}": ${(e as Error).message}` });
  }
});

export const topicList = z
  .union([z.string(), z.array(z.union([z.string(), z.number()]))])
  .transform((v) => (Array.isArray(v) ? v.map(String) : v === '' ? [] : [v]))
  .default([]);

export const httpUrl = z.string().superRefine((v, ctx) => {
  let ok = false;
  try {
    const u = new URL(v);
    ok = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {}
  if (!ok) ctx.addIssue({ code: 'custom', message: `expected an absolute http(s) URL like https://example.com/, got "${v}"` });
});

/** An IANA time zone that this Node knows. */
export const timezone = z.string().superRefine((v, ctx) => {
  if (!isKnownTimeZone(v)) ctx.addIssue({ code: 'custom', message: `expected an IANA time zone like "Asia/Shanghai" or "UTC", got "${v}"` });
});

/**
 * An editors' approval window: a due delivery waits for a decision in the editors' chats.
 * `window`: released automatically at its end (a digest's card comes that long before its
 * scheduled time); `required`: only a person releases it.
 */
export const approval = z
  .object({
    window: duration('15m').optional(),
    required: z.boolean().default(false),
    /** Breaking news waits for approval too (by default it skips the queue). */
    breaking: z.boolean().default(false),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.window === undefined && !a.required) {
      ctx.addIssue({ code: 'custom', message: 'expected window: 15m (released automatically at its end) or required: true (waits for an editor)' });
    }
    if (a.window !== undefined && a.window <= 0) ctx.addIssue({ code: 'custom', path: ['window'], message: 'expected a window longer than 0, like 15m' });
  });

export type ApprovalSettings = z.infer<typeof approval>;

/** Fields every channel has, whatever its type. */
export const channelBase = {
  topics: topicList,
  exclude: topicList,
  enabled: z.boolean().default(true),
  approval: approval.optional(),
  /** Only articles in these languages of the site (its codes, e.g. [zh]); unset: every language. */
  languages: z.array(z.string().min(1)).min(1, 'expected at least one language, or leave "languages" out for all').optional(),
};

/**
 * What a chat channel does with a post after it is out (see README "Living posts"): a
 * correction edits it (`onEdit`, with an "Updated" note, folded over the first `settle`);
 * a retraction deletes it, marks it "Retracted", or leaves it; a burst of articles
 * becomes one roundup.
 */
export const postLife = {
  onEdit: z.enum(['update', 'ignore']).default('update'),
  editNote: z.boolean().default(true),
  settle: duration('2m').default(120_000),
  onRetract: z.enum(['delete', 'mark', 'ignore']).default('mark'),
  retractOnExpiry: z.boolean().default(false),
  roundup: z
    .object({
      /** More than this many articles due within `window` become one roundup. */
      threshold: z.number().int().min(1, 'expected a threshold of at least 1, like 5'),
      window: duration('10m').default(600_000),
    })
    .strict()
    .optional(),
};

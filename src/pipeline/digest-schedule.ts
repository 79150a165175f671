import { CronExpressionParser } from 'cron-parser';

/** The first scheduled time strictly after `after`, in the site time zone. */
export function nextScheduled(schedule: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: timezone }).next().toDate();
}

/**
 * A digest is due when a scheduled time has passed since the channel's previous digest;
 * a new channel (no digest yet) counts from its first run.
 */
export function isDigestDue(schedule: string, timezone: string, since: Date, now: Date): boolean {
  return nextScheduled(schedule, timezone, since).getTime() <= now.getTime();
}

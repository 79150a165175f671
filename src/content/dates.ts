import { DateTime, FixedOffsetZone } from 'luxon';
import { TomlDate } from 'smol-toml';
import { YamlTimestamp } from './front-matter.ts';
import { ArticleParseError } from './errors.ts';
import { type Field, fieldError } from './values.ts';
import { isKnownTimeZone } from '../util/time-zones.ts';

/**
 * Every DateTime made here names its locale: without one, luxon asks Intl for the system's
 * (loading ICU's locale data, ~15 ms on each thread that parses). Nothing here formats by locale:
 * permalinks use numbers and Hugo's English month and day names, output is ISO.
 */
const LOCALE = 'en-US';

export const DATE_EXPECTATION = 'an ISO 8601 date like 2025-07-02T00:40:05+08:00';

// Date, optional time (after T, t or spaces), optional offset. Also covers YAML 1.1
// timestamps such as `2001-12-14 21:59:43.10 -5`.
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{1,2}(?::?\d{2})?)?)?$/;

export function assertValidZone(zone: string): void {
  if (!isKnownTimeZone(zone)) {
    throw new ArticleParseError(`site timezone "${zone}" is not a valid IANA time zone (e.g. Asia/Shanghai)`);
  }
}

/**
 * Reads a front matter date. Values with an offset (or Z) are exact instants and keep
 * that offset (Hugo's `:day` of `2007-06-03T01:38:17+08:00` is 03 whatever the site's
 * zone); values without one are wall-clock times in `zone`, as Hugo reads them with its
 * `timeZone` setting.
 */
export function parseDateField(field: Field, zone: string): DateTime {
  const { value } = field;
  let dt: DateTime | undefined;
  if (value instanceof YamlTimestamp) {
    dt = parseDateText(value.text, value.utc ? 'UTC' : zone);
  } else if (value instanceof TomlDate) {
    // TOML local date-times come back as TomlDate; its ISO text has no offset then.
    if (!value.isTime()) dt = parseDateText(value.toISOString(), zone);
  } else if (value instanceof Date) {
    dt = Number.isNaN(value.getTime()) ? undefined : DateTime.fromJSDate(value, { zone });
  } else if (typeof value === 'string') {
    dt = parseDateText(value, zone);
  }
  if (dt === undefined || !dt.isValid) throw fieldError(field, DATE_EXPECTATION);
  return dt;
}

/**
 * Parsed dates by zone and text: a page names the same date for several of its dates (a
 * `date` alone is also its publishDate). DateTimes are immutable, so sharing one is safe.
 */
const parsedDates = new Map<string, DateTime | undefined>();
const MAX_PARSED_DATES = 10_000;

export function parseDateText(text: string, zone: string): DateTime | undefined {
  const key = `${zone}\n${text}`;
  if (parsedDates.has(key)) return parsedDates.get(key);
  if (parsedDates.size >= MAX_PARSED_DATES) parsedDates.clear();
  const dt = parseDateTextNow(text, zone);
  parsedDates.set(key, dt);
  return dt;
}

function parseDateTextNow(text: string, zone: string): DateTime | undefined {
  const t = text.trim();
  const m = DATE_TIME.exec(t);
  if (m) {
    const [, date, hh, mm, ss, frac, offset] = m;
    const exact = offset !== undefined && hh !== undefined ? withOffset(date as string, hh, mm as string, ss, frac, offset) : undefined;
    if (exact) return exact;
    let iso = date as string;
    if (hh !== undefined) iso += `T${hh.padStart(2, '0')}:${mm}:${ss ?? '00'}${frac ? `.${frac}` : ''}${normalizeOffset(offset)}`;
    return offset === undefined ? DateTime.fromISO(iso, { zone, locale: LOCALE }) : DateTime.fromISO(iso, { setZone: true, locale: LOCALE });
  }
  // Go's "02 Jan 2006", which Hugo accepts.
  const dayMonthYear = DateTime.fromFormat(t, 'dd LLL yyyy', { zone, locale: 'en' });
  if (dayMonthYear.isValid) return dayMonthYear;
  // RFC 2822 ("Wed, 02 Jul 2025 00:40:05 +0800") shows up in feeds-turned-posts.
  const rfc = DateTime.fromRFC2822(t, { zone, setZone: true, locale: LOCALE });
  if (rfc.isValid) return rfc;
  // Other ISO 8601 spellings (basic format, week dates), but never a bare time of day.
  if (/^\d{4}-?(?:W\d|\d{2})/.test(t)) return DateTime.fromISO(t, { zone, setZone: true, locale: LOCALE });
  return undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The common case, a time with an offset, made from its instant: the DateTime
 * luxon's fromISO(…, { setZone: true }) gives (same instant, same fixed-offset zone), without
 * its general ISO parsing, which cost ~50 µs a date, a sixth of a cold scan. Anything out of
 * range (or an unusual year) is left to fromISO, so invalid dates stay invalid the same way.
 */
function withOffset(date: string, hh: string, mm: string, ss: string | undefined, frac: string | undefined, offset: string): DateTime | undefined {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const hour = Number(hh);
  const minute = Number(mm);
  const second = ss === undefined ? 0 : Number(ss);
  // luxon's reading of a fraction (TOML dates have ".000").
  const millisecond = frac === undefined ? 0 : Math.floor(Number.parseFloat(`0.${frac}`) * 1000);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
  let minutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const o = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(offset);
    if (!o) return undefined;
    minutes = (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3] ?? 0));
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  return DateTime.fromMillis(local - minutes * 60_000, { zone: FixedOffsetZone.instance(minutes), locale: LOCALE });
}

function normalizeOffset(offset: string | undefined): string {
  if (offset === undefined) return '';
  if (offset === 'Z' || offset === 'z') return 'Z';
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(offset);
  if (!m) return offset;
  return `${m[1]}${(m[2] as string).padStart(2, '0')}:${m[3] ?? '00'}`;
}

/** ISO 8601 instant in UTC with milliseconds, exactly like Date#toISOString. */
export function toUtcIso(dt: DateTime): string {
  return dt.toJSDate().toISOString();
}

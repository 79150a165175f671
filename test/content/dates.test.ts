import { DateTime } from 'luxon';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { assertValidZone, parseDateField, parseDateText, toUtcIso } from '../../src/content/dates.ts';
import { ArticleParseError } from '../../src/content/errors.ts';

const SH = 'Asia/Shanghai';
const utc = (value: unknown, zone = SH) => toUtcIso(parseDateField({ key: 'date', value }, zone));

describe('parseDateField', () => {
  it.each([
    ['2025-07-02T00:40:05+08:00', '2025-07-01T16:40:05.000Z'],
    ['2025-07-02T00:40:05Z', '2025-07-02T00:40:05.000Z'],
    ['2025-07-02T00:40:05.123-04:00', '2025-07-02T04:40:05.123Z'],
    ['2025-07-02T00:40:05+0530', '2025-07-01T19:10:05.000Z'],
    ['2001-12-14 21:59:43.10 -5', '2001-12-15T02:59:43.100Z'],
    ['Wed, 02 Jul 2025 00:40:05 +0800', '2025-07-01T16:40:05.000Z'],
  ])('reads %s with its own offset, whatever the site zone', (input, expected) => {
    expect(utc(input, 'America/New_York')).toBe(expected);
    expect(utc(input, SH)).toBe(expected);
  });

  it.each([
    ['2025-07-02 10:00', '2025-07-02T02:00:00.000Z'],
    ['2025-07-02T10:00:00', '2025-07-02T02:00:00.000Z'],
    ['2025-07-02t10:00', '2025-07-02T02:00:00.000Z'],
    ['2025-07-02 9:05:30', '2025-07-02T01:05:30.000Z'],
    ['2025-07-02', '2025-07-01T16:00:00.000Z'],
    ['  2025-07-02  ', '2025-07-01T16:00:00.000Z'],
  ])('reads offset-less %s as Asia/Shanghai wall-clock time', (input, expected) => {
    expect(utc(input)).toBe(expected);
  });

  it('uses the site zone, including its DST rules', () => {
    expect(utc('2025-07-02T10:00:00', 'America/New_York')).toBe('2025-07-02T14:00:00.000Z');
    expect(utc('2025-01-02T10:00:00', 'America/New_York')).toBe('2025-01-02T15:00:00.000Z');
  });

  it('reads TOML offset and local date-times (smol-toml TomlDate objects)', () => {
    const t = parseToml('a = 2025-07-03T09:30:00\nb = 2025-07-03\nc = 2025-07-03T09:30:00+02:00\nd = 2025-07-03 09:30:00Z');
    expect(utc(t.a)).toBe('2025-07-03T01:30:00.000Z');
    expect(utc(t.b)).toBe('2025-07-02T16:00:00.000Z');
    expect(utc(t.c)).toBe('2025-07-03T07:30:00.000Z');
    expect(utc(t.d)).toBe('2025-07-03T09:30:00.000Z');
  });

  it('accepts a plain Date as an exact instant', () => {
    expect(utc(new Date('2025-07-02T00:00:00Z'))).toBe('2025-07-02T00:00:00.000Z');
  });

  it.each([['2025-13-45'], ['2025-02-30'], ['yesterday'], ['10:00:00'], ['2025-07-02T25:00'], ['07/02/2025']])(
    'rejects %s naming the key and the expected format',
    (input) => {
      expect(() => utc(input)).toThrowError(
        new ArticleParseError(`front matter: "date" is "${input}", expected an ISO 8601 date like 2025-07-02T00:40:05+08:00`),
      );
    },
  );

  it('rejects non-string values and a TOML time of day', () => {
    expect(() => parseDateField({ key: 'publishDate', value: 2025 }, SH)).toThrow(
      'front matter: "publishDate" is 2025, expected an ISO 8601 date',
    );
    expect(() => parseDateField({ key: 'date', value: ['2025-07-02'] }, SH)).toThrow('"date" is a list');
    expect(() => parseDateField({ key: 'date', value: parseToml('t = 10:00:00').t }, SH)).toThrow('"date" is a date');
    expect(() => parseDateField({ key: 'date', value: new Date(Number.NaN) }, SH)).toThrow(ArticleParseError);
  });
});

describe('assertValidZone', () => {
  it('accepts IANA zones and rejects others', () => {
    expect(() => assertValidZone('Asia/Shanghai')).not.toThrow();
    expect(() => assertValidZone('Mars/Olympus')).toThrow('site timezone "Mars/Olympus" is not a valid IANA time zone');
  });
});

describe('parseDateText with an offset (made from the instant)', () => {
  it('gives what luxon reads from the same ISO text, invalid dates included', () => {
    const show = (d: DateTime | undefined) =>
      d === undefined ? 'none' : d.isValid ? `${d.toISO()} ${d.zoneName} ${d.offset} ${d.toMillis()} ${d.toFormat('yyyy LLL dd EEE HH:mm:ss.SSS')}` : `invalid ${d.invalidReason}`;
    const texts = [
      '2024-01-01T00:00:00+08:00', '2024-02-29T23:59:59-05:30', '2023-02-29T10:00:00+08:00', '2024-13-01T00:00:00Z',
      '2024-04-31T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T23:60:00Z', '2024-01-01T23:00:60Z', '2024-01-01 8:05:03 -5',
      '0999-01-01T00:00:00Z', '1000-01-01T00:00:00+14:00', '2024-06-30T12:00:00-00:30', '2024-06-30T12:00:00+0530',
      '2024-06-30T12:00:00+25:00', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2024-01-01T20:00:00.000+08:00',
      '2024-01-01T20:00:00.9999+08:00', '2024-01-01T20:00:00,5Z', '2024-01-01 00:00:00 +08',
    ];
    for (const text of texts) {
      const m = /^(\d{4}-\d{2}-\d{2})(?:[Tt]|\s+)(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|z|([+-])(\d{1,2}):?(\d{2})?)$/.exec(text);
      if (!m) throw new Error(`test input ${text}`);
      const offset = m[6] === 'Z' || m[6] === 'z' ? 'Z' : `${m[7]}${(m[8] as string).padStart(2, '0')}:${m[9] ?? '00'}`;
      const iso = `${m[1]}T${(m[2] as string).padStart(2, '0')}:${m[3]}:${m[4]}${m[5] ? `.${m[5]}` : ''}${offset}`;
      expect(show(parseDateText(text, 'Asia/Shanghai')), text).toBe(show(DateTime.fromISO(iso, { setZone: true })));
    }
  });
});

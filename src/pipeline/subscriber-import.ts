/**
 * Subscriber CSV, both ways: the one set of rules for `herald subscribers import|export`
 * and the dashboard. Header `email,name,topics` and optionally `status` (topics
 * `;`-separated); invalid rows are reported by line number (the header is line 1) and
 * skipped; addresses compare case-insensitively. Someone who unsubscribed (or bounced)
 * stays that way: an import never signs them up again, while an `unsubscribed` or
 * `bounced` status in the file is honoured (an imported suppression list wins).
 * Cells that a spreadsheet would read as a formula are exported with a leading `'`,
 * which the import takes off again.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { siteLanguages } from '../content/site.ts';
import type { SubscriberStatus } from '../store/types.ts';
import type { Herald } from './herald.ts';

/** The site's language codes (subscribers read in one of them). */
export function siteLanguageCodes(h: Pick<Herald, 'config'>): string[] {
  return siteLanguages(h.config.content, h.config.site).map((l) => l.code);
}

/** The site's spelling of a language code, compared case-insensitively; undefined if the site has no such language. */
export function siteLanguageCode(h: Pick<Herald, 'config'>, code: string): string | undefined {
  const wanted = code.trim().toLowerCase();
  return siteLanguageCodes(h).find((c) => c.toLowerCase() === wanted);
}

const emailSchema = z.email();

export function splitTopics(v: string | undefined, sep: string): string[] {
  return (v ?? '')
    .split(sep)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The trimmed address when it is valid, else undefined. */
export function checkEmail(v: string): string | undefined {
  const e = v.trim();
  return emailSchema.safeParse(e).success ? e : undefined;
}

/**
 * CSV (formula) injection, the OWASP way: a cell starting with `=`, `+`, `-`, `@`, tab or
 * CR (or the full-width `＝＋－＠` some spreadsheets read the same way) gets a leading `'`,
 * so a spreadsheet shows it as text. A cell that already starts with `'`s before such a
 * character gets one more, so that taking one off on import gives back exactly what was
 * exported.
 */
const FORMULA_START = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const GUARDED = /^'+[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function guardFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** Undoes guardFormula: `'` followed by a formula character loses that one quote. */
export function unguardFormula(cell: string): string {
  return GUARDED.test(cell) ? cell.slice(1) : cell;
}

export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['active', 'pending', 'unsubscribed', 'bounced'];
/** What a status cell may hold, for messages. */
export const EXPECTED_STATUSES = 'active, pending, unsubscribed or bounced';

/** The file as a whole is unusable (not CSV, no header): nothing was imported. */
export class CsvImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvImportError';
  }
}

export interface InvalidRow {
  /** 1-based line of the record; the header is line 1. */
  line: number;
  /** The cell that made the row invalid (with any formula guard taken off). */
  value: string;
  /** What the cell may hold, when that depends on the site (languages). */
  expected?: string;
  /** Which cell: not a valid address, a status other than EXPECTED_STATUSES, or a language the site does not have. */
  column: 'email' | 'status' | 'language';
}

/** One line saying why a row was skipped: `"x" is not a valid email address; row skipped`. */
export function describeInvalidRow(r: InvalidRow): string {
  if (r.column === 'language') return `"${r.value}" is not a language of the site${r.expected ? ` (expected ${r.expected})` : ''}; row skipped`;
  return r.column === 'status'
    ? `"${r.value}" is not a valid status (expected ${EXPECTED_STATUSES}); row skipped`
    : `"${r.value}" is not a valid email address; row skipped`;
}

export interface ImportResult {
  added: number;
  updated: number;
  /** Existing unsubscribed or bounced addresses whose status was left alone. */
  kept: number;
  invalid: InvalidRow[];
}

const isSuppressed = (s: SubscriberStatus) => s === 'unsubscribed' || s === 'bounced';
/** Statuses an imported unsubscribe or bounce may replace. */
const LIVE: readonly SubscriberStatus[] = ['active', 'pending'];

/** `config` tells which languages the site has (without it a language cell is taken as written). */
export async function importSubscribersCsv(h: Pick<Herald, 'store' | 'now'> & Partial<Pick<Herald, 'config'>>, csv: string | Buffer): Promise<ImportResult> {
  let records: string[][];
  try {
    records = parseCsv(csv, { bom: true, relax_column_count: true, skip_empty_lines: false, cast: unguardFormula }) as string[][];
  } catch (e) {
    throw new CsvImportError(`not a readable CSV file: ${(e as Error).message}`);
  }
  const header = (records[0] ?? []).map((c) => c.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('email') < 0) throw new CsvImportError(`line 1 must be a header with an "email" column (email,name,topics), got "${header.join(',')}"`);
  const result: ImportResult = { added: 0, updated: 0, kept: 0, invalid: [] };
  const now = h.now();
  for (let i = 1; i < records.length; i++) {
    const row = records[i] as string[];
    const line = i + 1; // the header is line 1
    if (row.every((c) => c.trim() === '')) continue;
    const raw = row[col('email')] ?? '';
    const email = checkEmail(raw);
    if (!email) {
      result.invalid.push({ line, value: raw, column: 'email' });
      continue;
    }
    const rawStatus = col('status') >= 0 ? (row[col('status')] ?? '') : '';
    const wanted = rawStatus.trim() === '' ? undefined : SUBSCRIBER_STATUSES.find((s) => s === rawStatus.trim().toLowerCase());
    if (rawStatus.trim() !== '' && wanted === undefined) {
      result.invalid.push({ line, value: rawStatus, column: 'status' });
      continue;
    }
    // A language cell: one of the site's codes; empty = as without the column.
    const rawLanguage = col('language') >= 0 ? (row[col('language')] ?? '').trim() : '';
    const language = rawLanguage === '' ? undefined : h.config ? siteLanguageCode({ config: h.config }, rawLanguage) : rawLanguage;
    if (rawLanguage !== '' && language === undefined) {
      result.invalid.push({ line, value: rawLanguage, column: 'language', expected: h.config ? siteLanguageCodes({ config: h.config }).join(', ') : undefined });
      continue;
    }
    const name = col('name') >= 0 ? row[col('name')]?.trim() || undefined : undefined;
    const topics = col('topics') >= 0 ? splitTopics(row[col('topics')], ';') : undefined;
    const existing = await h.store.getSubscriber(email);
    if (!existing) {
      // A new address: as the row says (an unsubscribed or bounced one is on record, so it stays suppressed), else active.
      // Should it appear meanwhile (a sign-up), the same rule as below applies to it.
      const { created } = await h.store.upsertSubscriber({ email, name, topics, language, status: wanted ?? 'active', ifStatusIn: wanted && isSuppressed(wanted) ? LIVE : ['pending'] }, now);
      if (created) result.added++;
      else result.updated++;
      continue;
    }
    // Someone who unsubscribed or bounced stays so: an import never signs them up again.
    // Each status change names the statuses it may replace, checked as it is written, so a
    // reader who unsubscribes while the import runs is never signed up again either.
    let change: { status: SubscriberStatus; ifStatusIn: readonly SubscriberStatus[] } | undefined;
    if (isSuppressed(existing.status)) result.kept++;
    // As the reader's own unsubscribe does, which also cancels their pending deliveries.
    else if (wanted === 'unsubscribed') await h.store.unsubscribe(existing.id, now);
    else if (wanted === 'bounced') change = { status: 'bounced', ifStatusIn: LIVE };
    // No status (or `active`) makes a pending address active; `pending` changes nothing.
    else if (existing.status === 'pending' && wanted !== 'pending') change = { status: 'active', ifStatusIn: ['pending'] };
    const { subscriber } = await h.store.upsertSubscriber({ email, name, topics, language, ...change }, now);
    if (subscriber.status === 'bounced' && change?.status === 'bounced') await h.store.cancelPendingDeliveries(existing.id, 'bounced', now);
    result.updated++;
  }
  return result;
}

export const EXPORT_HEADER = ['email', 'name', 'topics', 'status'];

/**
 * Every subscriber as CSV (`email,name,topics,status`, and `language` on a site with more
 * than one language), a page of rows at a time, formulas guarded.
 */
export async function exportSubscribersCsv(h: Pick<Herald, 'store'> & Partial<Pick<Herald, 'config'>>, write: (chunk: string) => void): Promise<void> {
  const withLanguage = h.config !== undefined && siteLanguageCodes({ config: h.config }).length > 1;
  write(stringify([withLanguage ? [...EXPORT_HEADER, 'language'] : EXPORT_HEADER]));
  for (let after = 0; ; ) {
    const page = await h.store.subscribers({ afterId: after, limit: 1000 });
    if (page.length === 0) break;
    const rows = page.map((s) => [s.email, s.name ?? '', s.topics.join(';'), s.status, ...(withLanguage ? [s.language ?? ''] : [])]);
    write(stringify(rows, { cast: { string: guardFormula } }));
    after = page[page.length - 1]!.id;
  }
}

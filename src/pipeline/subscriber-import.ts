/**
 * Subscriber CSV, both ways: the one set of rules for `herald subscribers import|export`
 * and the dashboard. Header `email,name,topics` and optionally `status` (topics
 * `;`-separated); invalid rows are reported by line number (the header is line 1) and
 * skipped; addresses compare case-insensitively. Someone who unsubscribed (or bounced, or
 * complained) stays that way: an import never signs them up again, while an `unsubscribed`,
 * `bounced` or `complained` status in the file is honoured (an imported suppression list wins).
 * Cells that a spreadsheet would read as a formula are exported with a leading `'`,
 * which the import takes off again.
 */
import { sendsAlerts } from './breaking.ts';
import { finished } from 'node:stream/promises';
import { parse as parseCsvStream } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import * as z from 'zod';
import { siteLanguages } from '../content/site.ts';
import { isSuppressed, SUBSCRIBER_STATUSES } from '../store/subscriber-status.ts';
import type { ConsentContext, SubscriberStatus, SubscriberUpsert } from '../store/types.ts';
import type { Logger } from '../util/logger.ts';
import type { Herald } from './herald.ts';
import { checkName, describeNameProblem, type NameProblem, showValue } from './subscriber-name.ts';

const emailSchema = z.email();

/** The site's language codes (subscribers read in one of them). */
export function siteLanguageCodes(h: Pick<Herald, 'config'>): string[] {
  return siteLanguages(h.config.content, h.config.site).map((l) => l.code);
}

/** The site's spelling of a language code, compared case-insensitively; undefined if the site has no such language. */
export function siteLanguageCode(h: Pick<Herald, 'config'>, code: string): string | undefined {
  const wanted = code.trim().toLowerCase();
  return siteLanguageCodes(h).find((c) => c.toLowerCase() === wanted);
}

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

export { SUBSCRIBER_STATUSES };
/** What a status cell may hold, for messages. */
export const EXPECTED_STATUSES = 'active, pending, unsubscribed, bounced or complained';

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
  /** Which cell: not a valid address, a status other than EXPECTED_STATUSES, a name breaking the name rule, or a language the site does not have. */
  column: 'email' | 'status' | 'name' | 'language' | 'alerts';
  /** For a name: what is wrong with it. */
  problem?: NameProblem;
}

/** One line saying why a row was skipped: `"x" is not a valid email address; row skipped`. */
export function describeInvalidRow(r: InvalidRow): string {
  if (r.column === 'name') return `name "${showValue(r.value)}" ${describeNameProblem(r.problem ?? 'control')}; row skipped`;
  if (r.column === 'alerts') return `alerts "${showValue(r.value)}" is not yes or no; row skipped`;
  if (r.column === 'language') return `"${r.value}" is not a language of the site${r.expected ? ` (expected ${r.expected})` : ''}; row skipped`;
  return r.column === 'status'
    ? `"${r.value}" is not a valid status (expected ${EXPECTED_STATUSES}); row skipped`
    : `"${r.value}" is not a valid email address; row skipped`;
}

export interface ImportResult {
  added: number;
  updated: number;
  /** Existing unsubscribed, bounced or complained addresses whose status was left alone. */
  kept: number;
  invalid: InvalidRow[];
}

/** Statuses an imported suppression (unsubscribed, bounced, complained) may replace. */
const LIVE: readonly SubscriberStatus[] = ['active', 'pending'];

export interface ImportOptions {
  /** Rows written per transaction (default 200); the server answers other requests between them. */
  batchSize?: number;
  /** After each batch: data rows handled so far, and in all. */
  onProgress?: (p: { done: number; total: number }) => void;
  /** Recorded with every status change the import makes; each row adds its line number. */
  by?: ConsentContext;
}

/** Characters (or bytes) parsed between two turns of the event loop. */
const PARSE_CHUNK = 16 * 1024;

/** Lets the event loop answer requests (and timers) before the next slice of work. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The input in slices of about PARSE_CHUNK; a string is never cut inside a surrogate pair. */
function* slices(input: string | Buffer): Generator<string | Buffer> {
  for (let at = 0; at < input.length; ) {
    let end = Math.min(at + PARSE_CHUNK, input.length);
    if (typeof input === 'string' && end < input.length && /[\uD800-\uDBFF]/.test(input[end - 1] ?? '')) end--;
    yield input.slice(at, end);
    at = end;
  }
}

/**
 * Every record of the file, parsed a slice at a time with the event loop served in
 * between. A file that is not CSV fails here, before anything is written.
 */
async function readRecords(input: string | Buffer): Promise<string[][]> {
  const parser = parseCsvStream({ bom: true, relax_column_count: true, skip_empty_lines: false, cast: unguardFormula });
  const records: string[][] = [];
  let failure: Error | undefined;
  parser.on('data', (r: string[]) => records.push(r));
  parser.on('error', (e: Error) => {
    failure = e;
  });
  for (const slice of slices(input)) {
    if (failure !== undefined) break;
    parser.write(slice);
    await yieldToLoop();
  }
  if (failure === undefined) {
    parser.end();
    await finished(parser).catch((e: Error) => {
      failure = e;
    });
  }
  if (failure !== undefined) throw new CsvImportError(`not a readable CSV file: ${failure.message}`);
  return records;
}

interface Candidate {
  line: number;
  email: string;
  name?: string;
  topics?: string[];
  language?: string;
  alerts?: boolean;
  wanted?: SubscriberStatus;
}

/**
 * Imports a CSV of subscribers: parsed first (nothing is written from a file that is not
 * CSV), then written `batchSize` rows per transaction, the event loop served between
 * batches, so a server importing 60,000 rows keeps answering.
 */
export async function importSubscribersCsv(
  h: Pick<Herald, 'store' | 'now'> & Partial<Pick<Herald, 'config'>>,
  csv: string | Buffer,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const records = await readRecords(csv);
  const header = (records[0] ?? []).map((c) => c.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('email') < 0) throw new CsvImportError(`line 1 must be a header with an "email" column (email,name,topics), got "${header.join(',')}"`);
  const result: ImportResult = { added: 0, updated: 0, kept: 0, invalid: [] };
  const now = h.now();
  const by = opts.by ?? { source: 'import' };
  const batchSize = Math.max(1, opts.batchSize ?? 200);
  const total = records.length - 1;

  /** One row checked: a candidate to write, or an invalid row (recorded), or nothing (an empty line). */
  const check = (row: string[], line: number): Candidate | undefined => {
    if (row.every((c) => c.trim() === '')) return undefined;
    const raw = row[col('email')] ?? '';
    const email = checkEmail(raw);
    if (!email) {
      result.invalid.push({ line, value: raw, column: 'email' });
      return undefined;
    }
    const rawStatus = col('status') >= 0 ? (row[col('status')] ?? '') : '';
    const wanted = rawStatus.trim() === '' ? undefined : SUBSCRIBER_STATUSES.find((s) => s === rawStatus.trim().toLowerCase());
    if (rawStatus.trim() !== '' && wanted === undefined) {
      result.invalid.push({ line, value: rawStatus, column: 'status' });
      return undefined;
    }
    const rawName = col('name') >= 0 ? (row[col('name')] ?? '') : '';
    const name = checkName(rawName);
    if (!name.ok) {
      result.invalid.push({ line, value: rawName, column: 'name', problem: name.problem });
      return undefined;
    }
    // A language cell: one of the site's codes; empty = as without the column. Without `config`, taken as written.
    const rawLanguage = col('language') >= 0 ? (row[col('language')] ?? '').trim() : '';
    const language = rawLanguage === '' ? undefined : h.config ? siteLanguageCode({ config: h.config }, rawLanguage) : rawLanguage;
    if (rawLanguage !== '' && language === undefined) {
      result.invalid.push({ line, value: rawLanguage, column: 'language', expected: h.config ? siteLanguageCodes({ config: h.config }).join(', ') : undefined });
      return undefined;
    }
    // Breaking-news alerts: yes/no (true/false, 1/0); empty = as without the column.
    const rawAlerts = col('alerts') >= 0 ? (row[col('alerts')] ?? '').trim().toLowerCase() : '';
    const alerts = rawAlerts === '' ? undefined : ['yes', 'true', '1', 'y'].includes(rawAlerts) ? true : ['no', 'false', '0', 'n'].includes(rawAlerts) ? false : null;
    if (alerts === null) {
      result.invalid.push({ line, value: row[col('alerts')] ?? '', column: 'alerts' });
      return undefined;
    }
    const topics = col('topics') >= 0 ? splitTopics(row[col('topics')], ';') : undefined;
    return { line, email, name: name.name, topics, language, wanted, ...(alerts === undefined ? {} : { alerts }) };
  };

  /** Decides each row against the subscribers as they are now, then writes the batch in one transaction. */
  const write = async (batch: Candidate[]) => {
    if (batch.length === 0) return;
    const existing = await h.store.subscribersByEmails(batch.map((c) => c.email));
    const rows: Array<SubscriberUpsert & { detail: string }> = [];
    const isNew: boolean[] = [];
    for (const c of batch) {
      const base = { email: c.email, name: c.name, topics: c.topics, language: c.language, alerts: c.alerts, detail: `line ${c.line}` };
      const found = existing.get(c.email.toLowerCase());
      isNew.push(!found);
      if (!found) {
        // A new address: as the row says (a suppressed one is on record, so it stays suppressed), else active.
        // Should it appear meanwhile (a sign-up), the same rule as below applies to it.
        rows.push({ ...base, status: c.wanted ?? 'active', ifStatusIn: c.wanted && isSuppressed(c.wanted) ? LIVE : ['pending'] });
        continue;
      }
      // Someone who unsubscribed, bounced or complained stays so: an import never signs them up
      // again (the store refuses it too). Each status change names the statuses it may replace,
      // checked as it is written, so a reader who unsubscribes meanwhile is never signed up again.
      let change: Pick<SubscriberUpsert, 'status' | 'ifStatusIn'> = {};
      if (isSuppressed(found.status)) result.kept++;
      // Into a suppression: the store cancels what was pending for them, as the reader's own unsubscribe does.
      else if (c.wanted && isSuppressed(c.wanted)) change = { status: c.wanted, ifStatusIn: LIVE };
      // No status (or `active`) makes a pending address active; `pending` changes nothing.
      else if (found.status === 'pending' && c.wanted !== 'pending') change = { status: 'active', ifStatusIn: ['pending'] };
      rows.push({ ...base, ...change });
    }
    const written = await h.store.upsertSubscribers(rows, now, by);
    written.forEach((w, i) => {
      if (isNew[i] && w.created) result.added++;
      else result.updated++;
    });
  };

  let batch: Candidate[] = [];
  const inBatch = new Set<string>();
  for (let i = 1; i < records.length; i++) {
    const c = check(records[i] as string[], i + 1); // the header is line 1
    if (c) {
      // The same address twice: the second row is decided after the first is written.
      if (inBatch.has(c.email.toLowerCase())) {
        await write(batch);
        batch = [];
        inBatch.clear();
      }
      batch.push(c);
      inBatch.add(c.email.toLowerCase());
    }
    // Invalid and empty rows count too: a file of 60,000 bad rows is checked in slices as well.
    if (batch.length >= batchSize || i % batchSize === 0 || i === records.length - 1) {
      await write(batch);
      batch = [];
      inBatch.clear();
      opts.onProgress?.({ done: i, total });
      await yieldToLoop();
    }
  }
  return result;
}

/**
 * An onProgress for a log: one line at each tenth of a large import (from 10,000 rows), so
 * whoever watches the log of `herald serve` or a non-interactive `herald subscribers import`
 * sees it advance.
 */
export function logImportProgress(log: Pick<Logger, 'info'>, label: string): NonNullable<ImportOptions['onProgress']> {
  let shown = 0;
  return ({ done, total }) => {
    if (total < 10_000) return;
    const tenth = Math.floor((done * 10) / total);
    if (tenth <= shown) return;
    shown = tenth;
    log.info(`${label}: ${done} of ${total} rows`);
  };
}

export const EXPORT_HEADER = ['email', 'name', 'topics', 'status'];

/** Every subscriber as CSV (`email,name,topics,status`), a page of rows at a time, formulas guarded. */
export async function exportSubscribersCsv(h: Pick<Herald, 'store'> & Partial<Pick<Herald, 'config'>>, write: (chunk: string) => void): Promise<void> {
  const withLanguage = h.config !== undefined && siteLanguageCodes({ config: h.config }).length > 1;
  // The alerts column where a channel emails breaking news (the preference means nothing elsewhere).
  const withAlerts = h.config?.channels.some(sendsAlerts) === true;
  write(stringify([[...EXPORT_HEADER, ...(withLanguage ? ['language'] : []), ...(withAlerts ? ['alerts'] : [])]]));
  for (let after = 0; ; ) {
    const page = await h.store.subscribers({ afterId: after, limit: 1000 });
    if (page.length === 0) break;
    const rows = page.map((s) => [s.email, s.name ?? '', s.topics.join(';'), s.status, ...(withLanguage ? [s.language ?? ''] : []), ...(withAlerts ? [s.alerts ? 'yes' : 'no'] : [])]);
    write(stringify(rows, { cast: { string: guardFormula } }));
    after = page[page.length - 1]!.id;
  }
}

/**
 * Subscriber CSV, both ways: the one set of rules for `herald subscribers import|export`
 * and the dashboard. Header `email,name,topics` (topics `;`-separated); invalid rows are
 * reported by line number (the header is line 1) and skipped; addresses compare
 * case-insensitively; someone who unsubscribed (or bounced) stays that way.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { Herald } from './herald.ts';

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
  value: string;
}

export interface ImportResult {
  added: number;
  updated: number;
  /** Existing unsubscribed or bounced addresses whose status was left alone. */
  kept: number;
  invalid: InvalidRow[];
}

export async function importSubscribersCsv(h: Herald, csv: string | Buffer): Promise<ImportResult> {
  let records: string[][];
  try {
    records = parseCsv(csv, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
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
      result.invalid.push({ line, value: raw });
      continue;
    }
    const name = col('name') >= 0 ? row[col('name')]?.trim() || undefined : undefined;
    const topics = col('topics') >= 0 ? splitTopics(row[col('topics')], ';') : undefined;
    // Someone who unsubscribed stays unsubscribed: an import never signs them up again.
    const existing = await h.store.getSubscriber(email);
    const status = !existing || existing.status === 'pending' ? 'active' : undefined;
    if (existing && status === undefined) result.kept++;
    const { created } = await h.store.upsertSubscriber({ email, name, topics, status }, now);
    if (created) result.added++;
    else result.updated++;
  }
  return result;
}

export const EXPORT_HEADER = ['email', 'name', 'topics', 'status'];

/** Every subscriber as CSV (`email,name,topics,status`), a page of rows at a time. */
export async function exportSubscribersCsv(h: Herald, write: (chunk: string) => void): Promise<void> {
  write(stringify([EXPORT_HEADER]));
  for (let after = 0; ; ) {
    const page = await h.store.subscribers({ afterId: after, limit: 1000 });
    if (page.length === 0) break;
    write(stringify(page.map((s) => [s.email, s.name ?? '', s.topics.join(';'), s.status])));
    after = page[page.length - 1]!.id;
  }
}

/**
 * Consent records (GDPR's proof of consent): every change of a subscriber's status with
 * when, from what, to what, by which source, and the client address of web actions, as
 * CSV for `herald subscribers history --all` and the dashboard. Formula cells are guarded
 * like the subscriber export.
 */
import { stringify } from 'csv-stringify/sync';
import type { ConsentEvent } from '../store/types.ts';
import type { Herald } from './herald.ts';
import { guardFormula } from './subscriber-import.ts';

export const CONSENT_HEADER = ['at', 'email', 'from', 'to', 'source', 'ip', 'detail'];

function cells(e: ConsentEvent, email: string): string[] {
  return [e.at, email, e.from ?? '', e.to, e.source, e.ip ?? '', e.detail ?? ''];
}

/** Every consent record of every subscriber, oldest first, a page at a time. */
export async function exportConsentCsv(h: Pick<Herald, 'store'>, write: (chunk: string) => void): Promise<void> {
  write(stringify([CONSENT_HEADER]));
  for (let after = 0; ; ) {
    const page = await h.store.consentEvents({ afterId: after, limit: 1000 });
    if (page.length === 0) break;
    write(
      stringify(
        page.map((e) => cells(e, e.email ?? '')),
        { cast: { string: guardFormula } },
      ),
    );
    after = page[page.length - 1]!.id;
  }
}

/** One subscriber's consent records as CSV. */
export function consentCsv(email: string, events: ConsentEvent[]): string {
  return stringify([CONSENT_HEADER, ...events.map((e) => cells(e, email))], { cast: { string: guardFormula } });
}

/** One line per record for a terminal: `2025-07-02T01:00:00.000Z  unsubscribed → active  confirm  203.0.113.9  re-subscription request #4`. */
export function describeConsentEvent(e: ConsentEvent): string {
  const change = e.from === undefined ? `created ${e.to}` : e.from === e.to ? `${e.to} (unchanged)` : `${e.from} → ${e.to}`;
  return [e.at, change, e.source, e.ip, e.detail].filter((x) => x !== undefined && x !== '').join('  ');
}

/**
 * The bounce mailbox (bounces.mailbox), read over IMAP with imapflow: every message in the
 * folder is parsed (parse-report.ts); each bounce or complaint report is recorded, then moved
 * into bounces.processed (created when missing) so it is never read twice. A message that is
 * no report is left exactly as it is: not moved, not flagged, not marked read (it is fetched
 * with BODY.PEEK). Recording is idempotent too (one event per report and recipient), so a
 * fetch that stops between recording and moving repeats nothing.
 */
import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Herald } from '../pipeline/herald.ts';
import { errorMessage, redact } from '../util/secrets.ts';
import { parseReport } from './parse-report.ts';
import { matchReport, recordReport } from './record.ts';

export interface FetchResult {
  /** Messages looked at. */
  read: number;
  /** Bounce and complaint reports among them (moved to the processed folder). */
  reports: number;
  /** Events recorded (one per failed recipient). */
  recorded: number;
  /** Events recorded without a delivery or subscriber. */
  unmatched: number;
  /** Subscribers whose status these reports changed. */
  suppressed: number;
  /** Messages that are no report, left untouched. */
  ignored: number;
  /** Reports Herald could not read or match, in words. */
  problems: string[];
}

/** Messages downloaded at a time. */
const FETCH_BATCH = 50;

/** Set when the processed folder cannot be used: the report is flagged instead of moved. */
const PROCESSED_KEYWORD = '$HeraldProcessed';

export function mailboxTarget(url: string): { options: ImapFlowOptions; folder: string; display: string } {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? (secure ? 993 : 143) : Number(u.port);
  const folder = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX';
  const options = {
    host,
    port,
    secure,
    // imap://: STARTTLS is required, never a password over plain text.
    ...(secure ? {} : { doSTARTTLS: true }),
    auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
    logger: false as const,
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as ImapFlowOptions;
  return { options, folder, display: `${host}:${port}/${folder}` };
}

export async function fetchBounces(h: Herald): Promise<FetchResult> {
  const b = h.config.bounces;
  if (!b.mailbox) throw new Error('bounces.mailbox is not set: nothing to fetch (see README, Bounces and complaints)');
  const { options, folder, display } = mailboxTarget(b.mailbox);
  const client = new ImapFlow({
    ...options,
    tls: { rejectUnauthorized: b.tls.rejectUnauthorized, ...(options.host && isIP(options.host) === 0 ? { servername: options.host } : {}) },
  });
  // A dropped connection is reported by the command that was running; this keeps it from crashing the process.
  client.on('error', () => {});
  const result: FetchResult = { read: 0, reports: 0, recorded: 0, unmatched: 0, suppressed: 0, ignored: 0, problems: [] };
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`bounce mailbox ${display}: could not connect or log in: ${imapError(e)}`);
  }
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      // The list first (flags only), then the messages a batch at a time: memory stays bounded
      // however full the folder is. Each FETCH is read to its end before the next command.
      const uids: number[] = [];
      for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
        if (!m.flags?.has(PROCESSED_KEYWORD)) uids.push(m.uid);
      }
      for (let i = 0; i < uids.length; i += FETCH_BATCH) {
        const messages: Array<{ uid: number; source: Buffer }> = [];
        for await (const m of client.fetch(uids.slice(i, i + FETCH_BATCH), { uid: true, source: true }, { uid: true })) {
          if (m.source) messages.push({ uid: m.uid, source: m.source });
        }
        const done: number[] = [];
        for (const m of messages) {
          result.read++;
          const isReport = await processMessage(h, m.source, result);
          if (isReport) done.push(m.uid);
          else result.ignored++;
        }
        if (done.length > 0) await markProcessed(h, client, done, b.processed, result);
      }
    } finally {
      lock.release();
    }
  } catch (e) {
    throw new Error(`bounce mailbox ${display}: ${imapError(e)}`);
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}

/** Records one message's report; false when it is no report (left alone). */
async function processMessage(h: Herald, source: Buffer, result: FetchResult): Promise<boolean> {
  const report = await parseReport(source);
  if (report.kind === 'none') return false;
  result.reports++;
  const match = await matchReport(h, { returnPaths: report.returnPaths, messageId: report.originalMessageId });
  const what = `${report.subject ? `"${report.subject.slice(0, 80)}"` : 'a report'} (${report.reportId.slice(0, 80)})`;
  const items =
    report.recipients.length > 0
      ? report.recipients
      : report.problem
        ? [{ type: 'unknown' as const, diagnostic: report.problem }]
        : []; // a delay notice or a "not spam" report: nothing to record
  for (const [i, r] of items.entries()) {
    const unreadable = report.problem && report.recipients.length === 0 ? `unreadable report: ${report.problem}` : undefined;
    const { event, duplicate } = await recordReport(
      h,
      {
        key: `imap:${report.reportId}:${r.recipient?.toLowerCase() ?? i}`,
        source: 'imap',
        type: r.type,
        ...(r.code ? { code: r.code } : {}),
        ...(r.diagnostic ? { diagnostic: r.diagnostic } : {}),
        ...(r.recipient ? { recipient: r.recipient } : {}),
      },
      unreadable ? { unmatched: unreadable } : match,
    );
    if (duplicate) continue;
    result.recorded++;
    if (event.applied) result.suppressed++;
    if (event.unmatched) {
      result.unmatched++;
      result.problems.push(`${what}: ${r.recipient ? `${r.recipient}: ` : ''}${event.unmatched}`);
    }
  }
  return true;
}

async function markProcessed(h: Herald, client: ImapFlow, uids: number[], processed: string, result: FetchResult): Promise<void> {
  try {
    const list = await client.list();
    if (!list.some((m) => m.path === processed)) await client.mailboxCreate(processed);
    const moved = await client.messageMove(uids, processed, { uid: true });
    if (moved) return;
    throw new Error('the server refused the move');
  } catch (e) {
    // Kept in place but marked, so the next fetch skips them.
    h.log.warn(`bounce mailbox: could not move ${uids.length} report(s) to ${processed} (${imapError(e)}); flagging them ${PROCESSED_KEYWORD} instead`);
    await client.messageFlagsAdd(uids, [PROCESSED_KEYWORD, '\\Seen'], { uid: true });
    result.problems.push(`could not move reports to ${processed}: ${imapError(e)}; flagged them instead`);
  }
}

function imapError(e: unknown): string {
  const x = e as { responseText?: string; code?: string; authenticationFailed?: boolean };
  if (x?.authenticationFailed) return 'the server rejected the user or password';
  return redact([errorMessage(e), x?.responseText].filter(Boolean).join(': '));
}

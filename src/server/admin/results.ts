/** Pipeline results in the site's language, for the flash message after an action. */
import type { ChannelRunResult } from '../../pipeline/deliver.ts';
import type { PassResult } from '../../pipeline/dispatch.ts';
import type { Herald } from '../../pipeline/herald.ts';
import type { Flash } from './auth.ts';
import { tr } from './context.ts';

/** A flash can outlive a huge import report; the page shows the first lines and how many more. */
export const MAX_FLASH_LINES = 100;

export function capLines(h: Herald, lines: string[]): string[] {
  if (lines.length <= MAX_FLASH_LINES) return lines;
  return [...lines.slice(0, MAX_FLASH_LINES), tr(h, 'admin_more_lines', { count: lines.length - MAX_FLASH_LINES })];
}

export function runOk(run: ChannelRunResult): boolean {
  return run.failed === 0 && !run.gaveUp && !run.paused;
}

export function runLines(h: Herald, run: ChannelRunResult): string[] {
  const lines = [tr(h, 'admin_run_summary', { channel: run.channelId, sent: run.sent, failed: run.failed, deferred: run.deferred })];
  // Pipeline messages are already redacted and name the channel; they stay in English like the logs.
  lines.push(...run.messages);
  if (run.gaveUp) lines.push(run.gaveUp);
  if (run.paused && !run.messages.includes(run.paused)) lines.push(run.paused);
  return lines;
}

export function passFlash(h: Herald, text: string, r: PassResult): Flash {
  const lines: string[] = [];
  for (const d of r.digests) {
    if (d.skipped === 'no-articles') lines.push(tr(h, 'admin_digest_empty', { channel: d.channelId }));
    else if (!d.skipped) lines.push(tr(h, 'admin_digest_made', { channel: d.channelId, count: d.articles.length, recipients: d.recipients }));
  }
  for (const run of r.runs) if (run.sent || run.failed || run.deferred || run.messages.length) lines.push(...runLines(h, run));
  lines.push(...r.errors);
  if (lines.length === 0) lines.push(tr(h, 'admin_nothing_to_send'));
  return { kind: r.ok ? 'ok' : 'error', text, lines: capLines(h, lines) };
}

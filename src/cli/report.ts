/** Plain-words summaries of a pass, for the terminal (stdout). */
import type { PassResult } from '../pipeline/dispatch.ts';

export function describePass(r: PassResult, opts: { dryRun?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`skipped ${p.file}: ${p.reason}`);
  for (const p of r.plans) {
    const bits: string[] = [];
    if (p.firstContact) bits.push('first run');
    if (p.due.length) bits.push(`${p.due.length} due (${p.due.join(', ')})`);
    if (p.baseline.length) bits.push(`${p.baseline.length} older than the lookback recorded as baseline`);
    if (p.tooOld.length) bits.push(`${p.tooOld.length} too old when first seen, not sent`);
    if (p.waiting.length) bits.push(`${p.waiting.length} waiting for the next digest`);
    if (bits.length) lines.push(`${p.channelId}: ${bits.join('; ')}`);
  }
  for (const d of r.digests) {
    if (d.skipped === 'no-articles') lines.push(`${d.channelId}: digest time, but no new articles: no email`);
    else if (!d.skipped)
      lines.push(`${d.channelId}: ${opts.dryRun ? 'would make' : 'made'} a digest of ${d.articles.length} article(s) for ${d.recipients} subscriber(s)`);
  }
  for (const l of r.living ?? []) {
    const done = [l.edited ? `${l.edited} post(s) edited` : '', l.retracted ? `${l.retracted} retracted` : '', l.reposted ? `${l.reposted} to post again` : ''].filter(Boolean);
    if (done.length > 0) lines.push(`${l.channelId}: ${done.join(', ')}`);
    for (const m of l.messages) lines.push(`  ${l.channelId}: ${m}`);
  }
  for (const run of r.runs) {
    if (run.sent || run.failed || run.deferred) lines.push(`${run.channelId}: ${run.sent} sent, ${run.failed} failed, ${run.deferred} left pending for a later attempt`);
    for (const m of run.messages) lines.push(`  ${m}`);
    if (run.gaveUp) lines.push(`  ${run.gaveUp}`);
  }
  for (const e of r.errors) lines.push(e);
  if (lines.length === 0) lines.push(opts.dryRun ? 'nothing is due' : 'nothing to send');
  return lines;
}

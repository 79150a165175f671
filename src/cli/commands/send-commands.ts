/** dispatch, digest, retry, send: the commands that plan and send. */
import type { Command } from 'commander';
import { articleStatus } from '../../content/article.ts';
import { deliverChannel } from '../../pipeline/deliver.ts';
import { runPass, type PassResult } from '../../pipeline/dispatch.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { articleDeliveries } from '../../pipeline/plan.ts';
import { scanAndRecord } from '../../pipeline/scan.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { progressFor } from '../progress.ts';
import { describePass } from '../report.ts';
import { type GlobalOptions, requireChannel, withHerald } from '../session.ts';

async function pendingTotal(h: Herald, channels?: string[]): Promise<number> {
  return (await h.store.counts()).filter((c) => !channels || channels.includes(c.channelId)).reduce((n, c) => n + c.pending, 0);
}

async function passWithProgress(h: Herald, opts: Parameters<typeof runPass>[1] = {}): Promise<PassResult> {
  if (opts.dryRun) return runPass(h, opts);
  // Plan first so the bar knows the total, then send.
  const planned = await runPass(h, { ...opts, planOnly: true });
  const bar = progressFor(await pendingTotal(h, opts.channels));
  try {
    const sent = await runPass(h, { ...opts, forceDigest: undefined, onResult: () => bar.tick() });
    // Report what the planning pass decided together with what was sent.
    return {
      ...sent,
      plans: planned.plans,
      digests: planned.digests,
      errors: [...planned.errors, ...sent.errors],
      ok: sent.ok && planned.errors.length === 0,
    };
  } finally {
    bar.stop();
  }
}

function finish(r: PassResult, dryRun?: boolean): number {
  for (const l of describePass(r, { dryRun })) console.log(l);
  return r.ok ? EXIT.ok : EXIT.failed;
}

export function registerSendCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('dispatch')
    .description('one scheduler pass: plan and send everything due now, then exit')
    .option('--dry-run', 'show what is due without writing or sending anything')
    .action(act(async (o: { dryRun?: boolean }) =>
      withHerald(g(), async (h) => finish(await passWithProgress(h, { dryRun: o.dryRun }), o.dryRun)),
    ));

  program
    .command('digest <channel>')
    .description("make and send that email channel's digest now, whatever its schedule")
    .option('--dry-run', 'show what the digest would hold and for how many subscribers')
    .action(act(async (channel: string, o: { dryRun?: boolean }) =>
      withHerald(g(), async (h) => {
        requireChannel(h, channel, (c) => (c.type === 'email' && c.mode === 'digest' ? undefined : `channel "${channel}" is not an email digest channel`));
        return finish(await passWithProgress(h, { channels: [channel], forceDigest: channel, dryRun: o.dryRun }), o.dryRun);
      }),
    ));

  program
    .command('retry')
    .description('put failed deliveries back to pending and send them now')
    .option('--channel <id>', 'only this channel')
    .action(act(async (o: { channel?: string }) =>
      withHerald(g(), async (h) => {
        if (o.channel) requireChannel(h, o.channel);
        const n = await h.store.resetFailed(o.channel, h.now());
        console.log(`${n} failed deliver${n === 1 ? 'y' : 'ies'} put back to pending`);
        return finish(await passWithProgress(h, { channels: o.channel ? [o.channel] : undefined }));
      }),
    ));

  program
    .command('send <article>')
    .description('send one article to one channel now (an editor’s manual send)')
    .requiredOption('--channel <id>', 'the channel to send to')
    .option('--force', 'send even if it was already sent to that channel, or is not published')
    .action(act(async (articleRef: string, o: { channel: string; force?: boolean }) =>
      withHerald(g(), async (h) => {
        const channel = requireChannel(h, o.channel);
        const scan = await scanAndRecord(h);
        const article = scan.articles.find((a) => a.id === articleRef || a.file === articleRef || a.file.replace(/\.(md|markdown)$/, '') === articleRef);
        if (!article) {
          const bad = scan.problems.find((p) => p.file === articleRef);
          throw new UsageError(bad ? `${bad.file} cannot be sent: ${bad.reason}` : `no article "${articleRef}" (give its id or its path under content.dir; see \`herald articles\`)`);
        }
        const status = articleStatus(article, h.now());
        if (status !== 'published' && !o.force) {
          console.error(`${article.id} is ${status}, not published; use --force to send it anyway`);
          return EXIT.failed;
        }
        const before = await h.store.deliverySummary(channel.id, { articleId: article.id });
        const decision = (await h.store.decisions(channel.id)).get(article.id);
        const inDigest = decision?.digestId !== undefined ? await h.store.deliverySummary(channel.id, { digestId: decision.digestId }) : undefined;
        const alreadySent = before.sent > 0 || (inDigest?.sent ?? 0) > 0;
        if (alreadySent && !o.force) {
          console.error(`${article.id} was already sent to ${channel.id}${before.lastSentAt ? ` at ${before.lastSentAt}` : ''}; use --force to send it again`);
          return EXIT.failed;
        }
        const now = h.now();
        const key = `manual:${channel.id}:${article.id}:${now.getTime()}`;
        const { deliveries, fanouts } = articleDeliveries(h, channel, article, key, true);
        const created = !(await h.store.getChannel(channel.id));
        // Recorded as planned, so the automatic path (or the next digest) never sends it again.
        const keepDecision = decision && decision.status === 'planned';
        const { planned } = await h.store.applyPlan(
          {
            channelId: channel.id,
            createChannelAt: created ? now.toISOString() : undefined,
            decisions: keepDecision ? [] : [{ articleId: article.id, status: 'planned' }],
            overrideWaiting: true,
            deliveries,
            fanouts,
          },
          now,
        );
        if (planned === 0) {
          console.log(`${article.id}: no recipient on ${channel.id} matches this article's topics; nothing sent`);
          return EXIT.ok;
        }
        const bar = progressFor(planned);
        const run = await deliverChannel(h, channel, { onResult: () => bar.tick() }).finally(() => bar.stop());
        console.log(`${channel.id}: ${run.sent} sent, ${run.failed} failed, ${run.deferred} left pending`);
        for (const m of run.messages) console.log(`  ${m}`);
        return run.failed === 0 && !run.gaveUp && !run.paused ? EXIT.ok : EXIT.failed;
      }),
    ));
}


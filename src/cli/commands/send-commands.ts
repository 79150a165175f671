/** dispatch, digest, retry, send: the commands that plan and send. */
import type { Command } from 'commander';
import type { PassResult, runPass } from '../../pipeline/dispatch.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { cliActor } from './editor-commands.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { describePass } from '../report.ts';
import { type GlobalOptions, requireChannel, warnAboutEmailSettings, withHerald } from '../session.ts';

async function pendingTotal(h: Herald, channels?: string[]): Promise<number> {
  return (await h.store.counts()).filter((c) => !channels || channels.includes(c.channelId)).reduce((n, c) => n + c.pending, 0);
}

async function passWithProgress(h: Herald, opts: Parameters<typeof runPass>[1] = {}): Promise<PassResult> {
  // Loaded when a command runs (`herald --help` loads none of it).
  const { runPass } = await import('../../pipeline/dispatch.ts');
  const { progressFor } = await import('../progress.ts');
  if (opts.dryRun) return runPass(h, opts);
  await warnAboutEmailSettings(h);
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
        return finish(await passWithProgress(h, { channels: [channel], forceDigest: channel, dryRun: o.dryRun, actor: cliActor() }), o.dryRun);
      }),
    ));

  program
    .command('retry')
    .description('send now what failed and what waits for a later attempt (deferred)')
    .option('--channel <id>', 'only this channel')
    .action(act(async (o: { channel?: string }) =>
      withHerald(g(), async (h) => {
        if (o.channel) requireChannel(h, o.channel);
        const { failed, deferred } = await h.store.retryNow(o.channel, h.now());
        console.log(`due now: ${failed} failed, ${deferred} deferred`);
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
        const { planManualSend } = await import('../../pipeline/manual-send.ts');
        const { deliverChannel } = await import('../../pipeline/deliver.ts');
        const { progressFor } = await import('../progress.ts');
        const channel = requireChannel(h, o.channel);
        const plan = await planManualSend(h, channel, articleRef, o.force === true, cliActor());
        switch (plan.outcome) {
          case 'not-found':
            throw new UsageError(plan.problem ? `${articleRef} cannot be sent: ${plan.problem}` : `no article "${articleRef}" (give its id or its path under content.dir; see \`herald articles\`)`);
          case 'not-published':
            console.error(`${plan.article.id} is ${plan.status}, not published; use --force to send it anyway`);
            return EXIT.failed;
          case 'already-sent':
            console.error(`${plan.article.id} was already sent to ${channel.id}${plan.at ? ` at ${plan.at}` : ''}; use --force to send it again`);
            return EXIT.failed;
          case 'no-recipients':
            console.log(`${plan.article.id}: no recipient on ${channel.id} matches this article's topics; nothing sent`);
            return EXIT.ok;
        }
        const { planned } = plan;
        await warnAboutEmailSettings(h);
        const bar = progressFor(planned);
        const run = await deliverChannel(h, channel, { onResult: () => bar.tick() }).finally(() => bar.stop());
        console.log(`${channel.id}: ${run.sent} sent, ${run.failed} failed, ${run.deferred} left pending`);
        for (const m of run.messages) console.log(`  ${m}`);
        return run.failed === 0 && !run.gaveUp && !run.paused ? EXIT.ok : EXIT.failed;
      }),
    ));
}


/** why, hold, release: the editors' chat commands on the command line, through the same pipeline functions. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { HoldOutcome } from '../../pipeline/approval.ts';
import type { ChannelConfig } from '../../pipeline/channel-kinds.ts';
import type { Herald } from '../../pipeline/herald.ts';
import type { Actor } from '../../store/types.ts';
import { act, EXIT, UsageError } from '../exit.ts';
import { type GlobalOptions, requireChannel, withHerald } from '../session.ts';

/** What the commands run, loaded when one runs (`herald --help` loads none of it). */
const load = async () => ({
  ...(await import('../../pipeline/approval.ts')),
  ...(await import('../../pipeline/article-ref.ts')),
  ...(await import('../../pipeline/rules.ts')),
  ...(await import('../../pipeline/why.ts')),
});

/** Who acts from a shell: the login name, so the ledger says who held, released or sent a digest early. */
export function cliActor(): Actor {
  let name = 'cli';
  try {
    name = userInfo().username || name;
  } catch {
    /* no user database entry (a container): "cli" */
  }
  return { name, via: 'cli' };
}

async function resolve(h: Herald, ref: string) {
  const { findArticle } = await load();
  const r = await findArticle(h, ref);
  if (r.outcome === 'found') return r.article;
  if (r.outcome === 'ambiguous') {
    throw new UsageError(`"${ref}" matches ${r.candidates.length} articles; give one of: ${r.candidates.slice(0, 10).map((a) => a.id).join(', ')}${r.candidates.length > 10 ? ', …' : ''}`);
  }
  throw new UsageError(r.problem ? `${ref} cannot be read as an article: ${r.problem}` : `no article "${ref}" (give its id, its path, or part of its title; see \`herald articles\`)`);
}

function holdLine(h: Herald, c: ChannelConfig, r: HoldOutcome, { lastDecision, actorText, clockText }: Awaited<ReturnType<typeof load>>): string {
  const last = 'approval' in r ? lastDecision(r.approval) : undefined;
  const by = last ? actorText(last.actor) : '?';
  switch (r.outcome) {
    case 'held':
      return `${c.id}: held; nothing goes out until it is released`;
    case 'already-held':
      return `${c.id}: already held by ${by}`;
    case 'already-sent':
      return `${c.id}: already sent${r.at ? ` at ${clockText(h, r.at)}` : ''}; nothing to hold`;
    case 'sending':
      return `${c.id}: being sent right now; too late to hold`;
    case 'skipped':
      return `${c.id}: skipped by ${by}; nothing to hold`;
  }
}

export function registerEditorCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('why <article>')
    .description('per channel, the one reason an article was or was not sent (article: id, path, or part of the title or slug)')
    .option('--channel <id>', 'only this channel')
    .option('--json', 'machine-readable output')
    .action(act(async (ref: string, o: { channel?: string; json?: boolean }) =>
      withHerald(g(), async (h) => {
        const { explainArticle, whyText, clockText, whyEventText } = await load();
        const only = o.channel ? requireChannel(h, o.channel) : undefined;
        const report = await explainArticle(h, await resolve(h, ref), only ? { channels: [only] } : {});
        if (o.json) {
          console.log(JSON.stringify({ ...report, channels: report.channels.map((c) => ({ ...c, text: whyText(h, c.reason) })) }, null, 2));
          return EXIT.ok;
        }
        const a = report.article;
        console.log(`${a.title}\n${a.id} (${a.file}) · ${a.status} · ${clockText(h, a.publishedAt)}`);
        for (const c of report.channels) {
          console.log(`${c.channelId}: ${whyText(h, c.reason)}`);
          for (const e of c.history) console.log(`  ${clockText(h, e.at)}  ${whyEventText(h, e)}`);
        }
        return EXIT.ok;
      }),
    ));

  program
    .command('hold <article>')
    .description('hold an article: nothing of it goes out (on every channel it is for, or one) until it is released')
    .option('--channel <id>', 'only this channel')
    .action(act(async (ref: string, o: { channel?: string }) =>
      withHerald(g(), async (h) => {
        const m = await load();
        const only = o.channel ? requireChannel(h, o.channel) : undefined;
        const article = await resolve(h, ref);
        const channels = only ? [only] : h.config.channels.filter((c) => c.enabled && !m.routeMiss(article, c));
        if (channels.length === 0) {
          console.error(`${article.id} goes to no enabled channel; give --channel to hold it on one`);
          return EXIT.failed;
        }
        const actor = cliActor();
        for (const c of channels) console.log(holdLine(h, c, await m.holdArticle(h, c, article.id, actor), m));
        return EXIT.ok;
      }),
    ));

  program
    .command('release <article>')
    .description('release a held article (or one awaiting approval): it is sent now if it is due')
    .option('--channel <id>', 'only this channel')
    .action(act(async (ref: string, o: { channel?: string }) =>
      withHerald(g(), async (h) => {
        const { releaseArticle, lastDecision, actorText, clockText } = await load();
        const only = o.channel ? requireChannel(h, o.channel) : undefined;
        const article = await resolve(h, ref);
        const held = new Set((await h.store.approvalsForArticle(article.id)).map((a) => a.channelId));
        const channels = only ? [only] : h.config.channels.filter((c) => held.has(c.id));
        if (channels.length === 0) {
          console.log(`${article.id} is not held anywhere`);
          return EXIT.ok;
        }
        const actor = cliActor();
        let code: number = EXIT.ok;
        for (const c of channels) {
          const r = await releaseArticle(h, c, article.id, actor);
          if (r.outcome === 'released') {
            console.log(`${c.id}: released${r.run ? `: ${r.run.sent} sent, ${r.run.failed} failed, ${r.run.deferred} left pending` : '; it goes out when it is due'}`);
            for (const m of r.run?.messages ?? []) console.log(`  ${m}`);
            if (r.run && (r.run.failed > 0 || r.run.gaveUp || r.run.paused)) code = EXIT.failed;
          } else if (r.outcome === 'already') {
            const last = lastDecision(r.approval);
            console.log(`${c.id}: already ${r.approval.status}${last ? ` by ${actorText(last.actor)} at ${clockText(h, last.at)}` : ''}`);
          } else if (r.outcome === 'refused') {
            console.error(`${c.id}: not released: ${r.reason}`);
            code = EXIT.failed;
          } else console.log(`${c.id}: not held`);
        }
        return code;
      }),
    ));
}

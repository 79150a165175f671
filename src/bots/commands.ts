/**
 * The editors' commands, the same on every platform (Telegram `/why x`, Discord `/herald why`).
 * Each answers with Reply values (./reply.ts) and calls the pipeline for everything it does,
 * so a command does exactly what the CLI and the dashboard do. A failure becomes an answer
 * with the reason; it never escapes to the bot.
 */
import { articleStatus } from '../content/article.ts';
import type { Article } from '../content/article.ts';
import { approvalSettings, holdArticle, lastDecision, releaseArticle } from '../pipeline/approval.ts';
import { findArticle, latestArticles } from '../pipeline/article-ref.ts';
import { articleChannelState } from '../pipeline/article-state.ts';
import { type ChannelConfig, channelKind } from '../pipeline/channel-kinds.ts';
import type { ChannelRunResult } from '../pipeline/deliver.ts';
import { nextScheduled } from '../pipeline/digest-schedule.ts';
import { type PassResult, runPass } from '../pipeline/dispatch.ts';
import type { Herald } from '../pipeline/herald.ts';
import { digestOutlook } from '../pipeline/next-digest.ts';
import { routeMiss } from '../pipeline/rules.ts';
import { actorText, clockText, explainArticle, whyEventText, whyText } from '../pipeline/why.ts';
import type { Actor } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { signButton } from './buttons.ts';
import { previewReplies } from './previews.ts';
import type { Line, Reply } from './reply.ts';

export interface BotContext {
  h: Herald;
  actor: Actor;
  platform: 'telegram' | 'discord';
}

export type ArgName = 'article' | 'channel' | 'n';

export interface CommandSpec {
  name: string;
  summary: string;
  args: Array<{ name: ArgName; required: boolean; description: string }>;
  /** Discord: only the editor who asked sees the answer. */
  ephemeral?: boolean;
}

const ARTICLE = { name: 'article' as const, required: true, description: 'id, path, or part of the title or slug' };
const CHANNEL = (required: boolean, description = 'a channel id from the config') => ({ name: 'channel' as const, required, description });

export const COMMANDS: CommandSpec[] = [
  { name: 'status', summary: 'per channel: sent, pending, failed; next digest; what awaits approval; recent failures', args: [] },
  { name: 'articles', summary: 'the latest articles with their status on each channel', args: [{ name: 'n', required: false, description: 'how many (default 10, at most 50)' }] },
  { name: 'why', summary: 'per channel, why an article was or was not sent', args: [ARTICLE, CHANNEL(false, 'only this channel')] },
  { name: 'preview', summary: 'an article exactly as a channel will post it', args: [ARTICLE, CHANNEL(false, 'only this channel')], ephemeral: true },
  { name: 'send', summary: 'send an article to a channel now (asks to confirm)', args: [ARTICLE, CHANNEL(true)] },
  { name: 'digest', summary: 'what the next digest holds, with Send now', args: [CHANNEL(true, 'an email digest channel')] },
  { name: 'retry', summary: 'failed and deferred deliveries are sent now', args: [CHANNEL(false, 'only this channel')] },
  { name: 'hold', summary: 'hold an article (on every channel, or one)', args: [ARTICLE, CHANNEL(false, 'only this channel')] },
  { name: 'release', summary: 'release a held article (it is sent now)', args: [ARTICLE, CHANNEL(false, 'only this channel')] },
  { name: 'help', summary: 'the commands', args: [] },
];

export type CommandArgs = Partial<Record<ArgName, string>>;

export class CommandError extends Error {}

/**
 * Telegram's free text after the command: the last word is the channel when it names one
 * (or the command needs one); the rest is the article, spaces and all.
 */
export function parseTextArgs(spec: CommandSpec, words: string[], channelIds: readonly string[]): CommandArgs {
  const out: CommandArgs = {};
  const names = spec.args.map((a) => a.name);
  let rest = [...words];
  if (names.includes('channel')) {
    const last = rest[rest.length - 1];
    const needsBoth = names.includes('article') && spec.args.find((a) => a.name === 'channel')?.required;
    if (last !== undefined && (channelIds.includes(last) || (needsBoth && rest.length >= 2) || !names.includes('article'))) {
      out.channel = last;
      rest = rest.slice(0, -1);
    }
  }
  if (names.includes('article') && rest.length > 0) out.article = rest.join(' ');
  if (names.includes('n') && rest.length > 0) out.n = rest[0];
  return out;
}

export function usage(spec: CommandSpec, prefix: string): string {
  return `${prefix}${spec.name}${spec.args.map((a) => (a.required ? ` <${a.name}>` : ` [${a.name}]`)).join('')}`;
}

const text = (...lines: Line[]): Reply => ({ lines });

export async function runCommand(ctx: BotContext, name: string, args: CommandArgs, prefix: string): Promise<Reply[]> {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) return [text(`Unknown command ${prefix}${name}. ${prefix}help lists the commands.`)];
  for (const a of spec.args) if (a.required && !args[a.name]) return [text(`Usage: ${usage(spec, prefix)} (${a.name}: ${a.description})`)];
  try {
    const replies = await COMMAND_HANDLERS[name as keyof typeof COMMAND_HANDLERS](ctx, args, prefix);
    return spec.ephemeral ? replies.map((r) => ({ ...r, ephemeral: true })) : replies;
  } catch (e) {
    const reason = e instanceof CommandError ? e.message : errorMessage(e);
    if (!(e instanceof CommandError)) ctx.h.log.error(`editors: ${prefix}${name} by ${ctx.actor.name} failed: ${reason}`);
    return [text(`⚠️ ${prefix}${name} failed: ${reason}`)];
  }
}

type Handler = (ctx: BotContext, args: CommandArgs, prefix: string) => Promise<Reply[]>;

function channelArg(h: Herald, id: string | undefined, want?: (c: ChannelConfig) => string | undefined): ChannelConfig | undefined {
  if (id === undefined) return undefined;
  const c = h.channel(id);
  if (!c) throw new CommandError(`no channel "${id}" (configured: ${h.config.channels.map((x) => x.id).join(', ') || 'none'})`);
  const problem = want?.(c);
  if (problem) throw new CommandError(problem);
  return c;
}

async function resolveArticle(h: Herald, ref: string): Promise<{ article: Article; gone: boolean } | Reply> {
  const r = await findArticle(h, ref);
  if (r.outcome === 'found') return { article: r.article, gone: r.gone };
  if (r.outcome === 'not-found') return text(r.problem ? `“${ref}” cannot be read as an article: ${r.problem}` : `No article matches “${ref}”. Give its id, its path, or part of its title.`);
  return {
    lines: [
      `“${ref}” matches ${r.candidates.length} articles; which one?`,
      ...r.candidates.slice(0, 15).map((a): Line => ['• ', { code: a.id }, `  ${a.title}`]),
      ...(r.candidates.length > 15 ? [`… and ${r.candidates.length - 15} more`] : []),
    ],
  };
}

const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'lines' in x;
const stateLabel = (s: string) => s.replace(/-/g, ' ');

export function runLines(run: ChannelRunResult): Line[] {
  const lines: Line[] = [`${run.channelId}: ${run.sent} sent, ${run.failed} failed${run.deferred ? `, ${run.deferred} left pending for a later attempt` : ''}`];
  for (const m of run.messages) lines.push(`  ${m}`);
  if (run.gaveUp && !run.messages.includes(run.gaveUp)) lines.push(`  ${run.gaveUp}`);
  return lines;
}

export function passLines(r: PassResult): Line[] {
  const lines: Line[] = [];
  for (const d of r.digests) {
    if (d.digest) lines.push(`${d.channelId}: digest #${d.digest.id} of ${d.articles.length} article(s) for ${d.recipients} subscriber(s)`);
    else if (d.skipped === 'no-articles') lines.push(`${d.channelId}: no new articles for a digest; no email`);
  }
  for (const run of r.runs) if (run.sent || run.failed || run.deferred || run.messages.length) lines.push(...runLines(run));
  lines.push(...r.errors);
  return lines;
}

const status: Handler = async ({ h }) => {
  const now = h.now();
  const counts = new Map((await h.store.counts()).map((c) => [c.channelId, c]));
  const lines: Line[] = [[{ b: 'Herald status' }, ` · ${clockText(h, now.toISOString())}`]];
  for (const c of h.config.channels) {
    const n = counts.get(c.id) ?? { pending: 0, sending: 0, sent: 0, failed: 0 };
    const kind = channelKind(c);
    const flags = [c.type, kind.isPreview(c) ? 'preview mode' : '', c.enabled ? '' : 'disabled', approvalSettings(c) ? 'approval' : ''].filter(Boolean).join(', ');
    const bits = [`${n.sent} sent`, `${n.pending + n.sending} pending`, `${n.failed} failed`];
    const next = n.pending > 0 ? await h.store.nextAttemptAt(c.id) : undefined;
    if (next && Date.parse(next) > now.getTime()) bits.push(`next attempt ${clockText(h, next)}`);
    const state = await h.store.getChannel(c.id);
    if (c.type === 'email' && c.mode === 'digest') {
      bits.push(`${(await h.store.waitingArticles(c.id)).length} waiting`);
      if (state) bits.push(`next digest ${clockText(h, nextScheduled(c.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).toISOString())}`);
    }
    if (!state) bits.push('has not run yet');
    lines.push([{ b: c.id }, ` (${flags}): ${bits.join(' · ')}`]);
  }
  const open = await h.store.openApprovals();
  if (open.length > 0) {
    lines.push('', [{ b: `Awaiting approval (${open.length})` }]);
    for (const a of open.slice(0, 20)) {
      const what = a.kind === 'post' ? a.articleId : `digest of ${clockText(h, a.scheduledAt)}`;
      const last = lastDecision(a);
      const state = a.status === 'held' ? `held by ${last ? actorText(last.actor) : '?'}` : a.releaseAt ? `released at ${clockText(h, a.releaseAt)} unless held` : 'waits for an editor';
      lines.push(['• ', { b: a.channelId }, ': ', { code: what ?? '' }, ` (${state})`]);
    }
  }
  const failures = await h.store.recentFailures(5);
  if (failures.length > 0) {
    lines.push('', [{ b: 'Recent failures' }]);
    for (const f of failures) lines.push(`• #${f.id} ${f.channelId} → ${f.recipient}: ${f.lastError ?? 'failed'}`);
  }
  return [{ lines }];
};

const articles: Handler = async ({ h }, args) => {
  const n = args.n === undefined ? 10 : Number(args.n);
  if (!Number.isInteger(n) || n < 1) throw new CommandError(`expected how many articles as a whole number, got “${args.n}”`);
  const list = await latestArticles(h, Math.min(n, 50));
  if (list.length === 0) return [text('No articles in content.dir.')];
  const now = h.now();
  const decisions = new Map(await Promise.all(h.config.channels.map(async (c) => [c.id, await h.store.decisions(c.id)] as const)));
  const approvals = new Map(await Promise.all(h.config.channels.map(async (c) => [c.id, await h.store.postApprovals(c.id)] as const)));
  const summaries = new Map(await Promise.all(h.config.channels.map(async (c) => [c.id, await h.store.deliverySummaries(c.id)] as const)));
  const lines: Line[] = [[{ b: `Latest ${list.length} article(s)` }]];
  for (const a of list) {
    lines.push(['• ', { b: a.title }, ` (${articleStatus(a, now)}, ${clockText(h, a.publishedAt)}) `, { code: a.id }]);
    const states: string[] = [];
    for (const c of h.config.channels) {
      const s = await articleChannelState(h, c.id, a.id, decisions.get(c.id), approvals.get(c.id), summaries.get(c.id));
      const last = s.approval?.decisions.filter((d) => d.action !== 'planned').pop();
      states.push(`${c.id}: ${stateLabel(s.state)}${last ? ` (${last.action.replace(/-/g, ' ')} by ${actorText(last.by)})` : ''}`);
    }
    lines.push(`   ${states.join(' · ')}`);
  }
  return [{ lines }];
};

const why: Handler = async ({ h }, args) => {
  const only = channelArg(h, args.channel);
  const found = await resolveArticle(h, args.article as string);
  if (isReply(found)) return [found];
  const report = await explainArticle(h, found.article, only ? { channels: [only] } : {});
  const a = report.article;
  const lines: Line[] = [[{ a: a.title, href: a.url }], [{ code: a.id }, ` · ${a.status} · ${clockText(h, a.publishedAt)}`]];
  for (const c of report.channels) {
    lines.push(['• ', { b: c.channelId }, `: ${whyText(h, c.reason)}`]);
    for (const e of c.history) if (e.event !== 'sent') lines.push(`   ${clockText(h, e.at)} ${whyEventText(h, e)}`);
  }
  return [{ lines }];
};

const preview: Handler = async (ctx, args) => {
  const { h } = ctx;
  const only = channelArg(h, args.channel);
  const found = await resolveArticle(h, args.article as string);
  if (isReply(found)) return [found];
  const channels = only ? [only] : h.config.channels.filter((c) => c.enabled && !routeMiss(found.article, c));
  if (channels.length === 0) return [text(`${found.article.id} goes to no enabled channel; name one to preview it there.`)];
  const out: Reply[] = [];
  for (const c of channels) out.push(...(await previewReplies(ctx, c, found.article)));
  return out;
};

const send: Handler = async ({ h }, args) => {
  const channel = channelArg(h, args.channel) as ChannelConfig;
  const found = await resolveArticle(h, args.article as string);
  if (isReply(found)) return [found];
  if (found.gone) return [text(`${found.article.id}: its file was removed; there is nothing to send.`)];
  const a = found.article;
  const summary = await h.store.deliverySummary(channel.id, { articleId: a.id });
  const status = articleStatus(a, h.now());
  const id = await h.store.createChatAction('send', { articleId: a.id, channel: channel.id, force: false }, h.now());
  const notes: Line[] = [];
  if (summary.sent > 0) notes.push(`It was already sent there at ${clockText(h, summary.lastSentAt)}: you will be asked again before it is sent a second time.`);
  if (status !== 'published') notes.push(`It is ${status}, not published: you will be asked again before it is sent anyway.`);
  return [
    {
      lines: [['Send ', { b: a.title }, ' to ', { b: channel.id }, ' now?'], ...notes],
      buttons: [
        { label: 'Send', data: signButton(h.secret, 'ok', id, h.now()), style: 'primary' },
        { label: 'Cancel', data: signButton(h.secret, 'no', id, h.now()), style: 'secondary' },
      ],
    },
  ];
};

const digest: Handler = async ({ h }, args) => {
  const channel = channelArg(h, args.channel, (c) => (c.type === 'email' && c.mode === 'digest' ? undefined : `${c.id} is not an email digest channel`));
  if (channel?.type !== 'email') return [];
  const o = await digestOutlook(h, channel);
  const when = o.scheduledAt ? clockText(h, o.scheduledAt) : 'its first scheduled time';
  if (o.articles.length === 0) return [text(`Nothing waits for ${channel.id}’s next digest (${when}); no email would be sent.`)];
  const lines: Line[] = [[`Next digest of `, { b: channel.id }, ` (${when}): ${o.articles.length} article(s) for ${o.recipients} subscriber(s)`]];
  for (const a of o.articles.slice(0, channel.maxArticles)) lines.push(['• ', { a: a.title, href: a.url }]);
  if (o.articles.length > channel.maxArticles) lines.push(`… and ${o.articles.length - channel.maxArticles} more (the email says so)`);
  if (o.approval && (o.approval.status === 'awaiting' || o.approval.status === 'held')) {
    const last = lastDecision(o.approval);
    lines.push(o.approval.status === 'held' ? `Held by ${last ? actorText(last.actor) : '?'}.` : 'Its approval card is out.');
  }
  const id = await h.store.createChatAction('digest', { channel: channel.id }, h.now());
  return [
    {
      lines,
      buttons: [
        { label: 'Send now', data: signButton(h.secret, 'ok', id, h.now()), style: 'primary' },
        { label: 'Cancel', data: signButton(h.secret, 'no', id, h.now()), style: 'secondary' },
      ],
    },
  ];
};

const retry: Handler = async ({ h, actor }, args) => {
  const channel = channelArg(h, args.channel);
  const { failed, deferred } = await h.store.retryNow(channel?.id, h.now());
  h.log.info(`editors: retry${channel ? ` ${channel.id}` : ''} by ${actor.name}: ${failed} failed and ${deferred} deferred deliveries due now`);
  const r = await runPass(h, { ...(channel ? { channels: [channel.id] } : {}), maxInRunWaitMs: 15_000 });
  const lines: Line[] = [`Due now${channel ? ` on ${channel.id}` : ''}: ${failed} failed, ${deferred} deferred.`, ...passLines(r)];
  if (lines.length === 1) lines.push('Nothing was left to send.');
  return [{ lines }];
};

/** The channels an article-wide hold or release applies to. */
async function articleChannels(h: Herald, article: Article, only: ChannelConfig | undefined, want: 'hold' | 'release'): Promise<ChannelConfig[]> {
  if (only) return [only];
  if (want === 'release') {
    const held = new Set((await h.store.approvalsForArticle(article.id)).map((a) => a.channelId));
    return h.config.channels.filter((c) => held.has(c.id));
  }
  return h.config.channels.filter((c) => c.enabled && !routeMiss(article, c));
}

const hold: Handler = async ({ h, actor }, args) => {
  const only = channelArg(h, args.channel);
  const found = await resolveArticle(h, args.article as string);
  if (isReply(found)) return [found];
  const channels = await articleChannels(h, found.article, only, 'hold');
  if (channels.length === 0) return [text(`${found.article.id} goes to no enabled channel; nothing to hold.`)];
  const lines: Line[] = [[{ b: found.article.title }]];
  for (const c of channels) {
    const r = await holdArticle(h, c, found.article.id, actor);
    const last = 'approval' in r ? lastDecision(r.approval) : undefined;
    const by = last ? actorText(last.actor) : '?';
    const said = {
      held: 'held: nothing goes out until it is released',
      'already-held': `already held by ${by}`,
      'already-sent': `already sent${'at' in r && r.at ? ` at ${clockText(h, r.at)}` : ''}; nothing to hold`,
      sending: 'being sent right now; too late to hold',
      skipped: `skipped by ${by}; nothing to hold`,
    }[r.outcome];
    lines.push(['• ', { b: c.id }, `: ${said}`]);
  }
  return [{ lines }];
};

const release: Handler = async ({ h, actor }, args) => {
  const only = channelArg(h, args.channel);
  const found = await resolveArticle(h, args.article as string);
  if (isReply(found)) return [found];
  const channels = await articleChannels(h, found.article, only, 'release');
  if (channels.length === 0) return [text(`${found.article.id} is not held anywhere.`)];
  const lines: Line[] = [[{ b: found.article.title }]];
  for (const c of channels) {
    const r = await releaseArticle(h, c, found.article.id, actor);
    if (r.outcome === 'released') {
      lines.push(['• ', { b: c.id }, `: released by ${actorText(actor)}${r.run ? '' : ' (it goes out when it is due)'}`]);
      if (r.run) lines.push(...runLines(r.run).map((l) => (typeof l === 'string' ? `   ${l}` : l)));
    } else if (r.outcome === 'already') {
      const last = lastDecision(r.approval);
      lines.push(['• ', { b: c.id }, `: already ${r.approval.status}${last ? ` by ${actorText(last.actor)} at ${clockText(h, last.at)}` : ''}`]);
    } else if (r.outcome === 'refused') lines.push(['• ', { b: c.id }, `: not released: ${r.reason}`]);
    else lines.push(['• ', { b: c.id }, ': not held']);
  }
  return [{ lines }];
};

const help: Handler = async (_ctx, _args, prefix) => [
  {
    lines: [[{ b: 'Herald commands' }], ...COMMANDS.map((c): Line => [{ code: usage(c, prefix) }, ` ${c.summary}`]), '<article>: an id, a path, or part of its title or slug.'],
  },
];

const COMMAND_HANDLERS = { status, articles, why, preview, send, digest, retry, hold, release, help } satisfies Record<string, Handler>;

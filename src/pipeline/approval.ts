/**
 * Approval windows: a delivery that becomes due on a channel with `approval:` is planned as
 * an approval instead of deliveries (so nothing can claim it), announced with a card in the
 * editors' chats, and released at the end of its window unless an editor holds it
 * (`required`: only a person releases it). Every decision is a compare-and-set in the store,
 * so two processes (or two editors) never both act: one decision, one send.
 */
import { type Article, articleStatus } from '../content/article.ts';
import type { Actor, Approval, ApprovalCardRef, ApprovalStatus, ChannelPlan, NewApproval } from '../store/types.ts';
import type { ApprovalSettings } from '../config/fields.ts';
import { errorMessage } from '../util/secrets.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import { type ChannelRunResult, deliverChannel } from './deliver.ts';
import type { Herald } from './herald.ts';
import { articleDeliveries, readerContext } from './plan.ts';
import { roundupDelivery, roundupSettings, wantsRoundup } from './roundup.ts';

/** Decisions Herald takes by itself (the end of a window). */
export const HERALD_ACTOR: Actor = { name: 'herald', via: 'herald' };

/** Posts and edits the cards in the editors' chats (src/bots/ implements it). */
export interface ApprovalNotifier {
  /** Post the card of a new approval to every editors' chat; returns where each went. */
  announce(a: Approval): Promise<ApprovalCardRef[]>;
  /** Edit every posted card to show where the approval stands now. */
  settle(a: Approval): Promise<void>;
  close(): Promise<void>;
}

export function approvalSettings(c: ChannelConfig): ApprovalSettings | undefined {
  return (c as { approval?: ApprovalSettings }).approval;
}

/** The end of a window opened at `from`; undefined when only a person may release. */
export function releaseTime(s: ApprovalSettings, from: Date): string | undefined {
  return s.required || s.window === undefined ? undefined : new Date(from.getTime() + s.window).toISOString();
}

export function newPostApproval(c: ChannelConfig, s: ApprovalSettings, articleId: string, now: Date): NewApproval {
  return { channelId: c.id, kind: 'post', articleId, status: 'awaiting', releaseAt: releaseTime(s, now), cards: true, action: 'planned', actor: HERALD_ACTOR };
}

const isDigestChannel = (c: ChannelConfig) => channelKind(c).usesDigests(c);

/**
 * The deliveries a released post approval writes: the automatic ones, with the automatic key
 * (so never twice), each reader getting the version in their language.
 */
async function releasePlan(h: Herald, c: ChannelConfig, article: Article): Promise<ChannelPlan> {
  const readers = channelKind(c).audience === 'subscribers' ? await readerContext(h, c, [article]) : undefined;
  const { deliveries, fanouts } = articleDeliveries(h, c, article, `auto:${c.id}:${article.id}`, false, readers);
  return { channelId: c.id, decisions: [], deliveries, fanouts };
}

export type DecisionAction = 'send-now' | 'hold' | 'skip' | 'release';

export type DecisionResult =
  | { outcome: 'done'; approval: Approval; run?: ChannelRunResult; note?: string }
  /** Another decision came first (or the approval is past this step): nothing was done. */
  | { outcome: 'already'; approval: Approval }
  | { outcome: 'refused'; approval: Approval; reason: string }
  | { outcome: 'not-found' };

const FROM: Record<DecisionAction, readonly ApprovalStatus[]> = {
  'send-now': ['awaiting', 'held', 'skipped'],
  release: ['awaiting', 'held', 'skipped'],
  hold: ['awaiting'],
  skip: ['awaiting', 'held'],
};
const TO: Record<DecisionAction, ApprovalStatus> = { 'send-now': 'released', release: 'released', hold: 'held', skip: 'skipped' };

/**
 * An editor's decision on an approval. Send now / release plan the deliveries in the same
 * atomic step and send them at once (`deliver: false` leaves that to the caller); a digest's
 * "send now" is carried out by the caller (it makes the digest). Cards are edited afterwards.
 */
export async function decideApproval(
  h: Herald,
  id: number,
  action: DecisionAction,
  actor: Actor,
  opts: { deliver?: boolean; statuses?: readonly ApprovalStatus[] } = {},
): Promise<DecisionResult> {
  const a = await h.store.getApproval(id);
  if (!a) return { outcome: 'not-found' };
  const channel = h.channel(a.channelId);
  if (!channel) return { outcome: 'refused', approval: a, reason: `channel "${a.channelId}" is no longer configured` };
  const from = opts.statuses ?? FROM[action];
  if (!from.includes(a.status)) return { outcome: 'already', approval: a };

  let plan: ChannelPlan | undefined;
  if (TO[action] === 'released' && a.kind === 'post' && a.articleId && !isDigestChannel(channel)) {
    const stored = await h.store.getArticle(a.articleId);
    if (!stored || stored.goneAt) return { outcome: 'refused', approval: a, reason: `the article's file is gone; nothing to send` };
    const status = articleStatus(stored.article, h.now());
    const decision = (await h.store.decisions(channel.id)).get(a.articleId);
    if (decision?.status === 'planned') {
      if (status !== 'published') return { outcome: 'refused', approval: a, reason: `${a.articleId} is ${status} now, not published; send it by hand to send it anyway` };
      plan = await releasePlan(h, channel, stored.article);
    }
    // Not due yet (an editor released an article before its time): the planner plans it when it is.
  }
  const decided = await h.store.decideApproval(
    id,
    { from, to: TO[action], action, actor, ...(plan ? { plan } : {}), ...(action === 'hold' ? { withdrawPending: true } : {}) },
    h.now(),
  );
  if (!decided) {
    const now = await h.store.getApproval(id);
    return now ? { outcome: 'already', approval: now } : { outcome: 'not-found' };
  }
  h.log.info(`${decided.channelId}: ${describeTarget(decided)} ${pastTense(action)} by ${actor.name} (${actor.via})`);
  await settleCards(h, decided);
  let run: ChannelRunResult | undefined;
  if (plan && opts.deliver !== false) run = await deliverChannel(h, channel, { maxInRunWaitMs: 15_000 });
  return { outcome: 'done', approval: decided, ...(run ? { run } : {}) };
}

export function describeTarget(a: Approval): string {
  return a.kind === 'post' ? `article ${a.articleId}` : `digest of ${a.scheduledAt}`;
}

function pastTense(action: DecisionAction | 'auto-release'): string {
  return { 'send-now': 'sent now', release: 'released', hold: 'held', skip: 'skipped', 'auto-release': 'released automatically' }[action];
}

/**
 * Start of a pass: windows that have ended are released (their deliveries planned in the same
 * step), and released approvals whose deliveries were never written are planned. An article
 * that is no longer published when its window ends is skipped, not sent.
 */
export async function releaseDueApprovals(h: Herald, now: Date): Promise<Approval[]> {
  const released: Approval[] = [];
  for (const a of await h.store.dueApprovals(now)) {
    const channel = h.channel(a.channelId);
    if (!channel) continue;
    let plan: ChannelPlan | undefined;
    let to: ApprovalStatus = 'released';
    if (a.kind === 'post' && a.articleId && !isDigestChannel(channel)) {
      const stored = await h.store.getArticle(a.articleId);
      const decision = (await h.store.decisions(channel.id)).get(a.articleId);
      if (!stored || stored.goneAt || articleStatus(stored.article, now) !== 'published') to = 'skipped';
      // A channel with roundups plans its released articles together below.
      else if (decision?.status === 'planned' && !roundupSettings(channel)) plan = await releasePlan(h, channel, stored.article);
    }
    const decided = await h.store.decideApproval(
      a.id,
      { from: ['awaiting'], to, action: to === 'released' ? 'auto-release' : 'skip', actor: HERALD_ACTOR, ...(plan ? { plan } : {}) },
      now,
    );
    if (!decided) continue; // another process (or an editor) decided first
    h.log.info(`${a.channelId}: ${describeTarget(a)} ${to === 'released' ? 'released automatically (its window ended)' : 'skipped: no longer published when its window ended'}`);
    released.push(decided);
    await settleCards(h, decided);
  }
  for (const c of h.config.channels) {
    if (isDigestChannel(c)) continue;
    const ready: Array<{ approval: Approval; article: Article }> = [];
    for (const a of await h.store.releasedUnplanned(c.id)) {
      if (!a.articleId) continue;
      const decision = (await h.store.decisions(c.id)).get(a.articleId);
      const stored = await h.store.getArticle(a.articleId);
      if (decision?.status !== 'planned' || !stored || stored.goneAt || articleStatus(stored.article, now) !== 'published') continue;
      ready.push({ approval: a, article: stored.article });
    }
    ready.sort((x, y) => x.article.publishedAt.localeCompare(y.article.publishedAt) || x.article.id.localeCompare(y.article.id));
    if (await wantsRoundup(h, c, ready.map((r) => r.article), now)) {
      // Windows that end together make one roundup, like articles that become due together.
      const plan: ChannelPlan = { channelId: c.id, decisions: [], deliveries: [roundupDelivery(c, ready.map((r) => r.article))], fanouts: [], plannedApprovals: ready.map((r) => r.approval.id) };
      await h.store.applyPlan(plan, now);
      continue;
    }
    for (const r of ready) await h.store.applyPlan({ ...(await releasePlan(h, c, r.article)), plannedApprovals: [r.approval.id] }, now);
  }
  return released;
}

/** Post the cards of new approvals (a card whose posting was interrupted is posted again after 5 minutes). */
export async function announceApprovals(h: Herald): Promise<void> {
  if (!h.editors) return;
  // Buttons expire after 24 hours: cards still waiting are signed again well before.
  for (const a of await h.store.staleApprovalCards(new Date(h.now().getTime() - CARD_REFRESH_MS))) await settleCards(h, a);
  const claimed = await h.store.claimApprovalCards(h.now(), 5 * 60_000);
  if (claimed.length === 0) return;
  let notifier: ApprovalNotifier;
  try {
    notifier = await h.editors();
  } catch (e) {
    h.log.error(`editors' chats: ${errorMessage(e)}`);
    for (const a of claimed) await h.store.setApprovalCards(a.id, a.cards, 'pending', h.now());
    return;
  }
  for (const a of claimed) {
    try {
      const cards = await notifier.announce(a);
      await h.store.setApprovalCards(a.id, [...a.cards, ...cards], cards.length > 0 ? 'posted' : 'pending', h.now());
      // Decided while its card was on its way: show that at once.
      const now = await h.store.getApproval(a.id);
      if (now && now.status !== 'awaiting') await notifier.settle(now);
    } catch (e) {
      h.log.error(`${a.channelId}: could not post the approval card for ${describeTarget(a)}: ${errorMessage(e)}`);
      await h.store.setApprovalCards(a.id, a.cards, 'pending', h.now());
    }
  }
}

/** Cards are re-signed when their buttons are this old (they expire at 24 h; the daemon passes at least every scan interval). */
export const CARD_REFRESH_MS = 12 * 3_600_000;

/** Edit the cards of an approval to show where it stands; a failure is logged, never thrown. */
export async function settleCards(h: Herald, a: Approval): Promise<void> {
  if (!h.editors || a.cards.length === 0) return;
  try {
    await (await h.editors()).settle(a);
    await h.store.touchApprovalCards(a.id, h.now());
  } catch (e) {
    h.log.warn(`${a.channelId}: could not update the approval card for ${describeTarget(a)}: ${errorMessage(e)}`);
  }
}

/** When the daemon must wake for approvals: the end of a running window. */
export async function nextApprovalWake(h: Herald): Promise<number | undefined> {
  const t = await h.store.nextReleaseAt();
  return t === undefined ? undefined : Date.parse(t);
}

export type HoldOutcome =
  | { outcome: 'held'; approval: Approval }
  | { outcome: 'already-held'; approval: Approval }
  | { outcome: 'already-sent'; at?: string }
  | { outcome: 'sending' }
  | { outcome: 'skipped'; approval: Approval };

/**
 * Hold an article on a channel: an approval waiting is held; deliveries not yet claimed are
 * taken back; an article not due yet is held in advance (it waits when it becomes due).
 */
export async function holdArticle(h: Herald, channel: ChannelConfig, articleId: string, actor: Actor): Promise<HoldOutcome> {
  const existing = await h.store.findApproval(channel.id, 'post', articleId);
  const summary = await h.store.deliverySummary(channel.id, { articleId });
  if (summary.sent > 0 && existing?.status !== 'awaiting' && existing?.status !== 'held') return { outcome: 'already-sent', at: summary.lastSentAt };
  if (summary.sending > 0) return { outcome: 'sending' };
  if (existing) {
    if (existing.status === 'held') return { outcome: 'already-held', approval: existing };
    if (existing.status === 'skipped') return { outcome: 'skipped', approval: existing };
    const r = await decideApproval(h, existing.id, 'hold', actor, { statuses: ['awaiting', 'released'] });
    if (r.outcome === 'done') return { outcome: 'held', approval: r.approval };
    if (r.outcome === 'already' && r.approval.status === 'held') return { outcome: 'already-held', approval: r.approval };
    return { outcome: 'sending' };
  }
  const { approval, created } = await h.store.createApproval(
    { channelId: channel.id, kind: 'post', articleId, status: 'held', cards: false, action: 'hold', actor, withdrawPending: true },
    h.now(),
  );
  if (!created) return holdArticle(h, channel, articleId, actor); // made meanwhile by the planner: hold that one
  h.log.info(`${channel.id}: article ${articleId} held by ${actor.name} (${actor.via})`);
  return { outcome: 'held', approval };
}

export type ReleaseOutcome =
  | { outcome: 'released'; approval: Approval; run?: ChannelRunResult }
  | { outcome: 'not-held' }
  | { outcome: 'already'; approval: Approval }
  | { outcome: 'refused'; reason: string };

/** Release a held (or waiting) article on a channel: it is sent now if it is due. */
export async function releaseArticle(h: Herald, channel: ChannelConfig, articleId: string, actor: Actor): Promise<ReleaseOutcome> {
  const existing = await h.store.findApproval(channel.id, 'post', articleId);
  if (!existing) return { outcome: 'not-held' };
  const r = await decideApproval(h, existing.id, 'release', actor);
  if (r.outcome === 'done') return { outcome: 'released', approval: r.approval, ...(r.run ? { run: r.run } : {}) };
  if (r.outcome === 'already') return { outcome: 'already', approval: r.approval };
  if (r.outcome === 'refused') return { outcome: 'refused', reason: r.reason };
  return { outcome: 'not-held' };
}

/** Who took the latest decision, for messages: "@ann (telegram) at 2025-…". */
export function lastDecision(a: Approval): { action: string; actor: Actor; at: string } | undefined {
  const e = [...a.events].reverse().find((x) => x.action !== 'planned');
  return e && { action: e.action, actor: e.actor, at: e.at };
}

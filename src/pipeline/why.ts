/**
 * `why`: per channel, the one reason an article was or was not delivered, read from the
 * ledger and the rules, with the history of its approvals and sends. The chat command,
 * `herald why [--json]` and the dashboard's article page all show this.
 */
import { type Article, type ArticleStatus, articleStatus } from '../content/article.ts';
import { formatDuration } from '../config/duration.ts';
import { formatLocalDate } from '../render/filters.ts';
import type { Actor, Approval, ApprovalAction, Delivery, PostRecord, RevisionAction, StoredArticle } from '../store/types.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import { nextScheduled } from './digest-schedule.ts';
import type { Herald } from './herald.ts';
import { embargoed, routeMiss } from './rules.ts';

export type WhyReason =
  | { kind: 'sent'; at?: string; messageId?: string; link?: string; manual: boolean; digestId?: number; sent: number; total: number }
  | { kind: 'sending' }
  | { kind: 'pending'; nextAttemptAt?: string; lastError?: string; attempts: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'partly-failed'; sent: number; failed: number; reason: string }
  | { kind: 'waiting-digest'; at?: string }
  | { kind: 'awaiting-approval'; releaseAt?: string; since: string; digestAt?: string }
  | { kind: 'held'; by: Actor; at: string; digestAt?: string }
  | { kind: 'skipped'; by: Actor; at: string }
  | { kind: 'baseline'; firstRunAt: string; lookbackMs: number }
  | { kind: 'too-old'; firstSeenAt: string; maxAgeMs: number }
  | { kind: 'topics'; articleTopics: string[]; channelTopics: string[] }
  | { kind: 'excluded'; topics: string[] }
  | { kind: 'language'; language: string; languages: string[] }
  | { kind: 'editorial'; rule: 'skip' | 'only'; channels: string[] }
  | { kind: 'embargo'; at: string }
  | { kind: 'draft' }
  | { kind: 'scheduled'; at: string }
  | { kind: 'expired'; at: string }
  | { kind: 'no-recipients' }
  | { kind: 'removed'; at: string }
  | { kind: 'disabled' }
  | { kind: 'new-file' }
  | { kind: 'channel-not-run' }
  | { kind: 'next-pass' };

export type WhyKind = WhyReason['kind'];

/** One step in the life of an article on a channel, oldest first. */
export interface WhyEvent {
  at: string;
  /** Approval steps, the send, then what happened to a chat post since (living posts: a revision's action, or its failure). */
  event: ApprovalAction | 'sent' | Exclude<RevisionAction, 'posted'> | 'refused' | 'failed';
  actor?: Actor;
  detail?: string;
}

export interface ChannelWhy {
  channelId: string;
  type: string;
  reason: WhyReason;
  history: WhyEvent[];
}

export interface WhyReport {
  article: { id: string; file: string; title: string; url: string; publishedAt: string; topics: string[]; status: ArticleStatus | 'removed' };
  channels: ChannelWhy[];
}

interface Context {
  now: Date;
  stored?: StoredArticle;
  deliveries: Delivery[];
  approvals: Approval[];
  /** Sent chat posts of the article (roundups included) with what happened to them since. */
  posts: PostRecord[];
}

export async function explainArticle(h: Herald, article: Article, opts: { channels?: ChannelConfig[] } = {}): Promise<WhyReport> {
  const now = h.now();
  const stored = await h.store.getArticle(article.id);
  const ctx: Context = { now, stored, deliveries: await h.store.deliveriesForArticle(article.id), approvals: await h.store.approvalsForArticle(article.id),
    posts: await h.store.postRecords({ articleId: article.id }),
  };
  const channels: ChannelWhy[] = [];
  for (const c of opts.channels ?? h.config.channels) channels.push(await explainChannel(h, c, article, ctx));
  const status = stored?.goneAt ? 'removed' : articleStatus(article, now);
  return {
    article: { id: article.id, file: article.file, title: article.title, url: article.url, publishedAt: article.publishedAt, topics: article.topics, status },
    channels,
  };
}

async function explainChannel(h: Herald, c: ChannelConfig, article: Article, ctx: Context): Promise<ChannelWhy> {
  const approval = ctx.approvals.find((a) => a.channelId === c.id);
  const decision = (await h.store.decisions(c.id)).get(article.id);
  const posts = ctx.posts.filter((p) => p.delivery.channelId === c.id);
  // Delivered inside a roundup: that roundup's delivery counts as this article's.
  const direct = [...ctx.deliveries.filter((d) => d.channelId === c.id), ...posts.filter((p) => p.delivery.articleId === undefined).map((p) => p.delivery)];
  const sends = tally(direct);
  if (decision?.digestId !== undefined) {
    // Through a digest: one delivery per reader, read as counts.
    const s = await h.store.deliverySummary(c.id, { digestId: decision.digestId });
    sends.sent += s.sent;
    sends.pending += s.pending;
    sends.sending += s.sending;
    sends.failed += s.failed;
    if (s.lastSentAt && (!sends.latest?.sentAt || s.lastSentAt > sends.latest.sentAt)) {
      sends.latest = { sentAt: s.lastSentAt, providerMessageId: s.providerMessageId, manual: false, digestId: decision.digestId };
    }
    sends.lastError ??= s.lastError;
    if (s.pending > 0 && !sends.next) sends.next = { at: await h.store.nextAttemptAt(c.id), attempts: 0 };
  }
  const history = [...historyOf(approval, direct, sends.latest), ...revisionEvents(posts)].sort((a, b) => a.at.localeCompare(b.at));
  const reason = await reasonFor(h, c, article, ctx, { approval, decision, sends });
  return { channelId: c.id, type: c.type, reason, history };
}

interface Tally {
  sent: number;
  pending: number;
  sending: number;
  failed: number;
  latest?: { sentAt?: string; providerMessageId?: string; manual: boolean; digestId?: number };
  lastError?: string;
  next?: { at?: string; error?: string; attempts: number };
}

function tally(ds: Delivery[]): Tally {
  const t: Tally = { sent: 0, pending: 0, sending: 0, failed: 0 };
  for (const d of ds) t[d.status]++;
  const latest = ds.filter((d) => d.status === 'sent').sort((a, b) => (b.sentAt ?? '').localeCompare(a.sentAt ?? '') || b.id - a.id)[0];
  if (latest) t.latest = { sentAt: latest.sentAt, providerMessageId: latest.providerMessageId, manual: latest.manual };
  const failed = ds.filter((d) => d.status === 'failed').sort((a, b) => b.id - a.id)[0];
  if (failed?.lastError) t.lastError = failed.lastError;
  const next = ds.filter((d) => d.status === 'pending').sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt))[0];
  if (next) t.next = { at: next.nextAttemptAt, ...(next.lastError ? { error: next.lastError } : {}), attempts: next.attempts };
  return t;
}

function historyOf(approval: Approval | undefined, direct: Delivery[], latest: Tally['latest']): WhyEvent[] {
  const events: WhyEvent[] = (approval?.events ?? []).map((e) => ({ at: e.at, event: e.action, actor: e.actor }));
  // A subscriber channel has a delivery per reader: its history names the first and the latest send, not each.
  const sent = direct.filter((d) => d.status === 'sent' && d.sentAt).sort((a, b) => (a.sentAt ?? '').localeCompare(b.sentAt ?? ''));
  const first = sent[0];
  if (first?.sentAt) events.push({ at: first.sentAt, event: 'sent', ...(first.providerMessageId ? { detail: first.providerMessageId } : {}) });
  if (latest?.sentAt && latest.sentAt !== first?.sentAt) events.push({ at: latest.sentAt, event: 'sent', ...(latest.providerMessageId ? { detail: latest.providerMessageId } : {}) });
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/** What happened to the posts after they were sent: edits, retractions, refusals, roundups. */
function revisionEvents(posts: PostRecord[]): WhyEvent[] {
  const out: WhyEvent[] = [];
  for (const p of posts) {
    for (const r of p.revisions) {
      if (r.result === 'pending' || (r.action === 'posted' && r.result === 'ok')) continue;
      if (r.action === 'roundup') {
        const n = p.delivery.variant ? (JSON.parse(p.delivery.variant) as string[]).length : 0;
        out.push({ at: r.at, event: 'roundup', detail: `${n} articles, ${r.messageId ?? p.delivery.providerMessageId ?? ''}` });
      } else if (r.result === 'ok') {
        const detail = r.action === 'edited' ? (r.changes ?? []).join(', ') : (r.reason ?? '');
        out.push({ at: r.at, event: r.action as Exclude<RevisionAction, 'posted'>, detail });
      } else out.push({ at: r.at, event: r.result, detail: `${r.action}: ${r.reason ?? ''}` });
    }
  }
  return out;
}

async function reasonFor(
  h: Herald,
  c: ChannelConfig,
  article: Article,
  ctx: Context,
  x: { approval?: Approval; decision?: { status: string; decidedAt: string }; sends: Tally },
): Promise<WhyReason> {
  const { approval, decision, sends } = x;
  const { sent, pending, sending, failed } = sends;
  if (sending > 0) return { kind: 'sending' };
  if (pending > 0) {
    const n = sends.next;
    return { kind: 'pending', ...(n?.at ? { nextAttemptAt: n.at } : {}), ...(n?.error ? { lastError: n.error } : {}), attempts: n?.attempts ?? 0 };
  }
  if (sent > 0 && failed > 0) return { kind: 'partly-failed', sent, failed, reason: sends.lastError ?? '' };
  if (sent > 0) {
    const latest = sends.latest;
    const link = latest?.providerMessageId ? channelKind(c).postLink?.(c, latest.providerMessageId) : undefined;
    return {
      kind: 'sent',
      ...(latest?.sentAt ? { at: latest.sentAt } : {}),
      ...(latest?.providerMessageId ? { messageId: latest.providerMessageId } : {}),
      ...(link ? { link } : {}),
      manual: latest?.manual ?? false,
      ...(latest?.digestId !== undefined ? { digestId: latest.digestId } : {}),
      sent,
      total: sent + failed,
    };
  }
  if (failed > 0) return { kind: 'failed', reason: sends.lastError ?? '' };

  const last = approval && [...approval.events].reverse().find((e) => e.action !== 'planned');
  if (approval?.status === 'awaiting') return { kind: 'awaiting-approval', since: approval.createdAt, ...(approval.releaseAt ? { releaseAt: approval.releaseAt } : {}) };
  if (approval?.status === 'held') return { kind: 'held', by: last?.actor ?? { name: 'unknown', via: 'herald' }, at: last?.at ?? approval.createdAt };
  if (approval?.status === 'skipped') return { kind: 'skipped', by: last?.actor ?? { name: 'unknown', via: 'herald' }, at: last?.at ?? approval.createdAt };

  if (decision?.status === 'waiting') {
    const state = await h.store.getChannel(c.id);
    if (c.type !== 'email' || c.mode !== 'digest' || !state) return { kind: 'waiting-digest' };
    const at = nextScheduled(c.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).toISOString();
    const gate = await h.store.findApproval(c.id, 'digest', at);
    const gateLast = gate && [...gate.events].reverse().find((e) => e.action !== 'planned');
    if (gate?.status === 'awaiting') return { kind: 'awaiting-approval', since: gate.createdAt, digestAt: at, ...(gate.releaseAt ? { releaseAt: gate.releaseAt } : {}) };
    if (gate?.status === 'held') return { kind: 'held', by: gateLast?.actor ?? { name: 'unknown', via: 'herald' }, at: gateLast?.at ?? gate.createdAt, digestAt: at };
    return { kind: 'waiting-digest', at };
  }
  if (decision?.status === 'baseline') {
    const state = await h.store.getChannel(c.id);
    return { kind: 'baseline', firstRunAt: state?.firstRunAt ?? decision.decidedAt, lookbackMs: h.config.content.lookbackMs };
  }
  if (decision?.status === 'too-old') return { kind: 'too-old', firstSeenAt: ctx.stored?.firstSeenAt ?? decision.decidedAt, maxAgeMs: h.config.content.maxAgeMs };
  if (decision?.status === 'planned') return { kind: 'no-recipients' };

  if (!c.enabled) return { kind: 'disabled' };
  if (ctx.stored?.goneAt) return { kind: 'removed', at: ctx.stored.goneAt };
  const status = articleStatus(article, ctx.now);
  if (status === 'draft') return { kind: 'draft' };
  if (status === 'scheduled') return { kind: 'scheduled', at: article.publishedAt };
  if (status === 'expired') return { kind: 'expired', at: article.expiresAt ?? article.publishedAt };
  if (embargoed(article, ctx.now)) return { kind: 'embargo', at: article.herald?.embargo as string };
  const miss = routeMiss(article, c);
  if (miss) return miss;
  if (!ctx.stored) return { kind: 'new-file' };
  if (!(await h.store.getChannel(c.id))) return { kind: 'channel-not-run' };
  return { kind: 'next-pass' };
}

/** How instants read in chat and on the command line: in the site's time zone, with its offset. */
export function clockText(h: Herald, iso: string | undefined): string {
  if (!iso) return '?';
  try {
    return formatLocalDate(iso, h.config.site.timezone, 'en', "yyyy-MM-dd HH:mm 'UTC'ZZ");
  } catch {
    return iso;
  }
}

export function actorText(a: Actor): string {
  return a.via === 'herald' ? 'Herald' : `${a.name} (${a.via})`;
}

/** One line in the language `lang` (`en` for chat and the CLI, the site's language on the dashboard). */
export function whyText(h: Herald, r: WhyReason, lang = 'en', when: (iso: string | undefined) => string = (iso) => clockText(h, iso)): string {
  const t = (key: string, params: Record<string, unknown> = {}) => h.engine.i18n.t(lang, key, params);
  switch (r.kind) {
    case 'sent': {
      const base =
        r.digestId !== undefined
          ? t('why_sent_digest', { digest: r.digestId, at: when(r.at) })
          : r.manual
            ? t('why_sent_manual', { at: when(r.at) })
            : t('why_sent', { at: when(r.at) });
      const parts = [base];
      if (r.total > 1) parts.push(t('why_sent_count', { sent: r.sent, total: r.total }));
      else if (r.messageId) parts.push(t('why_message_id', { id: r.messageId }));
      if (r.link) parts.push(r.link);
      return parts.join(' · ');
    }
    case 'pending':
      return r.lastError ? t('why_pending_error', { at: when(r.nextAttemptAt), error: r.lastError }) : t('why_pending', { at: when(r.nextAttemptAt) });
    case 'failed':
      return t('why_failed', { reason: r.reason });
    case 'partly-failed':
      return t('why_partly_failed', { sent: r.sent, failed: r.failed, reason: r.reason });
    case 'waiting-digest':
      return t('why_waiting_digest', { at: when(r.at) });
    case 'awaiting-approval':
      if (r.digestAt) return t(r.releaseAt ? 'why_awaiting_digest_approval' : 'why_awaiting_digest_approval_required', { digest: when(r.digestAt), at: when(r.releaseAt) });
      return r.releaseAt ? t('why_awaiting_approval', { at: when(r.releaseAt) }) : t('why_awaiting_approval_required', { since: when(r.since) });
    case 'held':
      return r.digestAt ? t('why_held_digest', { digest: when(r.digestAt), by: actorText(r.by), at: when(r.at) }) : t('why_held', { by: actorText(r.by), at: when(r.at) });
    case 'skipped':
      return t('why_skipped', { by: actorText(r.by), at: when(r.at) });
    case 'baseline':
      return t('why_baseline', { at: when(r.firstRunAt), lookback: formatDuration(r.lookbackMs) });
    case 'too-old':
      return t('why_too_old', { at: when(r.firstSeenAt), maxAge: formatDuration(r.maxAgeMs) });
    case 'topics':
      return t('why_topics', { topics: r.articleTopics.length ? r.articleTopics : '—', channel_topics: r.channelTopics });
    case 'excluded':
      return t('why_excluded', { topics: r.topics });
    case 'language':
      return t('why_language', { language: r.language, languages: r.languages });
    case 'scheduled':
      return t('why_scheduled', { at: when(r.at) });
    case 'editorial':
      return t(`why_editorial_${r.rule}`, { channels: r.channels });
    case 'embargo':
      return t('why_embargo', { at: when(r.at) });
    case 'expired':
      return t('why_expired', { at: when(r.at) });
    case 'removed':
      return t('why_removed', { at: when(r.at) });
    default:
      return t(`why_${r.kind.replaceAll('-', '_')}`);
  }
}

export function whyEventText(h: Herald, e: WhyEvent, lang = 'en'): string {
  return h.engine.i18n.t(lang, `why_event_${e.event.replaceAll('-', '_')}`, { by: e.actor ? actorText(e.actor) : '', detail: e.detail ?? '' });
}

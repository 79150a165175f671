/**
 * Digests: when a channel's schedule has come, the articles waiting for it become one
 * digest, and a delivery per active subscriber with at least one matching article is
 * planned. Planning is resumable: a digest stays 'planning' until its fanout is written.
 */
import { articleStatus } from '../content/article.ts';
import type { Article } from '../content/article.ts';
import type { Actor, Approval, Digest, FanoutReader, StoredArticle, Subscriber } from '../store/types.ts';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import type { ApprovalSettings } from '../config/fields.ts';
import { approvalSettings, decideApproval, HERALD_ACTOR } from './approval.ts';
import { isDigestDue, nextScheduled } from './digest-schedule.ts';
import type { Herald } from './herald.ts';
import { readerContext } from './plan.ts';
import { articlesForReader, keyOf, type ReaderContext } from './translations.ts';
import { isBreaking, sendsAlerts } from './breaking.ts';
import { shownOf } from './post-shown.ts';
import { prerenderDigest } from './payloads/email-kind.ts';

export interface DigestSummary {
  channelId: string;
  /**
   * Why nothing was made, when nothing was: not its time, nothing new, waiting for the
   * editors (`awaiting-approval`, `held`), skipped by an editor, or already sent early by one.
   */
  skipped?: 'not-scheduled' | 'no-articles' | 'awaiting-approval' | 'held' | 'skipped-by-editor' | 'sent-early';
  /** The approval this digest waits for (or was released by). */
  approval?: Approval;
  digest?: Digest;
  articles: string[];
  recipients: number;
}

/**
 * A subscriber's variant of a digest: the ids of the articles they get, newest first, or
 * null. Of each page they get one version, in their language when the site has it.
 */
export function digestVariant(
  articles: Article[],
  s: Pick<Subscriber, 'topics' | 'language'> & { id?: number },
  readers: ReaderContext,
  /** Breaking stories to name as "already sent" to a reader who got them as alerts (`alreadySent: mention`). */
  mention: readonly Article[] = [],
): string | null {
  const mine = articlesForReader(articles, s, readers);
  if (mine.length === 0) return null;
  const reached = s.id === undefined ? undefined : readers.reached.get(s.id);
  const named = reached ? articlesForReader(mention, s, readers, { ignoreReached: true }).filter((a) => reached.has(keyOf(a))) : [];
  // "~id": named only, not delivered (never counted as reaching the reader).
  return JSON.stringify([...mine.map((a) => a.id), ...named.map((a) => `~${a.id}`)]);
}

async function fanout(h: Herald, channel: EmailChannelConfig, digest: Digest): Promise<number> {
  const articles: Article[] = [];
  for (const id of digest.articleIds) {
    const a = await h.store.getArticle(id);
    if (a) articles.push(a.article);
  }
  const readers = await readerContext(h, channel, articles);
  const mention = channel.alreadySent === 'mention' && sendsAlerts(channel) ? articles.filter((a) => isBreaking(a, h.config)) : [];
  // Readers with the same topics and language get the same variant (unless they already got
  // another version of a page): worked out once per kind of reader, not per subscriber.
  const variants = new Map<string, string | null>();
  const variantOf = (s: FanoutReader): string | null => {
    if (readers.reached.has(s.id)) return digestVariant(articles, s, readers, mention);
    const key = JSON.stringify([s.language ?? null, s.topics]);
    let v = variants.get(key);
    if (v === undefined) {
      v = digestVariant(articles, s, readers, mention);
      variants.set(key, v);
    }
    return v;
  };
  const { planned } = await h.store.applyPlan(
    {
      channelId: channel.id,
      decisions: [],
      deliveries: [],
      fanouts: [
        {
          channelId: channel.id,
          kind: 'digest',
          digestId: digest.id,
          dedupePrefix: `digest:${digest.id}`,
          match: variantOf,
          messageId: (s) => h.messageId(channel.id, `d${digest.id}.${s.publicId}`),
        },
      ],
    },
    h.now(),
  );
  await h.store.finishDigest(digest.id);
  return planned;
}

/** Articles waiting for the channel's next digest that can go in it now (published, not held by an editor). */
async function readyArticles(h: Herald, channel: EmailChannelConfig, now: Date): Promise<StoredArticle[]> {
  const approvals = await h.store.postApprovals(channel.id);
  const waiting: StoredArticle[] = [];
  for (const id of await h.store.waitingArticles(channel.id)) {
    const held = approvals.get(id);
    if (held && held.status !== 'released') continue;
    const a = await h.store.getArticle(id);
    // An article that was unpublished again (draft, expired) or deleted waits; it is not lost.
    if (a && !a.goneAt && articleStatus(a.article, now) === 'published') waiting.push(a);
  }
  return waiting;
}

type Gate = { stop: DigestSummary } | { go: Approval | undefined };

/**
 * A digest channel with `approval`: the card for the next scheduled digest goes out `window`
 * before its time (when something waits for it), and the digest is made at its time only
 * once released (automatically then, unless held; `required`: by a person).
 */
async function approvalGate(h: Herald, channel: EmailChannelConfig, s: ApprovalSettings, since: Date, now: Date, ready: number): Promise<Gate> {
  const stop = (skipped: DigestSummary['skipped'], approval?: Approval): Gate => ({
    stop: { channelId: channel.id, skipped, articles: [], recipients: 0, ...(approval ? { approval } : {}) },
  });
  const at = nextScheduled(channel.schedule, h.config.site.timezone, since);
  const lead = s.window ?? 0;
  if (now.getTime() < at.getTime() - lead) return stop('not-scheduled');
  let a = await h.store.findApproval(channel.id, 'digest', at.toISOString());
  if (!a) {
    // Nothing to send: no card (at its time the schedule moves on with "no articles").
    if (ready === 0) return now >= at ? { go: undefined } : stop('not-scheduled');
    // Editors always get their window, even when the card comes late (Herald was not running).
    const releaseAt = s.required ? undefined : now <= at ? at.toISOString() : new Date(now.getTime() + (s.window ?? 0)).toISOString();
    a = (
      await h.store.createApproval(
        { channelId: channel.id, kind: 'digest', scheduledAt: at.toISOString(), status: 'awaiting', releaseAt, cards: true, action: 'planned', actor: HERALD_ACTOR },
        now,
      )
    ).approval;
  }
  switch (a.status) {
    case 'released':
      if (a.plannedAt) {
        // An editor sent it early: this scheduled time is done.
        if (now >= at) {
          await h.store.setLastDigestAt(channel.id, now);
          return stop('sent-early', a);
        }
        return stop('not-scheduled', a);
      }
      return { go: a };
    case 'held':
      return stop('held', a);
    case 'awaiting':
      return stop(now >= at ? 'awaiting-approval' : 'not-scheduled', a);
    case 'skipped':
      if (now >= at) await h.store.setLastDigestAt(channel.id, now); // the articles wait for the next one
      return stop(now >= at ? 'skipped-by-editor' : 'not-scheduled', a);
  }
}

export async function planDigest(
  h: Herald,
  channel: EmailChannelConfig,
  now: Date,
  opts: { force?: boolean; dryRun?: boolean; actor?: Actor } = {},
): Promise<DigestSummary> {
  // A digest interrupted while planning is completed first (idempotent).
  if (!opts.dryRun) for (const d of await h.store.unfinishedDigests(channel.id)) await fanout(h, channel, d);

  const state = await h.store.getChannel(channel.id);
  if (!state) return { channelId: channel.id, skipped: 'not-scheduled', articles: [], recipients: 0 };
  const since = new Date(state.lastDigestAt ?? state.firstRunAt);
  const waiting = await readyArticles(h, channel, now);
  const settings = approvalSettings(channel);
  let approval: Approval | undefined;
  if (settings && !opts.dryRun) {
    const upcoming = await h.store.findApproval(channel.id, 'digest', nextScheduled(channel.schedule, h.config.site.timezone, since).toISOString());
    if (opts.force) {
      // An editor's "send the digest now" is the decision on the card of the next one.
      if (upcoming && (upcoming.status === 'awaiting' || upcoming.status === 'held')) {
        const r = await decideApproval(h, upcoming.id, 'send-now', opts.actor ?? { name: 'cli', via: 'cli' }, { deliver: false });
        approval = r.outcome === 'done' ? r.approval : undefined;
      } else if (upcoming?.status === 'released' && !upcoming.plannedAt) approval = upcoming;
    } else {
      const gate = await approvalGate(h, channel, settings, since, now, waiting.length);
      if ('stop' in gate) return gate.stop;
      approval = gate.go;
    }
  }
  if (!opts.force && !isDigestDue(channel.schedule, h.config.site.timezone, since, now) && !approval) {
    return { channelId: channel.id, skipped: 'not-scheduled', articles: [], recipients: 0 };
  }

  if (waiting.length === 0) {
    if (approval && !opts.dryRun) await h.store.markApprovalPlanned(approval.id, now);
    // The scheduled time passed with nothing new: no email, and the schedule moves on.
    if (!opts.dryRun) await h.store.setLastDigestAt(channel.id, now);
    return { channelId: channel.id, skipped: 'no-articles', articles: [], recipients: 0 };
  }
  // Pinned articles (front matter herald.pin) first, then newest first.
  const pinned = (a: Article) => (a.herald?.pin ? 0 : 1);
  const articles = waiting
    .map((w) => w.article)
    .sort((a, b) => pinned(a) - pinned(b) || b.publishedAt.localeCompare(a.publishedAt) || a.id.localeCompare(b.id));
  const ids = articles.map((a) => a.id);
  if (opts.dryRun) {
    const readers = await readerContext(h, channel, articles);
    let recipients = 0;
    for (let after = 0; ; ) {
      const page = await h.store.subscribers({ status: 'active', afterId: after, limit: 1000 });
      if (page.length === 0) break;
      for (const s of page) if (!s.paused && digestVariant(articles, s, readers) !== null) recipients++;
      after = page[page.length - 1]!.id;
    }
    return { channelId: channel.id, articles: ids, recipients };
  }
  // What each article shows now, so the next digest can list what was corrected or retracted since.
  const digest = await h.store.createDigest(channel.id, ids, now, Object.fromEntries(articles.map((a) => [a.id, shownOf(a)])));
  if (approval) await h.store.markApprovalPlanned(approval.id, now, digest?.id);
  if (!digest) return { channelId: channel.id, skipped: 'no-articles', articles: [], recipients: 0 };
  // Rendered first, while the process is small (see prerenderDigest); not for a list with no one
  // on it, where no email will use it (the demo's every-minute digest in an idle `herald run`:
  // the MJML worker's render left ~8 MB more resident for nothing).
  if ((await h.store.subscribers({ status: 'active', limit: 1 })).length > 0) await prerenderDigest(h, channel, digest.id);
  const recipients = await fanout(h, channel, digest);
  return { channelId: channel.id, digest, articles: digest.articleIds, recipients, ...(approval ? { approval } : {}) };
}

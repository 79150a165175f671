/**
 * Living posts: after a chat post is out, Herald keeps it true to its article. A correction
 * of what the post shows edits it in place (once the first `settle` minutes are over, so a
 * burst of fixes is one edit); a retraction deletes it or marks it "Retracted"; a page that
 * comes back after its post was deleted is posted again, once. Every step is a revision in
 * the ledger (store `addRevision`), claimed before the platform is called, so two processes
 * never change one post at once and a restart between a change and its edit still edits
 * once: the change is found again by comparing what the post shows with the article.
 */
import { DateTime } from 'luxon';
import { isDeliveryError } from '../channels/errors.ts';
import { type Article, articleStatus, displayTitle } from '../content/article.ts';
import { siteForLanguage } from '../content/site.ts';
import type { Delivery, PostRecord, PostRevision, PostShown, StoredArticle } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { type ChannelConfig, channelKind } from './channel-kinds.ts';
import type { Herald } from './herald.ts';
import { shownChanges, shownOf } from './post-shown.ts';
import { routeMiss } from './rules.ts';

export { shownChanges, shownOf } from './post-shown.ts';

/** Posts older than this are left as they are (platforms stop allowing edits; keeps passes cheap). */
export const LIVING_HORIZON_MS = 30 * 86_400_000;
/** A change that failed this many times in a row (server errors, rate limits) is not tried again. */
export const MAX_REVISION_FAILURES = 5;

export interface LivingResult {
  channelId: string;
  edited: number;
  retracted: number;
  reposted: number;
  /** Refused by the platform or failed: each with its reason. */
  messages: string[];
  /** The earliest time a change waits for (the end of a post's settle time), ISO. */
  wakeAt?: string;
}

export type PostStatus = 'live' | 'marked' | 'deleted';

/** Where a post stands, read from its revisions. */
export interface PostState {
  status: PostStatus;
  /** What the post shows (undefined: never recorded, e.g. the process stopped right after sending). */
  shown?: PostShown;
  /** The message to change (a replacement's id once a post was replaced). */
  messageId?: string;
  /** A change the platform refused: the post is left alone from then on. */
  refused?: PostRevision;
  /** Failures since the last success. */
  failures: number;
  /** The revision that deleted it (its id keys the one re-post). */
  deletedBy?: number;
  /** A retraction the channel ignores was recorded already. */
  retractionIgnored: boolean;
}

export function postState(r: PostRecord): PostState {
  const s: PostState = { status: 'live', messageId: r.delivery.providerMessageId, failures: 0, retractionIgnored: false };
  for (const v of r.revisions) {
    if (v.result === 'refused') s.refused = v;
    if (v.result === 'failed') s.failures++;
    if (v.result !== 'ok') continue;
    s.failures = 0;
    if (v.shown) s.shown = v.shown;
    if (v.messageId) s.messageId = v.messageId;
    if (v.action === 'marked') s.status = 'marked';
    else if (v.action === 'deleted') {
      s.status = 'deleted';
      s.deletedBy = v.id;
    } else if (v.action === 'ignored' && v.reason?.startsWith('retracted')) s.retractionIgnored = true;
    else if (v.action === 'posted' || v.action === 'edited' || v.action === 'restored') {
      s.status = 'live';
      s.retractionIgnored = false;
    }
  }
  return s;
}

type Retraction = 'draft' | 'deleted' | 'expired' | undefined;

/** Why a posted article no longer stands (undefined: it does). A file that failed to parse is not a retraction. */
export function retraction(stored: StoredArticle | undefined, c: { retractOnExpiry: boolean }, now: Date, broken: ReadonlySet<string>): Retraction {
  if (!stored) return undefined;
  if (stored.goneAt) return broken.has(stored.article.file) ? undefined : 'deleted';
  const status = articleStatus(stored.article, now);
  if (status === 'draft') return 'draft';
  if (status === 'expired' && c.retractOnExpiry) return 'expired';
  return undefined;
}

interface ChatLife {
  onEdit: 'update' | 'ignore';
  editNote: boolean;
  settle: number;
  onRetract: 'delete' | 'mark' | 'ignore';
  retractOnExpiry: boolean;
}

function lifeOf(c: ChannelConfig): ChatLife | undefined {
  if (c.type === 'email') return undefined;
  return { onEdit: c.onEdit, editNote: c.editNote, settle: c.settle, onRetract: c.onRetract, retractOnExpiry: c.retractOnExpiry };
}

/**
 * One pass over a chat channel's recent posts. `broken`: files that failed to parse in this
 * scan (their articles are not retracted for it). Never throws for one post: its failure is
 * recorded and the others go on.
 */
export async function revisePosts(h: Herald, channel: ChannelConfig, broken: ReadonlySet<string> = new Set()): Promise<LivingResult> {
  const result: LivingResult = { channelId: channel.id, edited: 0, retracted: 0, reposted: 0, messages: [] };
  const kind = channelKind(channel);
  const life = lifeOf(channel);
  const ops = kind.post;
  if (!life || !ops || kind.audience !== 'destination') return result;
  const now = h.now();
  const records = await h.store.postRecords({ channelId: channel.id, sentSince: new Date(now.getTime() - LIVING_HORIZON_MS).toISOString() });
  if (records.length === 0) return result;
  const articles = new Map((await h.store.listArticles()).map((s) => [s.article.id, s]));
  const adapter = h.adapter(channel);
  // Preview mode (the outbox) writes new posts only: there is no message to change.
  if (!adapter.edit || !adapter.remove) return result;
  const wake = (t: number) => {
    if (result.wakeAt === undefined || t < Date.parse(result.wakeAt)) result.wakeAt = new Date(t).toISOString();
  };

  for (const record of records) {
    const d = record.delivery;
    // A roundup stays as it was posted: its articles are not edited or retracted one by one.
    if (d.articleId === undefined) continue;
    const state = postState(record);
    if (!state.messageId || state.refused || state.failures >= MAX_REVISION_FAILURES) continue;
    const stored = articles.get(d.articleId);
    if (!stored) continue;
    const article = stored.article;
    const gone = retraction(stored, life, now, broken);
    const base = { deliveryId: d.id, channelId: channel.id, articleId: d.articleId };
    const current = shownOf(article);

    if (gone) {
      if (state.status !== 'live') continue;
      if (life.onRetract === 'ignore') {
        if (!state.retractionIgnored) await h.store.addRevision({ ...base, action: 'ignored', result: 'ok', reason: `retracted (${gone}); onRetract: ignore` }, now);
        continue;
      }
      const action = life.onRetract === 'delete' ? 'deleted' : 'marked';
      const done = await change(h, d, base, action, async () => {
        const payload = await ops.render(h, channel, article);
        if (action === 'deleted') {
          await adapter.remove?.(state.messageId as string, payload);
          return {};
        }
        const lang = siteForLanguage(h.config.content, h.config.site, article.language).language;
        const label = h.engine.i18n.t(h.engine.i18n.resolve(lang), 'post_retracted');
        const title = state.shown?.title ?? displayTitle(article);
        await adapter.edit?.(state.messageId as string, ops.retracted(payload, title, label), { form: formOf(state.shown, article), newImage: false });
        return {};
      }, `retracted (${gone})`);
      if (done.ok) result.retracted++;
      else if (done.message) result.messages.push(done.message);
      if (done.stop) break;
      continue;
    }

    if (state.status === 'deleted') {
      // Published again after its post was deleted: posted again, once per deletion.
      if (articleStatus(article, now) !== 'published' || routeMiss(article, channel) !== undefined) continue;
      const planned = await h.store.applyPlan(
        {
          channelId: channel.id,
          decisions: [],
          deliveries: [{ channelId: channel.id, kind: 'post', articleId: article.id, recipient: d.recipient, dedupeKey: `repost:${channel.id}:${article.id}:${state.deletedBy}` }],
          fanouts: [],
        },
        now,
      );
      result.reposted += planned.planned;
      continue;
    }

    if (state.shown === undefined) {
      // Sent, but what it showed was never recorded (the process stopped right after): take it as it is now.
      await h.store.addRevision({ ...base, action: 'posted', shown: current, result: 'ok', reason: 'recorded after the fact' }, now);
      continue;
    }
    const changes = state.status === 'marked' ? ['restored'] : shownChanges(state.shown, current);
    if (changes.length === 0) continue;
    if (state.status === 'live' && life.onEdit === 'ignore') {
      await h.store.addRevision({ ...base, action: 'ignored', shown: current, changes, result: 'ok', reason: 'onEdit: ignore' }, now);
      continue;
    }
    const settleEnd = Date.parse(d.sentAt ?? d.createdAt) + life.settle;
    if (state.status === 'live' && settleEnd > now.getTime()) {
      // Changes in the first minutes are folded into one edit at the end of them.
      wake(settleEnd);
      continue;
    }
    const action = state.status === 'marked' ? 'restored' : 'edited';
    const was = state.shown;
    const done = await change(
      h,
      d,
      { ...base, changes: action === 'edited' ? changes : undefined },
      action,
      async () => {
        let payload = await ops.render(h, channel, article);
        if (life.editNote) payload = ops.note(payload, editNote(h, article, now));
        const form = formOf(was, article);
        if (!ops.replaces(form, payload)) {
          await adapter.edit?.(state.messageId as string, payload, { form, newImage: (was.image ?? '') !== (current.image ?? '') });
          return { shown: current };
        }
        // Telegram cannot turn a photo into text (or back): the replacement goes out first, so the post is never lost.
        const sent = await adapter.send(payload);
        const note = await adapter
          .remove?.(state.messageId as string, payload)
          .then(() => undefined)
          .catch((e: unknown) => `the old message could not be deleted: ${errorMessage(e)}`);
        return { shown: current, messageId: sent.providerMessageId, ...(note ? { reason: `replaced; ${note}` } : { reason: 'replaced (photo and text cannot be edited into each other)' }) };
      },
      changes.join(', '),
    );
    if (done.ok) result.edited++;
    else if (done.message) result.messages.push(done.message);
    if (done.stop) break;
  }
  return result;
}

/** The message's form: a post with an image went out as a photo. */
function formOf(shown: PostShown | undefined, article: Article): 'photo' | 'text' {
  return (shown ? shown.image : article.image) !== undefined ? 'photo' : 'text';
}

/** "Updated 10:42", in the article's language and the site's time zone. */
function editNote(h: Herald, article: Article, now: Date): string {
  const site = siteForLanguage(h.config.content, h.config.site, article.language);
  const lang = h.engine.i18n.resolve(site.language);
  const time = DateTime.fromJSDate(now).setZone(h.config.site.timezone).setLocale(site.language).toLocaleString(DateTime.TIME_SIMPLE);
  return h.engine.i18n.t(lang, 'post_updated', { time });
}

/**
 * Claim the post, do the change, record how it went. A refusal (the platform will not take
 * it: too old, deleted by a person, no rights) is final; other failures are tried again next
 * pass, up to MAX_REVISION_FAILURES. `stop`: leave the channel's other posts for next pass.
 */
async function change(
  h: Herald,
  d: Delivery,
  base: { deliveryId: number; channelId: string; articleId: string; changes?: string[] },
  action: PostRevision['action'],
  run: () => Promise<Partial<Pick<PostRevision, 'shown' | 'messageId' | 'reason'>>>,
  what: string,
): Promise<{ ok: boolean; stop?: boolean; message?: string }> {
  const id = await h.store.addRevision({ ...base, action, result: 'pending' }, h.now());
  if (id === undefined) return { ok: false }; // another process is changing this post
  try {
    const out = await run();
    await h.store.finishRevision(id, { result: 'ok', ...out }, h.now());
    h.log.info(`${d.channelId}: ${action} the post of ${base.articleId} (${what})`);
    return { ok: true };
  } catch (e) {
    const reason = errorMessage(e);
    const refused = isDeliveryError(e) && e.kind === 'permanent';
    await h.store.finishRevision(id, { result: refused ? 'refused' : 'failed', reason }, h.now());
    const verb = { edited: 'edit', marked: 'mark', deleted: 'delete', restored: 'restore' }[action as string] ?? action;
    const message = `${refused ? 'refused' : 'failed'}: could not ${verb} the post of ${base.articleId}${refused ? '' : ' (tried again next pass)'}: ${reason}`;
    h.log.warn(message);
    return { ok: false, stop: isDeliveryError(e) && (e.kind === 'rate-limited' || e.connection), message };
  }
}

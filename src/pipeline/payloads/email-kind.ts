/**
 * Email as a channel kind: one delivery per subscriber; the payload is a prepared raw
 * message. Each distinct body (digest + the subscriber's article set, or one article) is
 * rendered and MIME-encoded once per run, then only the per-recipient parts are spliced.
 */
import { envelopeSender } from '../../bounces/verp.ts';
import { DEFAULT_MAX_BYTES, type EmailChannelConfig, feedbackIdFor } from '../../channels/email/email-config.ts';
import { createSmtpAdapter } from '../../channels/email/smtp-adapter.ts';
import { permanent } from '../../channels/errors.ts';
import { createOutboxAdapter } from '../../channels/preview/outbox-adapter.ts';
import type { EmailPayload } from '../../channels/types.ts';
import { type Article, articleStatus } from '../../content/article.ts';
import { defaultLanguageCode, siteForLanguage } from '../../content/site.ts';
import { escapeHtml, type PrepareMessageInput, type PreparedMessage, prepareMessage } from '../../render/email/prepared-message.ts';
import { endIdleMjmlWorker } from '../../render/email/compile-mjml.ts';
import { fitWithin } from '../../render/email/fit-digest.ts';
import { type DigestCorrection, type GreetingForms, type RenderedEmail, renderDigest, renderSingle } from '../../render/email/render-email.ts';
import { fillPlaceholders, greetingLine } from '../../render/placeholders.ts';
import type { Delivery, Subscriber } from '../../store/types.ts';
import { phase } from '../../util/profile.ts';
import { preferencesUrl, unsubscribeUrl } from '../../util/tokens.ts';
import type { ChannelKind, PayloadBuilder } from '../channel-kinds.ts';
import type { Herald } from '../herald.ts';
import { shownChanges, shownOf } from '../post-shown.ts';
import { displayName } from '../subscriber-name.ts';

export interface Body {
  prepared: PreparedMessage;
  subject: string;
  html: string;
  greeting: GreetingForms;
  /** The HTML part as sent (encoded), with room for the per-recipient links and name. */
  htmlBytes: number;
  /** The channel's clipping limit (email.maxBytes). */
  maxBytes: number;
  /** Digests: articles in the body, and those moved into the "N more articles" line to stay under maxBytes. */
  articles?: { kept: number; movedForSize: number };
}

/** Room per placeholder for what a recipient's values add (a ~150-character link, encoded). */
const SLOT_RESERVE = 450;

function htmlBytesAsSent(p: PreparedMessage): number {
  return p.parts.html.staticBytes + p.parts.html.slots * SLOT_RESERVE;
}

/** The HTML as one recipient sees it: only for preview files, real sends splice the MIME body. */
export function personalHtml(body: Body, r: { name?: string; unsubscribeUrl: string; preferencesUrl?: string }): string {
  const values = {
    greeting: greetingLine(body.greeting, r.name),
    name: r.name ?? '',
    unsubscribeUrl: r.unsubscribeUrl,
    preferencesUrl: r.preferencesUrl ?? r.unsubscribeUrl,
  };
  return fillPlaceholders(body.html, values, escapeHtml);
}

async function loadArticles(h: Herald, ids: string[]): Promise<Article[]> {
  const out: Article[] = [];
  for (const id of ids) {
    const a = await h.store.getArticle(id);
    if (a) out.push(a.article);
  }
  return out;
}

/**
 * What every email of a channel carries whatever its content: sender, List-Id
 * (`<site title> <channel.site-host>`), Feedback-ID and the DKIM keys. The confirmation
 * email uses it too, so every email Herald sends is signed.
 */
export function messageSettings(
  h: Herald,
  c: EmailChannelConfig,
  kind: 'digest' | 'each' | 'confirm',
): Pick<PrepareMessageInput, 'from' | 'replyTo' | 'listId' | 'feedbackId' | 'dkim'> {
  const host = new URL(h.config.site.url).hostname;
  return {
    from: c.from,
    replyTo: c.replyTo,
    listId: { name: h.config.site.title, id: `${c.id}.${host}`.toLowerCase() },
    feedbackId: feedbackIdFor(c, kind, host),
    dkim: c.dkimKeys,
  };
}

export type EmailContent = { kind: 'digest'; articles: Article[]; date: Date; alreadySent?: Article[]; corrections?: DigestCorrection[] } | { kind: 'post'; article: Article };

/**
 * With `corrections: true`: the articles of the channel's previous digest that were corrected
 * (what the digest showed changed) or retracted (draft again, file deleted) since, in the
 * reader's language. Emails cannot be unsent; the next one says what changed.
 */
async function correctionsSince(h: Herald, c: EmailChannelConfig, digestId: number, language: string): Promise<DigestCorrection[]> {
  let previous: number | undefined;
  for (const d of (await h.store.decisions(c.id)).values()) {
    if (d.digestId !== undefined && d.digestId < digestId && (previous === undefined || d.digestId > previous)) previous = d.digestId;
  }
  const before = previous === undefined ? undefined : await h.store.getDigest(previous);
  const out: DigestCorrection[] = [];
  for (const id of before?.articleIds ?? []) {
    const was = before?.shown?.[id];
    const stored = await h.store.getArticle(id);
    if (!was || !stored || (stored.article.language ?? language) !== language) continue;
    const now = stored.article;
    if (stored.goneAt || articleStatus(now, h.now()) === 'draft') out.push({ kind: 'retracted', title: was.title });
    else {
      const fields = shownChanges(was, shownOf(now));
      if (fields.length > 0) out.push({ kind: 'corrected', title: shownOf(now).title, url: now.url, fields });
    }
  }
  return out;
}

/**
 * Render and MIME-encode one distinct body; exported for `preview`, which renders without the
 * store. A digest whose HTML part would pass maxBytes as sent keeps fewer articles (the rest
 * go into its "N more articles" line).
 */
export async function renderEmailBody(h: Herald, c: EmailChannelConfig, content: EmailContent, language?: string): Promise<Body> {
  return phase('render', () => renderEmailBodyNow(h, c, content, language));
}

async function renderEmailBodyNow(h: Herald, c: EmailChannelConfig, content: EmailContent, language?: string): Promise<Body> {
  const site = siteForLanguage(h.config.content, h.config.site, language);
  const maxBytes = c.maxBytes ?? DEFAULT_MAX_BYTES;
  const prepare = (rendered: RenderedEmail): Body => {
    const prepared = prepareMessage({
      ...messageSettings(h, c, content.kind === 'digest' ? 'digest' : 'each'),
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      greeting: rendered.greeting,
      date: h.now(),
    });
    return { prepared, subject: rendered.subject, html: rendered.html, greeting: rendered.greeting, htmlBytes: htmlBytesAsSent(prepared), maxBytes };
  };
  if (content.kind === 'post') {
    return prepare(
      await renderSingle(h.engine, {
        site,
        article: content.article,
        subjectTemplate: c.mode === 'each' ? c.subject : undefined,
        template: c.mode === 'each' ? c.template : undefined,
      }),
    );
  }
  const max = Math.min(content.articles.length, c.maxArticles);
  const fitted = await fitWithin(
    max,
    maxBytes,
    async (count) =>
      prepare(
        await renderDigest(h.engine, {
          site,
          articles: content.articles.slice(0, count),
          moreCount: content.articles.length - count,
          date: content.date,
          alreadySent: content.alreadySent,
          corrections: content.corrections,
          subjectTemplate: c.subject,
          template: c.template,
        }),
      ),
    (b) => b.htmlBytes,
  );
  return { ...fitted.value, articles: { kept: fitted.count, movedForSize: max - fitted.count } };
}

/**
 * Renders a digest's full edition (every article, the site's default language) before its
 * fan-out is planned, and ends the MJML worker: the compile is then reused when the first
 * email is built (compile-mjml.ts keeps the last few), so the worker's ~50 MB never adds to
 * what planning a million deliveries holds. A failure here is left for the send to report.
 */
export async function prerenderDigest(h: Herald, c: EmailChannelConfig, digestId: number): Promise<void> {
  await phase('render', async () => {
    try {
      await emailBody(h, c, { kind: 'digest', digestId });
    } catch {
      // The same render runs again for the first email, which reports it as usual.
    } finally {
      await endIdleMjmlWorker();
    }
  });
}

async function emailBody(h: Herald, c: EmailChannelConfig, d: Pick<Delivery, 'kind' | 'digestId' | 'variant' | 'articleId'>, language?: string): Promise<Body> {
  if (d.kind === 'digest') {
    const digest = d.digestId === undefined ? undefined : await h.store.getDigest(d.digestId);
    if (!digest) throw permanent(`${c.id}: digest ${d.digestId} is missing from the store`);
    const ids = d.variant ? (JSON.parse(d.variant) as string[]) : digest.articleIds;
    // "~id" entries are breaking stories the reader got as alerts, only named in one line.
    const articles = await loadArticles(h, ids.filter((id) => !id.startsWith('~')));
    if (articles.length === 0) throw permanent(`${c.id}: none of the digest's articles are in the store any more`);
    const alreadySent = await loadArticles(h, ids.filter((id) => id.startsWith('~')).map((id) => id.slice(1)));
    const corrections = c.corrections ? await correctionsSince(h, c, digest.id, language ?? defaultLanguageCode(h.config.content, h.config.site)) : [];
    return renderEmailBody(
      h,
      c,
      { kind: 'digest', articles, date: new Date(digest.createdAt), ...(alreadySent.length > 0 ? { alreadySent } : {}), ...(corrections.length > 0 ? { corrections } : {}) },
      language,
    );
  }
  const stored = d.articleId ? await h.store.getArticle(d.articleId) : undefined;
  if (!stored) throw permanent(`${c.id}: article "${d.articleId}" is not in the store`);
  return renderEmailBody(h, c, { kind: 'post', article: stored.article }, language);
}

function payloadBuilder(c: EmailChannelConfig, h: Herald): PayloadBuilder<EmailPayload> {
  const bodies = new Map<string, Promise<Body>>();
  const preview = emailKind.isPreview(c);
  // Recipients of the claimed batch, read in one query; a miss falls back to a single read.
  const recipients = new Map<number, Subscriber>();
  return {
    async prefetch(batch) {
      const found = await h.store.subscribersByIds(batch.flatMap((d) => (d.subscriberId === undefined ? [] : [d.subscriberId])));
      for (const [id, s] of found) recipients.set(id, s);
    },
    async build(d) {
      const id = d.subscriberId;
      const s = id === undefined ? undefined : (recipients.get(id) ?? (await h.store.getSubscriberById(id)));
      if (id !== undefined) recipients.delete(id);
      if (!s) throw permanent(`${c.id}: subscriber was removed before sending; not sent`);
      if (s.status !== 'active') throw permanent(`${c.id}: subscriber is ${s.status}; not sent`);
      if (s.paused) throw permanent(`${c.id}: subscriber paused their emails; not sent`);
      // Readers of one language share a render; their interface strings differ from others'.
      const locale = siteForLanguage(h.config.content, h.config.site, s.language).language;
      const key = d.kind === 'digest' ? `d:${d.digestId}:${d.variant}:${locale}` : `a:${d.articleId}:${locale}`;
      let body = bodies.get(key);
      if (!body) {
        body = emailBody(h, c, d, s.language);
        bodies.set(key, body);
        body.catch(() => bodies.delete(key));
      }
      const b = await body;
      const messageId = d.messageId ?? h.messageId(c.id, `x${d.id}`);
      const unsubscribe = unsubscribeUrl(h.config.server.publicUrl, h.secret, s.publicId);
      const preferences = preferencesUrl(h.config.server.publicUrl, h.secret, s.publicId);
      const name = displayName(s.name);
      const raw = await b.prepared.buildParts({
        to: { address: s.email, name },
        messageId,
        unsubscribeUrl: unsubscribe,
        preferencesUrl: preferences,
        unsubscribeMailto: c.unsubscribeMailto,
        name,
      });
      const html = preview ? personalHtml(b, { name, unsubscribeUrl: unsubscribe, preferencesUrl: preferences }) : undefined;
      // With bounces.returnPath, bounces come back to an address naming this delivery (VERP).
      const from = envelopeSender(h.config.bounces.returnPath, h.secret, { kind: 'delivery', id: d.id }, b.prepared.envelopeFrom);
      return { kind: 'email', envelope: { from, to: s.email }, messageId, raw, html, subject: b.subject };
    },
  };
}

export const emailKind: ChannelKind<EmailChannelConfig, EmailPayload> = {
  audience: 'subscribers',
  usesDigests: (c) => c.mode === 'digest',
  destination: () => '',
  isPreview: (c) => c.smtp === '',
  createAdapter: (c, h) =>
    c.smtp === ''
      ? createOutboxAdapter({ channelId: c.id, type: 'email', dir: h.config.outboxDir })
      : createSmtpAdapter({ channelId: c.id, url: c.smtp, pool: c.pool, tls: c.tls }),
  payloads: payloadBuilder,
  concurrency: (c) => (c.smtp === '' ? 4 : c.pool.maxConnections * 4),
};

/** Articles: the list with per-channel delivery state, one article's previews, and "send now". */
import type { FastifyInstance } from 'fastify';
import type { DiscordPayload } from '../../../channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../../../channels/telegram/telegram-payload.ts';
import { type Article, articleStatus } from '../../../content/article.ts';
import { scanSite } from '../../../pipeline/scan.ts';
import { articleChannelState } from '../../../pipeline/article-state.ts';
import { type ChannelConfig, channelKind } from '../../../pipeline/channel-kinds.ts';
import type { Herald } from '../../../pipeline/herald.ts';
import { explainArticle, whyEventText, whyText } from '../../../pipeline/why.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { discordView, telegramView } from '../chat-previews.ts';
import { type AdminContext, adminPage, articleHref, field, lang, redirectWith, sessionOf, tr, when } from '../context.ts';
import { emailPreview, PREVIEW_CSP } from '../email-previews.ts';
import { sendArticleNow } from '../manual-send.ts';
import { runLines, runOk } from '../results.ts';

async function channelStates(h: Herald, articleIds: string[]) {
  const out = new Map<string, Array<{ channel: string; type: string } & Awaited<ReturnType<typeof articleChannelState>>>>();
  for (const id of articleIds) out.set(id, []);
  for (const c of h.config.channels) {
    const decisions = await h.store.decisions(c.id);
    const approvals = await h.store.postApprovals(c.id);
    // A list reads the channel's deliveries once; one article asks for its own.
    const summaries = articleIds.length > 1 ? await h.store.deliverySummaries(c.id) : undefined;
    for (const id of articleIds) out.get(id)!.push({ channel: c.id, type: c.type, sent: 0, pending: 0, failed: 0, ...(await articleChannelState(h, c.id, id, decisions, approvals, summaries)) });
  }
  return out;
}

/** The article from content.dir, else the store's last snapshot of a file that is gone. */
async function findArticle(h: Herald, id: string): Promise<{ article: Article; gone: boolean } | undefined> {
  const scan = await scanSite(h);
  const found = scan.articles.find((a) => a.id === id);
  if (found) return { article: found, gone: false };
  const stored = await h.store.getArticle(id);
  return stored ? { article: stored.article, gone: true } : undefined;
}

async function channelPreview(h: Herald, c: ChannelConfig, article: Article) {
  const base = { id: c.id, type: c.type, preview_mode: channelKind(c).isPreview(c), enabled: c.enabled };
  try {
    if (c.type === 'email') {
      const { subject } = await emailPreview(h, c, { kind: 'post', article });
      return { ...base, subject, digest: c.mode === 'digest', frame: `${articleHref(article.id)}/email/${encodeURIComponent(c.id)}` };
    }
    const { payload, description } = await channelKind(c).preview!(h, c, article);
    const view = c.type === 'telegram' ? { telegram: telegramView(payload as TelegramPayload) } : { discord: discordView(payload as DiscordPayload) };
    return { ...base, ...view, method: description.method, fields_json: JSON.stringify(description.fields, null, 2), limits: description.limits };
  } catch (e) {
    return { ...base, error: errorMessage(e) };
  }
}

export async function articlePages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;

  app.get('/admin/articles', async (req, reply) => {
    const scan = await scanSite(h);
    const now = h.now();
    const present = new Set(scan.articles.map((a) => a.id));
    const gone = (await h.store.listArticles()).filter((s) => !present.has(s.article.id)).map((s) => s.article);
    const all = [...scan.articles.map((a) => ({ a, status: articleStatus(a, now) as string })), ...gone.map((a) => ({ a, status: 'removed' }))];
    all.sort((x, y) => y.a.publishedAt.localeCompare(x.a.publishedAt) || x.a.id.localeCompare(y.a.id));
    const states = await channelStates(
      h,
      all.map((x) => x.a.id),
    );
    const rows = all.map(({ a, status }) => ({
      id: a.id,
      href: articleHref(a.id),
      title: a.title,
      file: a.file,
      status,
      date: a.publishedAt,
      topics: a.topics,
      channels: states.get(a.id),
    }));
    const problems = scan.problems.map((p) => ({ file: p.file, reason: p.reason }));
    return adminPage(ctx, req, reply, { template: 'articles', title: tr(h, 'admin_articles_title'), section: 'articles', data: { rows, problems } });
  });

  app.get('/admin/articles/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const found = await findArticle(h, id);
    if (!found) return adminPage(ctx, req, reply, { template: 'message', title: tr(h, 'admin_not_found_title'), section: 'articles', status: 404, data: { message: tr(h, 'admin_article_not_found', { id }) } });
    const { article, gone } = found;
    const states = (await channelStates(h, [article.id])).get(article.id) ?? [];
    // The same explanation as `herald why` and the chats', in the site's language.
    const why = await explainArticle(h, article);
    const channels = [];
    for (const c of h.config.channels) {
      const w = why.channels.find((x) => x.channelId === c.id);
      channels.push({
        ...(await channelPreview(h, c, article)),
        state: states.find((s) => s.channel === c.id),
        why: w ? whyText(h, w.reason, lang(h), (iso) => when(h, iso)) : undefined,
        history: (w?.history ?? []).map((e) => ({ at: e.at, text: whyEventText(h, e, lang(h)) })),
      });
    }
    return adminPage(ctx, req, reply, {
      template: 'article',
      title: article.title,
      section: 'articles',
      data: { article, href: articleHref(article.id), status: gone ? 'removed' : articleStatus(article, h.now()), gone, channels },
    });
  });

  // The email exactly as a sample reader gets it, for the preview frame on the article page.
  app.get('/admin/articles/:id/email/:channel', async (req, reply) => {
    const { id, channel } = req.params as { id: string; channel: string };
    const c = h.channel(channel);
    const found = await findArticle(h, id);
    if (c?.type !== 'email' || !found) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('not found');
    const { html } = await emailPreview(h, c, { kind: 'post', article: found.article });
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PREVIEW_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'no-store')
      .send(html);
  });

  app.post('/admin/articles/:id/send', async (req, reply) => {
    const { id } = req.params as { id: string };
    const back = articleHref(id);
    const c = h.channel(field(req, 'channel'));
    if (!c) return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_unknown_channel', { channel: field(req, 'channel') }) });
    const force = field(req, 'force') === '1';
    // Sending again is deliberate: the form asks for a tick, and without it nothing is sent.
    if (force && field(req, 'confirm') !== 'yes') return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_confirm_required') });
    let r: Awaited<ReturnType<typeof sendArticleNow>>;
    try {
      r = await sendArticleNow(h, c, id, force, { name: sessionOf(req)?.user ?? 'dashboard', via: 'dashboard' });
    } catch (e) {
      return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_send_failed', { channel: c.id }), lines: [errorMessage(e)] });
    }
    const p = { id, channel: c.id };
    switch (r.outcome) {
      case 'not-found':
        // Back to the list: the article's own page would only say "not found".
        return redirectWith(req, reply, '/admin/articles', { kind: 'error', text: tr(h, 'admin_send_not_found', p), lines: r.problem ? [r.problem] : [] });
      case 'not-published':
        return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_send_not_published', { ...p, status: tr(h, `admin_status_${r.status}`) }) });
      case 'already-sent':
        return redirectWith(req, reply, back, { kind: 'info', text: tr(h, 'admin_send_already', { ...p, at: when(h, r.at) }) });
      case 'no-recipients':
        return redirectWith(req, reply, back, { kind: 'info', text: tr(h, 'admin_send_no_recipients', p) });
      case 'ran':
        return redirectWith(req, reply, back, {
          kind: runOk(r.run) ? 'ok' : 'error',
          text: tr(h, runOk(r.run) ? 'admin_send_done' : 'admin_send_problems', p),
          lines: runLines(h, r.run),
        });
    }
  });
}

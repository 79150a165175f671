/** Digests: per email digest channel, the next digest as a reader will see it, and "send now". */
import type { FastifyInstance } from 'fastify';
import type { EmailChannelConfig } from '../../../channels/email/email-config.ts';
import type { ChannelConfig } from '../../../pipeline/channel-kinds.ts';
import { nextScheduled } from '../../../pipeline/digest-schedule.ts';
import { runPass } from '../../../pipeline/dispatch.ts';
import { channelKind } from '../../../pipeline/channel-kinds.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, redirectWith, sessionOf, tr } from '../context.ts';
import { emailPreview, nextDigest, PREVIEW_CSP } from '../email-previews.ts';
import { passFlash } from '../results.ts';

const isDigestChannel = (c: ChannelConfig | undefined): c is EmailChannelConfig => c?.type === 'email' && c.mode === 'digest';

export async function digestPages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;

  app.get('/admin/digests', async (req, reply) => {
    const channels = [];
    for (const c of h.config.channels.filter(isDigestChannel)) {
      const state = await h.store.getChannel(c.id);
      const next = await nextDigest(h, c);
      channels.push({
        id: c.id,
        enabled: c.enabled,
        preview_mode: channelKind(c).isPreview(c),
        schedule: c.schedule,
        last_at: state?.lastDigestAt,
        next_at: state ? nextScheduled(c.schedule, h.config.site.timezone, new Date(state.lastDigestAt ?? state.firstRunAt)).toISOString() : undefined,
        waiting: next.fallback ? 0 : next.articles.length,
        fallback: next.fallback,
        articles: next.articles.slice(0, c.maxArticles).map((a) => ({ title: a.title, date: a.publishedAt })),
        frame: `/admin/digests/${encodeURIComponent(c.id)}/preview`,
      });
    }
    return adminPage(ctx, req, reply, { template: 'digests', title: tr(h, 'admin_digests_title'), section: 'digests', data: { channels } });
  });

  app.get('/admin/digests/:channel/preview', async (req, reply) => {
    const c = h.channel((req.params as { channel: string }).channel);
    const text = (status: number, body: string) => reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(body);
    if (!isDigestChannel(c)) return text(404, 'not found');
    const next = await nextDigest(h, c);
    if (next.articles.length === 0) return text(200, tr(h, 'admin_digest_nothing'));
    const { html } = await emailPreview(h, c, { kind: 'digest', articles: next.articles, date: h.now() });
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PREVIEW_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'no-store')
      .send(html);
  });

  // `herald digest <channel>`: make and send the digest now, whatever the schedule.
  app.post('/admin/digests/:channel/send', async (req, reply) => {
    const c = h.channel((req.params as { channel: string }).channel);
    if (!isDigestChannel(c)) return redirectWith(req, reply, '/admin/digests', { kind: 'error', text: tr(h, 'admin_not_digest_channel') });
    try {
      const r = await runPass(h, { channels: [c.id], forceDigest: c.id, maxInRunWaitMs: 15_000, actor: { name: sessionOf(req)?.user ?? 'dashboard', via: 'dashboard' } });
      // "Digest sent" only when an email went out (a new digest, or one still pending from before).
      const digest = r.digests.find((d) => d.channelId === c.id);
      const run = r.runs.find((x) => x.channelId === c.id);
      const none = r.ok && (digest === undefined || digest.skipped !== undefined) && !(run && (run.sent || run.failed || run.deferred));
      const flash = passFlash(h, tr(h, !r.ok ? 'admin_digest_problems' : none ? 'admin_digest_none_sent' : 'admin_digest_sent', { channel: c.id }), r);
      return redirectWith(req, reply, '/admin/digests', none ? { ...flash, kind: 'info' } : flash);
    } catch (e) {
      return redirectWith(req, reply, '/admin/digests', { kind: 'error', text: tr(h, 'admin_send_failed', { channel: c.id }), lines: [errorMessage(e)] });
    }
  });
}

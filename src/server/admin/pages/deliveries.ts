/** Deliveries: counts per channel, the latest 100, the failed ones with reasons, and "retry failed". */
import type { FastifyInstance } from 'fastify';
import { runPass } from '../../../pipeline/dispatch.ts';
import type { Delivery } from '../../../store/types.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, articleHref, field, redirectWith, tr } from '../context.ts';
import { passFlash } from '../results.ts';

const LIMIT = 100;

function row(d: Delivery) {
  return {
    id: d.id,
    channel: d.channelId,
    kind: d.kind,
    article: d.articleId,
    article_href: d.articleId ? articleHref(d.articleId) : undefined,
    digest: d.digestId,
    recipient: d.recipient,
    status: d.status,
    attempts: d.attempts,
    created_at: d.createdAt,
    sent_at: d.sentAt,
    next_at: d.status === 'pending' ? d.nextAttemptAt : undefined,
    provider_id: d.providerMessageId,
    error: d.lastError,
  };
}

export async function deliveryPages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;

  app.get('/admin/deliveries', async (req, reply) => {
    const counts = new Map((await h.store.counts()).map((c) => [c.channelId, c]));
    const channels = h.config.channels.map((c) => ({ id: c.id, type: c.type, ...(counts.get(c.id) ?? { pending: 0, sending: 0, sent: 0, failed: 0 }) }));
    const failed = (await h.store.recentDeliveries({ status: 'failed', limit: LIMIT })).map(row);
    const recent = (await h.store.recentDeliveries({ limit: LIMIT })).map(row);
    const anyFailed = channels.some((c) => c.failed > 0 || c.pending > 0);
    return adminPage(ctx, req, reply, {
      template: 'deliveries',
      title: tr(h, 'admin_deliveries_title'),
      section: 'deliveries',
      data: { channels, failed, recent, any_failed: anyFailed, limit: LIMIT },
    });
  });

  // `herald retry [--channel]`: failed and deferred deliveries due now, then a pass for those channels.
  app.post('/admin/deliveries/retry', async (req, reply) => {
    const id = field(req, 'channel');
    if (id !== '' && !h.channel(id)) return redirectWith(req, reply, '/admin/deliveries', { kind: 'error', text: tr(h, 'admin_unknown_channel', { channel: id }) });
    try {
      const n = await h.store.retryNow(id || undefined, h.now());
      const r = await runPass(h, { channels: id ? [id] : undefined, maxInRunWaitMs: 15_000 });
      return redirectWith(req, reply, '/admin/deliveries', passFlash(h, tr(h, 'admin_retry_done', n), r));
    } catch (e) {
      return redirectWith(req, reply, '/admin/deliveries', { kind: 'error', text: tr(h, 'admin_retry_failed'), lines: [errorMessage(e)] });
    }
  });
}

/**
 * Subscribers: counts, search, one subscriber with their consent history, CSV export and
 * import, consent records as CSV. Import takes the CSV text from a textarea (urlencoded
 * form): multipart uploads would need @fastify/multipart, which Herald does not ship;
 * pasting the file's contents works without it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { channelRates, percent, type Rates } from '../../../bounces/rates.ts';
import { consentCsv, exportConsentCsv } from '../../../pipeline/consent-export.ts';
import { CsvImportError, exportSubscribersCsv, importSubscribersCsv, logImportProgress } from '../../../pipeline/subscriber-import.ts';
import { showValue } from '../../../pipeline/subscriber-name.ts';
import { isSuppressed } from '../../../store/subscriber-status.ts';
import type { BounceEvent, Subscriber } from '../../../store/types.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, field, redirectWith, sessionOf, tr } from '../context.ts';
import { sliceLargeForms } from '../form-body.ts';
import { capLines } from '../results.ts';

const SEARCH_LIMIT = 100;
/** Bounce and complaint reports shown on the subscribers page (herald bounces lists them all). */
const RECENT_BOUNCES = 20;
/** Larger than the site-wide form limit: a pasted list of some hundred thousand addresses. */
const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;

/** A CSV download, never cached. */
function csvFile(reply: FastifyReply, name: string, body: string): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(body);
}

export async function subscriberPages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;
  // A pasted CSV of tens of thousands of rows: decoded a slice at a time, like the import itself.
  sliceLargeForms(app, 64 * 1024);
  const today = () => h.now().toISOString().slice(0, 10);

  /** The subscriber of `/admin/subscribers/:id`, or the 404 page already sent. */
  async function subscriberOf(req: FastifyRequest, reply: FastifyReply): Promise<Subscriber | undefined> {
    const raw = (req.params as { id?: string }).id ?? '';
    const s = /^\d{1,15}$/.test(raw) ? await h.store.getSubscriberById(Number(raw)) : undefined;
    if (!s) {
      await adminPage(ctx, req, reply, {
        template: 'message',
        title: tr(h, 'admin_not_found_title'),
        section: 'subscribers',
        status: 404,
        data: { message: tr(h, 'admin_subscriber_not_found') },
      });
    }
    return s;
  }

  app.get('/admin/subscribers', async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).q;
    const q = typeof raw === 'string' ? raw.trim().slice(0, 200) : '';
    const results = q
      ? (await h.store.searchSubscribers(q, SEARCH_LIMIT)).map((s) => ({
          id: s.id,
          email: s.email,
          name: s.name,
          topics: s.topics,
          status: s.status,
          created_at: s.createdAt,
        }))
      : undefined;
    const rates = await channelRates(h);
    const show = (r: Rates) => ({ sent: r.sent, bounced: r.bounced, complained: r.complained, bounce_rate: percent(r.bounceRate), complaint_rate: percent(r.complaintRate) });
    return adminPage(ctx, req, reply, {
      template: 'subscribers',
      title: tr(h, 'admin_subscribers_title'),
      section: 'subscribers',
      data: {
        counts: await h.store.subscriberCounts(),
        q,
        results,
        limit: SEARCH_LIMIT,
        rates: rates.map((r) => ({ channel: r.channelId, d30: show(r.last30Days), ...(r.lastDigest ? { last: { id: r.lastDigest.digestId, ...show(r.lastDigest) } } : {}) })),
        rate_warnings: rates.flatMap((r) => r.warnings),
        recent_bounces: (await h.store.bounceEvents({ limit: RECENT_BOUNCES })).map((b) => ({
          at: b.at,
          recipient: b.recipient,
          subscriber: b.subscriberId,
          type: b.type,
          source: b.source,
          channel: b.channelId,
          code: b.code,
          applied: b.applied,
          unmatched: b.unmatched,
        })),
      },
    });
  });

  app.get('/admin/subscribers/export.csv', async (_req, reply) => {
    const chunks: string[] = [];
    await exportSubscribersCsv(h, (c) => chunks.push(c));
    return csvFile(reply, `subscribers-${today()}.csv`, chunks.join(''));
  });

  app.get('/admin/subscribers/history.csv', async (_req, reply) => {
    const chunks: string[] = [];
    await exportConsentCsv(h, (c) => chunks.push(c));
    return csvFile(reply, `consent-history-${today()}.csv`, chunks.join(''));
  });

  app.get('/admin/subscribers/:id', async (req, reply) => {
    const s = await subscriberOf(req, reply);
    if (!s) return reply;
    const events = await h.store.consentHistory(s.id);
    const bounces = await h.store.bounceEvents({ subscriberId: s.id, limit: 200 });
    return adminPage(ctx, req, reply, {
      template: 'subscriber',
      title: s.email,
      section: 'subscribers',
      data: {
        s: {
          id: s.id,
          email: s.email,
          name: s.name,
          topics: s.topics,
          status: s.status,
          paused: s.paused,
          alerts: s.alerts,
          created_at: s.createdAt,
          confirmed_at: s.confirmedAt,
          unsubscribed_at: s.unsubscribedAt,
          unsubscribe_source: s.unsubscribeSource,
        },
        events: events.map((e) => ({ at: e.at, from: e.from, to: e.to, source: e.source, ip: e.ip, detail: e.detail })),
        can_unsubscribe: !isSuppressed(s.status),
        bounces: bounces.map((b) => ({
          at: b.at,
          source: b.source,
          type: b.type,
          code: b.code,
          diagnostic: b.diagnostic,
          channel: b.channelId,
          delivery: b.deliveryId,
          applied: b.applied,
        })),
        can_reactivate: s.status === 'bounced',
        hard_bounced: s.status === 'bounced' && hardBounced(bounces),
      },
    });
  });

  app.get('/admin/subscribers/:id/history.csv', async (req, reply) => {
    const s = await subscriberOf(req, reply);
    if (!s) return reply;
    return csvFile(reply, `consent-history-${s.id}-${today()}.csv`, consentCsv(s.email, await h.store.consentHistory(s.id)));
  });

  app.post('/admin/subscribers/:id/unsubscribe', async (req, reply) => {
    const s = await subscriberOf(req, reply);
    if (!s) return reply;
    const back = `/admin/subscribers/${s.id}`;
    if (isSuppressed(s.status)) {
      return redirectWith(req, reply, back, {
        kind: 'info',
        text: tr(h, 'admin_unsubscribed_already', { email: s.email, status: tr(h, `admin_sstatus_${s.status}`) }),
      });
    }
    const user = sessionOf(req)?.user ?? '';
    await h.store.unsubscribe(s.id, h.now(), { source: 'editor', detail: `dashboard (${user})` });
    h.log.info(`dashboard: ${user} unsubscribed subscriber #${s.id}`);
    return redirectWith(req, reply, back, { kind: 'ok', text: tr(h, 'admin_unsubscribed_done', { email: s.email }) });
  });

  app.post('/admin/subscribers/:id/reactivate', async (req, reply) => {
    const s = await subscriberOf(req, reply);
    if (!s) return reply;
    const back = `/admin/subscribers/${s.id}`;
    if (s.status !== 'bounced') return redirectWith(req, reply, back, { kind: 'info', text: tr(h, 'admin_reactivate_not_bounced', { email: s.email }) });
    // A hard bounce said the address does not exist: taking it back needs the editor's explicit word.
    if (hardBounced(await h.store.bounceEvents({ subscriberId: s.id, limit: 200 })) && field(req, 'confirm') !== 'yes') {
      return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_reactivate_needs_confirm', { email: s.email }) });
    }
    const user = sessionOf(req)?.user ?? '';
    const ok = await h.store.reactivateSubscriber(s.id, h.now(), { source: 'editor', detail: `reactivated from the dashboard (${user})` });
    if (!ok) return redirectWith(req, reply, back, { kind: 'info', text: tr(h, 'admin_reactivate_not_bounced', { email: s.email }) });
    h.log.info(`dashboard: ${user} reactivated bounced subscriber #${s.id}`);
    return redirectWith(req, reply, back, { kind: 'ok', text: tr(h, 'admin_reactivate_done', { email: s.email }) });
  });

  app.post('/admin/subscribers/import', { bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    const back = '/admin/subscribers';
    const csv = field(req, 'csv');
    if (csv.trim() === '') return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_import_empty') });
    const user = sessionOf(req)?.user ?? '';
    try {
      const r = await importSubscribersCsv(h, csv, {
        by: { source: 'import', detail: `dashboard (${user})` },
        onProgress: logImportProgress(h.log, `dashboard: import by ${user}`),
      });
      const lines = r.invalid.map((b) =>
        b.column === 'name'
          ? tr(h, `admin_import_invalid_name_${b.problem ?? 'control'}`, { line: b.line, value: showValue(b.value) })
          : tr(h, b.column === 'status' ? 'admin_import_invalid_status' : 'admin_import_invalid_line', { line: b.line, value: b.value }),
      );
      const text = tr(h, 'admin_import_done', { count: r.added + r.updated, added: r.added, updated: r.updated, invalid: r.invalid.length });
      const kept = r.kept ? [tr(h, 'admin_import_kept', { count: r.kept })] : [];
      return redirectWith(req, reply, back, { kind: r.invalid.length ? 'error' : 'ok', text, lines: capLines(h, [...kept, ...lines]) });
    } catch (e) {
      const message = e instanceof CsvImportError ? e.message : errorMessage(e);
      return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_import_failed'), lines: [message] });
    }
  });
}

/** Whether the bounce that stopped the address was a hard one (the newest event that changed its status). */
function hardBounced(events: BounceEvent[]): boolean {
  return events.find((e) => e.applied === 'bounced')?.type === 'hard';
}

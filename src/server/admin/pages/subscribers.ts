/**
 * Subscribers: counts, search, one subscriber with their consent history, CSV export and
 * import, consent records as CSV. Import takes the CSV text from a textarea (urlencoded
 * form): multipart uploads would need @fastify/multipart, which Herald does not ship;
 * pasting the file's contents works without it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consentCsv, exportConsentCsv } from '../../../pipeline/consent-export.ts';
import { CsvImportError, exportSubscribersCsv, importSubscribersCsv, logImportProgress } from '../../../pipeline/subscriber-import.ts';
import { showValue } from '../../../pipeline/subscriber-name.ts';
import { isSuppressed } from '../../../store/subscriber-status.ts';
import type { Subscriber } from '../../../store/types.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, field, redirectWith, sessionOf, tr } from '../context.ts';
import { sliceLargeForms } from '../form-body.ts';
import { capLines } from '../results.ts';

const SEARCH_LIMIT = 100;
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
    return adminPage(ctx, req, reply, {
      template: 'subscribers',
      title: tr(h, 'admin_subscribers_title'),
      section: 'subscribers',
      data: { counts: await h.store.subscriberCounts(), q, results, limit: SEARCH_LIMIT },
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

/**
 * Subscribers: counts, search, CSV export and import. Import takes the CSV text from a
 * textarea (urlencoded form): multipart uploads would need @fastify/multipart, which
 * Herald does not ship; pasting the file's contents works without it.
 */
import type { FastifyInstance } from 'fastify';
import { CsvImportError, exportSubscribersCsv, importSubscribersCsv } from '../../../pipeline/subscriber-import.ts';
import { showValue } from '../../../pipeline/subscriber-name.ts';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, field, redirectWith, tr } from '../context.ts';
import { capLines } from '../results.ts';

const SEARCH_LIMIT = 100;
/** Larger than the site-wide form limit: a pasted list of some ten thousand addresses. */
const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;

export async function subscriberPages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;

  app.get('/admin/subscribers', async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).q;
    const q = typeof raw === 'string' ? raw.trim().slice(0, 200) : '';
    const results = q
      ? (await h.store.searchSubscribers(q, SEARCH_LIMIT)).map((s) => ({ email: s.email, name: s.name, topics: s.topics, status: s.status, created_at: s.createdAt }))
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
    const date = h.now().toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="subscribers-${date}.csv"`)
      .header('cache-control', 'no-store')
      .send(chunks.join(''));
  });

  app.post('/admin/subscribers/import', { bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    const back = '/admin/subscribers';
    const csv = field(req, 'csv');
    if (csv.trim() === '') return redirectWith(req, reply, back, { kind: 'error', text: tr(h, 'admin_import_empty') });
    try {
      const r = await importSubscribersCsv(h, csv);
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

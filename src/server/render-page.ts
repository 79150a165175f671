/**
 * Server-rendered pages: every page is a Liquid template under templates/web/ rendered with
 * the one Herald template engine (HTML-escaped by default), inside templates/web/layout.html.liquid.
 */
import type { FastifyReply } from 'fastify';
import type { Herald } from '../pipeline/herald.ts';

export interface PageOptions {
  /** Template under templates/web/ without extension, e.g. 'subscribe'. */
  template: string;
  /** Page title (already translated). */
  title: string;
  status?: number;
  data?: Record<string, unknown>;
}

/** The page's HTML. */
export async function renderPageHtml(h: Herald, page: PageOptions): Promise<string> {
  const lang = h.engine.i18n.resolve(h.config.site.language);
  const data = { site: h.config.site, lang, title: page.title, ...page.data };
  const body = await h.engine.render(`web/${page.template}.html.liquid`, data);
  return h.engine.render('web/layout.html.liquid', { ...data, body_html: body });
}

export async function renderPage(h: Herald, reply: FastifyReply, page: PageOptions): Promise<FastifyReply> {
  const html = await renderPageHtml(h, page);
  return reply
    .code(page.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .send(html);
}

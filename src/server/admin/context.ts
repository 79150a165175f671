/** What every dashboard route shares: the Herald context, sessions, cookie policy, and page rendering. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import type { Herald } from '../../pipeline/herald.ts';
import { formatLocalDate } from '../../render/filters.ts';
import type { MessageParams } from '../../render/i18n.ts';
import { renderPage } from '../render-page.ts';
import type { CookiePolicy, CredentialsState, Flash, Session, SessionStore } from './auth.ts';

export interface AdminContext {
  h: Herald;
  sessions: SessionStore;
  policy: CookiePolicy;
  credentials: CredentialsState;
}

// A WeakMap instead of a request decorator keeps the dashboard's state out of the shared request type.
const sessionOfRequest = new WeakMap<FastifyRequest, Session>();

export function attachSession(req: FastifyRequest, s: Session): void {
  sessionOfRequest.set(req, s);
}

export function sessionOf(req: FastifyRequest): Session | undefined {
  return sessionOfRequest.get(req);
}

export function lang(h: Herald): string {
  return h.engine.i18n.resolve(h.config.site.language);
}

export function tr(h: Herald, key: string, params: MessageParams = {}): string {
  return h.engine.i18n.t(lang(h), key, params);
}

export type Section = 'articles' | 'digests' | 'deliveries' | 'subscribers' | 'doctor' | 'none';

export interface AdminPage {
  /** Template under templates/web/admin/ without extension. */
  template: string;
  /** i18n key of the page title, or a ready title. */
  title: string;
  section: Section;
  status?: number;
  data?: Record<string, unknown>;
}

/**
 * Renders a dashboard page inside the admin frame (navigation, flash message, styles),
 * inside the site layout. Never cached: pages carry the CSRF token and subscriber data.
 */
export async function adminPage(ctx: AdminContext, req: FastifyRequest, reply: FastifyReply, page: AdminPage): Promise<FastifyReply> {
  const { h } = ctx;
  const session = sessionOf(req);
  const flash = session?.flash;
  if (session) session.flash = undefined;
  const common = { site: h.config.site, lang: lang(h), title: page.title, csrf: session?.csrf ?? '', user: session?.user ?? '', section: page.section };
  const content = await h.engine.render(`web/admin/${page.template}.html.liquid`, { ...common, ...page.data });
  reply.header('cache-control', 'no-store');
  return renderPage(h, reply, { template: 'admin/frame', title: page.title, status: page.status, data: { ...common, flash, content_html: content } });
}

export function setFlash(req: FastifyRequest, flash: Flash): void {
  const s = sessionOf(req);
  if (s) s.flash = flash;
}

/** Post/redirect/get: the result waits in the session for the page it leads to. */
export function redirectWith(req: FastifyRequest, reply: FastifyReply, to: string, flash: Flash): FastifyReply {
  setFlash(req, flash);
  return reply.redirect(to, 303);
}

export function articleHref(id: string): string {
  return `/admin/articles/${encodeURIComponent(id)}`;
}

/**
 * The shape every dashboard form and query must have: a few named text fields (a repeated
 * name is a list). Checked before any route reads a field; each route then checks the
 * values it uses (a channel that exists, a CSV that parses).
 */
const FIELDS = z
  .record(z.string().max(64), z.union([z.string(), z.array(z.string().max(10_000)).max(100)]))
  .refine((o) => Object.keys(o).length <= 32, 'too many fields');

export function wellFormed(fields: unknown): boolean {
  return fields === undefined || fields === null || FIELDS.safeParse(fields).success;
}

/** A form field as a string ('' when absent or repeated). */
export function field(req: FastifyRequest, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** An instant in the site's time zone and language, for messages built outside templates. */
export function when(h: Herald, iso: string | undefined): string {
  if (!iso) return '';
  try {
    return formatLocalDate(iso, h.config.site.timezone, lang(h), 'datetime');
  } catch {
    return iso;
  }
}

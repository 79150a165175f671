/**
 * What every reader page needs: the Herald context, the site language, translated
 * strings, the offered topics and the confirmation mailer, plus the one "message" page
 * used for every outcome that is just a heading, some text and a link.
 */
import type { FastifyReply } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';
import type { MessageParams } from '../../render/i18n.ts';
import { renderPage } from '../render-page.ts';
import type { ConfirmationMailer } from './confirmation-mail.ts';

export interface PageLink {
  href: string;
  label: string;
}

export interface Reader {
  h: Herald;
  lang: string;
  /** A string of the site language; `{site}` is filled in unless given. */
  t(key: string, params?: MessageParams): string;
  topics(): Promise<string[]>;
  mailer: ConfirmationMailer;
  page(reply: FastifyReply, template: string, title: string, data: Record<string, unknown>, status?: number): Promise<FastifyReply>;
  message(reply: FastifyReply, status: number, m: { title: string; text: string[]; links?: PageLink[] }): Promise<FastifyReply>;
}

export function createReader(h: Herald, topics: () => Promise<string[]>, mailer: ConfirmationMailer): Reader {
  const lang = h.engine.i18n.resolve(h.config.site.language);
  const reader: Reader = {
    h,
    lang,
    t: (key, params = {}) => h.engine.i18n.t(lang, key, { site: h.config.site.title, ...params }),
    topics,
    mailer,
    page(reply, template, title, data, status = 200) {
      // Pages carry personal data and signed links: never cached, never indexed.
      reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex, nofollow');
      return renderPage(h, reply, { template, title, status, data });
    },
    message(reply, status, m) {
      return reader.page(reply, 'message', m.title, { paragraphs: m.text, links: m.links ?? [] }, status);
    },
  };
  return reader;
}

/**
 * Shows enough of an address for its owner to recognise it, not enough to learn it from a
 * forwarded email's link: "ad…@example.com".
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '…';
  const local = email.slice(0, at);
  return `${local.slice(0, Math.min(2, local.length - 1) || 1)}…${email.slice(at)}`;
}

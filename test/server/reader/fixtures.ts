/** Shared set-up for the reader page tests: a site with a few articles and topics. */
import type { ParsedMail } from 'mailparser';
import { seedArticle } from '../../helpers/site.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers.ts';

export const ARTICLES = {
  'posts/chips.md': seedArticle({ title: '芯片', date: '2025-07-01T08:00:00+08:00', slug: 'chips', tags: ['AI'], topics: ['算力与芯片'] }),
  'posts/chips2.md': seedArticle({ title: '芯片二', date: '2025-07-02T08:00:00+08:00', slug: 'chips2', tags: ['AI'], topics: ['算力与芯片'] }),
  'posts/sport.md': seedArticle({ title: '体育', date: '2025-07-02T09:00:00+08:00', slug: 'sport', tags: ['ai'], topics: ['体育'] }),
  'posts/draft.md': seedArticle({ title: '草稿', date: '2025-07-01T08:00:00+08:00', slug: 'draft', tags: ['秘密'], topics: ['秘密'], draft: true }),
  'posts/later.md': seedArticle({ title: '未来', date: '2025-08-01T08:00:00+08:00', slug: 'later', tags: ['未来'], topics: ['未来'] }),
};

export function startReader(opts: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({ articles: ARTICLES, ...opts });
}

/** Every request from its own client address, so the sign-up rate limit only bites where a test wants it. */
let ip = 0;
export function clientIp(): Record<string, string> {
  ip++;
  return { 'x-forwarded-for': `203.0.113.${ip % 250}` };
}

export function confirmLink(mail: ParsedMail): string {
  const m = /https:\/\/news\.example\.com\/herald\/confirm\/[A-Za-z0-9_.-]+/.exec(mail.text ?? '');
  if (!m) throw new Error(`no confirm link in:\n${mail.text}`);
  return m[0];
}

/** The path the server sees for a public URL (publicUrl is https://news.example.com/herald/). */
export function pathOf(url: string): string {
  return new URL(url).pathname.replace(/^\/herald/, '');
}

/** A header as written (mailparser turns List-* headers into objects). */
export function rawHeader(mail: ParsedMail, key: string): string | undefined {
  return mail.headerLines
    .find((h) => h.key === key)
    ?.line.replace(/^[^:]+:\s*/, '')
    .replace(/\r\n\s+/g, ' ');
}

import { fileURLToPath } from 'node:url';
import type { Article } from '../../src/content/article.ts';
import type { SiteSettings } from '../../src/content/site.ts';
import { createTemplateEngine, type TemplateEngine } from '../../src/render/template-engine.ts';

export const TEMPLATES_ROOT = fileURLToPath(new URL('../../templates', import.meta.url));

export function engine(userRoot?: string): TemplateEngine {
  return createTemplateEngine({ root: TEMPLATES_ROOT, ...(userRoot === undefined ? {} : { userRoot }) });
}

export const zhSite: SiteSettings = { title: '码农周刊', url: 'https://blog.example.cn/', language: 'zh-CN', timezone: 'Asia/Shanghai' };
export const enSite: SiteSettings = { title: 'Tom & Jerry Notes', url: 'https://example.com/', language: 'en', timezone: 'America/New_York' };

export function article(over: Partial<Article> = {}): Article {
  return {
    id: 'posts/hello',
    file: 'posts/hello.md',
    language: 'en',
    translationKey: 'page/posts/hello',
    title: 'Hello',
    publishedAt: '2024-05-02T17:30:00Z',
    date: '2024-05-02T17:30:00Z',
    draft: false,
    summary: 'A short summary.',
    url: 'https://example.com/posts/hello/',
    topics: [],
    taxonomies: {},
    authors: [],
    section: 'posts',
    contentHash: 'abc',
    ...over,
  };
}

/** Like the seed site's Chinese post: published 17:30 UTC = 01:30 next day in Shanghai. */
export const zhArticle = article({
  id: 'posts/rust-async',
  title: 'Rust 异步编程入门：从 Future 到 Tokio',
  summary: '本文介绍 Rust 异步编程的基本概念，包括 Future、async/await 以及 Tokio 运行时的使用方法……',
  url: 'https://blog.example.cn/posts/rust-async/',
  image: 'https://blog.example.cn/images/rust%20async/cover%20image.png',
  topics: ['Rust', '异步编程', '教程'],
});

/**
 * A throw-away site for integration tests: content folder, config and data in a temp dir.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestSite {
  dir: string;
  contentDir: string;
  configFile: string;
  write(rel: string, text: string | Buffer): void;
  /** Environment for the CLI: config, secret, and a frozen start of the clock. */
  env(now?: string, extra?: Record<string, string>): Record<string, string>;
}

export interface SiteOptions {
  /** YAML of the `channels:` block (indented two spaces). */
  channels: string;
  language?: string;
  extra?: string;
}

export const SECRET = 'test-secret-0123456789abcdef';

export function makeSite(opts: SiteOptions): TestSite {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-site-'));
  const contentDir = path.join(dir, 'content');
  mkdirSync(contentDir, { recursive: true });
  const configFile = path.join(dir, 'herald.yaml');
  writeFileSync(
    configFile,
    `site:
  title: 测试新闻
  url: https://news.example.com/
  language: ${opts.language ?? 'zh-CN'}
  timezone: Asia/Shanghai
content:
  dir: content
  permalink: /:section/:slug/
store:
  url: sqlite:data/herald.db
server:
  port: 0
  publicUrl: https://news.example.com/herald/
outbox: outbox
delivery:
  giveUpAfter: 2s
  backoff: 30s
${opts.extra ?? ''}
channels:
${opts.channels}
`,
  );
  return {
    dir,
    contentDir,
    configFile,
    write(rel, text) {
      const file = path.join(contentDir, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    },
    env(now, extra = {}) {
      return { HERALD_CONFIG: configFile, HERALD_SECRET: SECRET, ...(now ? { HERALD_NOW: now } : {}), ...extra };
    },
  };
}

/** A seed-shaped article (CJK, +08:00, image path with spaces, footnotes). */
export function seedArticle(o: { title: string; date: string; slug?: string; topics?: string[]; tags?: string[]; summary?: string; draft?: boolean; image?: string }): string {
  const list = (xs: string[]) => xs.map((x) => `  - ${x}`).join('\n');
  return `---
title: ${JSON.stringify(o.title)}
date: ${o.date}
draft: ${o.draft ? 'true' : 'false'}
${o.slug ? `slug: ${o.slug}\n` : ''}${o.image === undefined ? '' : `featured_image: ${JSON.stringify(o.image)}\n`}${o.summary ? `summary: ${JSON.stringify(o.summary)}\n` : ''}tags:
${list(o.tags ?? ['AI'])}
main_topics:
${list(o.topics ?? ['算力与芯片'])}
---

> 欧盟委员会收到了76份意向书[^1]。

正文。

[^1]: [source](https://example.com/)
`;
}

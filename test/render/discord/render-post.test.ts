import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDiscordPayload, embedTextLength } from '../../../src/render/discord/describe-payload.ts';
import { DISCORD_LIMITS } from '../../../src/render/discord/limits.ts';
import { escapeMarkdown } from '../../../src/render/discord/markdown.ts';
import { renderDiscordPost } from '../../../src/render/discord/render-post.ts';
import { splitGraphemes } from '../../../src/util/text.ts';
import { article, engine, enSite, zhArticle, zhSite } from '../fixtures.ts';

const e = engine();

/** Like the seed site's Chinese post, dated with an explicit +08:00 offset. */
const seed = {
  ...zhArticle,
  publishedAt: '2025-07-02T00:40:05+08:00',
  authors: ['张三'],
};

function isGraphemePrefix(cut: string, original: string): boolean {
  const head = cut.endsWith('…') ? cut.slice(0, -1) : cut;
  const graphemes = splitGraphemes(original);
  let joined = '';
  for (const g of graphemes) {
    if (joined.length >= head.length) break;
    joined += g;
  }
  return joined === head && original.startsWith(head);
}

describe('renderDiscordPost: a Chinese article', async () => {
  const p = await renderDiscordPost(e, { site: zhSite, article: seed, channel: { color: '#5865F2' } });
  const [embed] = p.embeds;

  it('builds one embed linked to the article', () => {
    expect(p.kind).toBe('discord');
    expect(p.embeds).toHaveLength(1);
    expect(embed.title).toBe('Rust 异步编程入门：从 Future 到 Tokio');
    expect(embed.url).toBe('https://blog.example.cn/posts/rust-async/');
    expect(embed.description).toBe(zhArticle.summary);
  });

  it('keeps the percent-encoded image URL', () => {
    expect(embed.image).toEqual({ url: 'https://blog.example.cn/images/rust%20async/cover%20image.png' });
  });

  it('stamps the publish time as a UTC instant', () => {
    expect(embed.timestamp).toBe('2025-07-01T16:40:05.000Z');
  });

  it('shows the site in the footer, the author, the colour and the topics in Chinese', () => {
    expect(embed.footer).toEqual({ text: '码农周刊' });
    expect(embed.author).toEqual({ name: '张三' });
    expect(embed.color).toBe(0x5865f2);
    expect(embed.fields).toEqual([{ name: '主题', value: 'Rust、异步编程、教程', inline: false }]);
  });

  it('pings nobody and has no content line by default', () => {
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.content).toBeUndefined();
    expect(p.username).toBeUndefined();
    expect(p.threadId).toBeUndefined();
  });
});

describe('renderDiscordPost: English defaults', () => {
  it('names the topics field in English and leaves out what the article lacks', async () => {
    const p = await renderDiscordPost(e, { site: enSite, article: article({ topics: ['go', 'web'] }) });
    const [embed] = p.embeds;
    expect(embed.fields).toEqual([{ name: 'Topics', value: 'go, web', inline: false }]);
    expect(embed.image).toBeUndefined();
    expect(embed.author).toBeUndefined();
    expect(embed.color).toBeUndefined();
    expect(embed.footer).toEqual({ text: 'Tom & Jerry Notes' });
  });

  it('passes webhook name, avatar and thread through', async () => {
    const p = await renderDiscordPost(e, {
      site: enSite,
      article: article(),
      channel: { username: 'Herald', avatarUrl: 'https://example.com/a.png', threadId: '123456789012345678' },
    });
    expect(p.username).toBe('Herald');
    expect(p.avatar_url).toBe('https://example.com/a.png');
    expect(p.threadId).toBe('123456789012345678');
  });

  it('rejects a malformed colour', async () => {
    await expect(renderDiscordPost(e, { site: enSite, article: article(), channel: { color: 'blue' } })).rejects.toThrow(/#5865f2/);
  });
});

describe('renderDiscordPost: limits', () => {
  const family = '👨‍👩‍👧‍👦';
  const longTitle = `${'长标题'.repeat(60)}${family.repeat(40)}`;
  const longSummary = `${'这是一段很长的摘要，'.repeat(30)}${family.repeat(100)}`;

  it('cuts an over-long title and summary on grapheme boundaries with …', async () => {
    const p = await renderDiscordPost(e, { site: zhSite, article: article({ title: longTitle, summary: longSummary }) });
    const [embed] = p.embeds;
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(embed.title.endsWith('…')).toBe(true);
    expect(isGraphemePrefix(embed.title, longTitle)).toBe(true);
    const description = embed.description ?? '';
    // The summary is a teaser: about 350 characters as a reader counts them.
    expect(splitGraphemes(description).length).toBeLessThanOrEqual(350);
    expect(description.endsWith('…')).toBe(true);
    expect(isGraphemePrefix(description, longSummary)).toBe(true);
  });

  it('keeps the embed total within 6000 and every field within its limit, whatever a template produces', async () => {
    const root = mkdtempSync(join(tmpdir(), 'herald-discord-tpl-'));
    mkdirSync(join(root, 'discord'));
    writeFileSync(join(root, 'discord/post.description.txt.liquid'), `{% for i in (1..300) %}{{ article.summary }} {% endfor %}`);
    writeFileSync(join(root, 'discord/post.content.txt.liquid'), `{% for i in (1..300) %}{{ article.title }} {% endfor %}`);
    const site = { ...zhSite, title: '站'.repeat(3000) };
    const a = article({ title: longTitle, summary: longSummary, authors: ['作者'.repeat(300)], topics: Array.from({ length: 400 }, (_, i) => `topic${i}`) });
    const p = await renderDiscordPost(engine(root), { site, article: a, channel: { mention: '42' } });
    const [embed] = p.embeds;
    expect(embedTextLength(p)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    expect((p.content ?? '').length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(p.content?.startsWith('<@&42> ')).toBe(true);
    expect(embed.footer?.text.length).toBeLessThanOrEqual(DISCORD_LIMITS.footer);
    expect(embed.author?.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.author);
    expect(embed.fields?.[0]?.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    expect(embed.description?.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    for (const l of describeDiscordPayload(p).limits) expect(l.length, l.field).toBeLessThanOrEqual(l.limit);
  });

  it('never leaves a lone backslash before the ellipsis after escaping', async () => {
    const p = await renderDiscordPost(e, { site: enSite, article: article({ title: '*'.repeat(300) }) });
    const title = p.embeds[0].title;
    expect(title.length).toBeLessThanOrEqual(256);
    expect(title).toMatch(/^(\\\*)+…$/);
  });
});

describe('renderDiscordPost: mentions and markdown', () => {
  const noisy = article({
    title: '@everyone look: <@&123> and @here **bold**',
    summary: 'Ping <@123> and @everyone; [click](https://evil.example/) _x_',
  });

  it('cannot ping from article text', async () => {
    const p = await renderDiscordPost(e, { site: enSite, article: noisy });
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.allowed_mentions.roles).toBeUndefined();
  });

  it('shows markdown and mention syntax as typed (escaped)', async () => {
    const p = await renderDiscordPost(e, { site: enSite, article: noisy });
    const [embed] = p.embeds;
    expect(embed.title).toBe('@everyone look: \\<@&123\\> and @here \\*\\*bold\\*\\*');
    expect(embed.description).toBe('Ping \\<@123\\> and @everyone; \\[click\\](https://evil.example/) \\_x\\_');
  });

  it('pings exactly the configured role', async () => {
    const p = await renderDiscordPost(e, { site: enSite, article: noisy, channel: { mention: '42' } });
    expect(p.content).toBe('<@&42>');
    expect(p.allowed_mentions).toEqual({ parse: [], roles: ['42'] });
  });

  it('escapes line-start markers without showing stray backslashes', () => {
    expect(escapeMarkdown('# Title\n- item\n1. first\n> quote')).toBe('\\# Title\n\\- item\n1\\. first\n\\> quote');
  });
});

describe('renderDiscordPost: templates', () => {
  it('lets a user template shape the content line and description (plain text, not HTML-escaped)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'herald-discord-tpl-'));
    mkdirSync(join(root, 'discord'));
    writeFileSync(join(root, 'discord/post.content.txt.liquid'), 'New on {{ site.title }}: **{{ article.title }}**\n');
    writeFileSync(join(root, 'discord/post.description.txt.liquid'), '{{ article.summary }}\n\n\n\n{{ "read_more" | t }}: {{ article.url }}\n');
    const p = await renderDiscordPost(engine(root), { site: enSite, article: article({ title: 'Q&A <3' }), channel: { mention: '7' } });
    expect(p.content).toBe('<@&7> New on Tom & Jerry Notes: **Q&A \\<3**');
    expect(p.embeds[0].description).toBe('A short summary.\n\nRead more: https://example.com/posts/hello/');
  });

  it('names the template when none exists', async () => {
    await expect(renderDiscordPost(e, { site: enSite, article: article(), channel: { template: 'discord/nope' } })).rejects.toThrow(/discord\/nope/);
  });
});

describe('describeDiscordPayload', () => {
  it('lists the call, the fields and each text against its limit', async () => {
    const p = await renderDiscordPost(e, { site: zhSite, article: seed, channel: { color: '#00ff00', mention: '42' } });
    const d = describeDiscordPayload(p);
    expect(d.method).toBe('POST /webhooks/{webhook.id}/{token}?wait=true');
    expect(describeDiscordPayload(p, 'bot').method).toBe('POST /channels/{channel.id}/messages');
    expect(d.fields['embed.title']).toBe(seed.title);
    expect(d.fields['embed.color']).toBe('#00ff00');
    expect(d.fields.allowed_mentions).toEqual({ parse: [], roles: ['42'] });
    expect(d.limits).toContainEqual({ field: 'embed.title', length: seed.title.length, limit: 256 });
    expect(d.limits.at(-1)?.field).toBe('embed total');
  });
});

import type { DiscordEmbed, DiscordPayload } from '../../channels/discord/discord-payload.ts';
import { type Article, displayTitle } from '../../content/article.ts';
import type { SiteSettings } from '../../content/site.ts';
import { collapseWhitespace, truncateGraphemes } from '../../util/text.ts';
import { type TemplateEngine, TemplateError } from '../template-engine.ts';
import { discordLength, fitText, DISCORD_LIMITS as L } from './limits.ts';
import { escapeMarkdown } from './markdown.ts';

/**
 * One article → one Discord message with one embed. Pure: the only I/O is the
 * template engine reading templates.
 *
 * The structure (title → link, image, timestamp, footer, author, topics field,
 * colour, who may be pinged) is fixed here; templates only shape two texts:
 * `<template>.content.txt.liquid` (the message line above the embed, empty by
 * default) and `<template>.description.txt.liquid` (the embed description, the
 * summary by default). Both are plain text (no HTML escaping); the article's
 * text fields are markdown-escaped before the templates see them. Every text is
 * cut to Discord's limits afterwards, so a template cannot produce a payload
 * Discord would refuse.
 */
export interface DiscordPostChannel {
  /** Template name without extension, default 'discord/post'. */
  template?: string;
  /** '#rrggbb'. */
  color?: string;
  /** A role id to ping; absent = nobody is pinged. */
  mention?: string;
  username?: string;
  avatarUrl?: string;
  threadId?: string;
}

export interface DiscordRenderInput {
  site: SiteSettings;
  article: Article;
  channel?: DiscordPostChannel;
}

/** A summary is a teaser: the article is one click away. */
export const SUMMARY_MAX = 350;

export async function renderDiscordPost(engine: TemplateEngine, input: DiscordRenderInput): Promise<DiscordPayload> {
  const channel = input.channel ?? {};
  const template = channel.template ?? 'discord/post';
  const { site, article } = input;
  const lang = engine.i18n.resolve(site.language);
  const listSeparator = engine.i18n.t(lang, 'list_separator');

  const data = { site: { ...site, title: escapeMarkdown(site.title) }, article: markdownArticle(article), lang };
  const [contentText, descriptionText] = await renderTexts(engine, template, data);

  const title = fitText(escapeMarkdown(collapseWhitespace(displayTitle(article))), L.title);
  const footer = fitText(collapseWhitespace(site.title), L.footer);
  const author = fitText(collapseWhitespace(article.authors.join(listSeparator)), L.author);
  const topics = article.topics.length === 0 ? undefined : fitText(escapeMarkdown(article.topics.join(listSeparator)), L.fieldValue);
  const topicsName = fitText(engine.i18n.t(lang, 'topics_label'), L.fieldName);

  // Whatever the other texts take, the description gets the rest of the 6000 total.
  const others = [title, footer, author, topics === undefined ? '' : topicsName, topics ?? ''].reduce((n, s) => n + discordLength(s), 0);
  const description = fitText(descriptionText, Math.min(L.description, L.embedTotal - others));

  const embed: DiscordEmbed = { title, url: article.url };
  if (description !== '') embed.description = description;
  const color = parseColor(channel.color);
  if (color !== undefined) embed.color = color;
  const timestamp = isoInstant(article.publishedAt);
  if (timestamp !== undefined) embed.timestamp = timestamp;
  if (footer !== '') embed.footer = { text: footer };
  if (author !== '') embed.author = { name: author };
  if (article.image !== undefined && isHttpUrl(article.image)) embed.image = { url: article.image };
  if (topics !== undefined && topics !== '') embed.fields = [{ name: topicsName, value: topics, inline: false }];

  const payload: DiscordPayload = { kind: 'discord', embeds: [embed], allowed_mentions: { parse: [] } };
  const mention = channel.mention === undefined || channel.mention === '' ? undefined : channel.mention;
  const prefix = mention === undefined ? '' : `<@&${mention}>`;
  const body = fitText(contentText, prefix === '' ? L.content : L.content - prefix.length - 1);
  const content = [prefix, body].filter((s) => s !== '').join(' ');
  if (content !== '') payload.content = content;
  // Only the configured role, and only because it is listed: parse [] stays empty.
  if (mention !== undefined) payload.allowed_mentions = { parse: [], roles: [mention] };
  if (channel.username !== undefined && channel.username !== '') payload.username = fitText(channel.username, L.username);
  if (channel.avatarUrl !== undefined && channel.avatarUrl !== '') payload.avatar_url = channel.avatarUrl;
  if (channel.threadId !== undefined && channel.threadId !== '') payload.threadId = channel.threadId;
  return payload;
}

async function renderTexts(engine: TemplateEngine, template: string, data: Record<string, unknown>): Promise<[string, string]> {
  const contentName = `${template}.content.txt.liquid`;
  const descriptionName = `${template}.description.txt.liquid`;
  const hasContent = engine.exists(contentName);
  const hasDescription = engine.exists(descriptionName);
  if (!hasContent && !hasDescription) {
    throw new TemplateError(template, `no Discord template found: expected ${contentName} and/or ${descriptionName} in ${engine.roots.join(' or ')}`);
  }
  const article = data.article as Article;
  return Promise.all([
    hasContent ? engine.render(contentName, data).then(tidy) : '',
    hasDescription ? engine.render(descriptionName, data).then(tidy) : article.summary,
  ]);
}

/** The article as templates see it: plain texts markdown-escaped, URLs as they are. */
function markdownArticle(a: Article): Article {
  return {
    ...a,
    title: escapeMarkdown(displayTitle(a)),
    summary: escapeMarkdown(truncateGraphemes(a.summary, SUMMARY_MAX)),
    topics: a.topics.map(escapeMarkdown),
    authors: a.authors.map(escapeMarkdown),
  };
}

/** Whitespace in templates should not matter: trailing spaces and blank-line runs go. */
function tidy(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** '#5865f2' → 0x5865f2; the config validates the format, so anything else is a bug. */
export function parseColor(color: string | undefined): number | undefined {
  if (color === undefined || color === '') return undefined;
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) throw new Error(`Discord colour must look like "#5865f2", got "${color}"`);
  return Number.parseInt(color.slice(1), 16);
}

function isoInstant(value: string): string | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url) && url.length <= L.url;
}

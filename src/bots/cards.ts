/**
 * An approval card: what waits (the post as it will look, or what the digest holds), for
 * which channel, when it goes out, where it stands (who decided, when, from where), and the
 * buttons that still apply. Built fresh for every post and edit, buttons signed anew.
 */
import type { DiscordEmbed, DiscordPayload } from '../channels/discord/discord-payload.ts';
import type { TelegramPayload } from '../channels/telegram/telegram-payload.ts';
import { channelKind } from '../pipeline/channel-kinds.ts';
import type { Herald } from '../pipeline/herald.ts';
import { digestOutlook } from '../pipeline/next-digest.ts';
import { actorText, clockText } from '../pipeline/why.ts';
import type { Approval, ApprovalEvent } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { type ButtonVerb, signButton } from './buttons.ts';
import { type ButtonSpec, discordLine, type Line, telegramLine, telegramVisibleLength, TELEGRAM_TEXT_LIMIT } from './reply.ts';

export interface CardView {
  /** Header and state, then what waits. */
  lines: Line[];
  buttons: ButtonSpec[];
  /** Telegram: the post's own HTML, when the channel is a Telegram channel (shown under the header). */
  telegramPost?: string;
  /** The link previewed under a Telegram card. */
  linkPreviewUrl?: string;
  /** Discord: the post's own embed for a Discord channel, else a plain one. */
  embed?: DiscordEmbed;
}

function eventLine(h: Herald, e: ApprovalEvent): Line | undefined {
  const by = actorText(e.actor);
  const at = clockText(h, e.at);
  switch (e.action) {
    case 'send-now':
      return `✅ Sent now by ${by} at ${at}`;
    case 'release':
      return `✅ Released by ${by} at ${at}`;
    case 'auto-release':
      return `✅ Released automatically at ${at}`;
    case 'sent-manually':
      return `✅ Sent by hand by ${by} at ${at}`;
    case 'hold':
      return `⏸ Held by ${by} at ${at}`;
    case 'skip':
      return e.actor.via === 'herald' ? `⏭ Skipped at ${at}: no longer published when the window ended` : `⏭ Skipped by ${by} at ${at}`;
    default:
      return undefined;
  }
}

function buttonsFor(h: Herald, a: Approval): ButtonSpec[] {
  const b = (label: string, verb: ButtonVerb, style: ButtonSpec['style']): ButtonSpec => ({ label, data: signButton(h.secret, verb, a.id, h.now()), style });
  const skip = b(a.kind === 'digest' ? 'Skip this digest' : 'Skip', 'ak', 'danger');
  if (a.status === 'awaiting') return [b('Send now', 'as', 'success'), b('Hold', 'ah', 'secondary'), skip];
  if (a.status === 'held') return [b('Send now', 'as', 'success'), skip];
  return [];
}

export async function approvalCard(h: Herald, a: Approval): Promise<CardView> {
  const channel = h.channel(a.channelId);
  const digest = a.kind === 'digest';
  const lines: Line[] = [];
  const target = channel ? `${channel.id} (${channel.type})` : a.channelId;
  if (a.status === 'awaiting') {
    lines.push([digest ? '🕒 Digest awaiting approval: ' : '🕒 Awaiting approval: ', { b: target }]);
    lines.push(a.releaseAt ? `Goes out automatically at ${clockText(h, a.releaseAt)} unless held.` : 'Waits for an editor: nothing goes out until someone presses Send now.');
  } else lines.push([digest ? '📬 Digest for ' : '📣 For ', { b: target }]);
  for (const e of a.events) {
    const l = eventLine(h, e);
    if (l) lines.push(l);
  }
  if (a.status === 'held') lines.push(a.releaseAt ? 'Held: it waits until someone presses Send now.' : 'It waits until someone presses Send now.');
  const view: CardView = { lines, buttons: buttonsFor(h, a) };

  if (digest) {
    lines.push(`Scheduled for ${clockText(h, a.scheduledAt)}.`);
    if (channel?.type === 'email' && channel.mode === 'digest' && (a.status === 'awaiting' || a.status === 'held')) {
      const o = await digestOutlook(h, channel);
      lines.push(`${o.articles.length} article(s) so far, for ${o.recipients} subscriber(s):`);
      for (const x of o.articles.slice(0, channel.maxArticles)) lines.push(['• ', { a: x.title, href: x.url }]);
    }
    return view;
  }

  const stored = a.articleId ? await h.store.getArticle(a.articleId) : undefined;
  if (!stored) {
    lines.push(`Article ${a.articleId ?? '?'} is no longer known.`);
    return view;
  }
  const article = stored.article;
  view.linkPreviewUrl = article.url;
  const plainEmbed: DiscordEmbed = { title: article.title.slice(0, 256), url: article.url, ...(article.summary ? { description: article.summary.slice(0, 1000) } : {}) };
  view.embed = plainEmbed;
  if (channel && (channel.type === 'telegram' || channel.type === 'discord')) {
    try {
      const { payload } = await channelKind(channel).preview!(h, channel, article);
      if (channel.type === 'telegram') view.telegramPost = (payload as TelegramPayload).text;
      else view.embed = (payload as DiscordPayload).embeds[0];
    } catch (e) {
      lines.push(`(The post could not be rendered: ${errorMessage(e)})`);
    }
  }
  if (!view.telegramPost) lines.push(['', { a: article.title, href: article.url }]);
  if (channel?.type === 'email') lines.push(channel.mode === 'each' ? 'An email to each subscriber whose topics match.' : 'In the next digest.');
  return view;
}

/** The card as Telegram HTML: header, then the post itself (if it fits in one message). */
export function telegramCardHtml(v: CardView): string {
  const head = v.lines.map(telegramLine).join('\n');
  if (v.telegramPost === undefined) return head;
  const full = `${head}\n\n${v.telegramPost}`;
  return telegramVisibleLength(full) <= TELEGRAM_TEXT_LIMIT ? full : head;
}

export function discordCardContent(v: CardView): string {
  const content = v.lines.map(discordLine).join('\n');
  return content.length <= 2000 ? content : `${content.slice(0, 1999)}…`;
}

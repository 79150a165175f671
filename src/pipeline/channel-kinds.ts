/**
 * What the pipeline needs to know about each platform. Adding a platform means a folder
 * in channels/ (config schema + adapter), its renderer in render/, and an entry here.
 */
import type { DiscordChannelConfig } from '../channels/discord/discord-config.ts';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import type { TelegramChannelConfig } from '../channels/telegram/telegram-config.ts';
import type { ChannelAdapter } from '../channels/types.ts';
import type { Delivery } from '../store/types.ts';
import type { Article } from '../content/article.ts';
import { discordKind } from './payloads/discord-kind.ts';
import { emailKind } from './payloads/email-kind.ts';
import { telegramKind } from './payloads/telegram-kind.ts';
import type { Herald } from './herald.ts';

export type ChannelConfig = EmailChannelConfig | TelegramChannelConfig | DiscordChannelConfig;

export interface PayloadDescription {
  method: string;
  fields: Record<string, unknown>;
  limits: Array<{ field: string; length: number; limit: number }>;
}

export interface PayloadBuilder<P> {
  /** Render the payload for one claimed delivery. Throws a permanent DeliveryError when it cannot. */
  build(d: Delivery): Promise<P>;
  /** Called with each claimed batch before its builds, to read what they need in one go. */
  prefetch?(batch: Delivery[]): Promise<void>;
}

/** What chat kinds can do to a post once it is out (living posts). Pure except for reading the store's articles. */
export interface PostOps<C, P> {
  /** The post of this article as it would go out now (retracted or not). */
  render(h: Herald, c: C, article: Article): Promise<P>;
  note(p: P, note: string): P;
  retracted(p: P, title: string, label: string): P;
  replaces(form: 'photo' | 'text', p: P): boolean;
  roundup(h: Herald, c: C, articles: Article[]): P;
}

export interface ChannelKind<C extends ChannelConfig = ChannelConfig, P = unknown> {
  /** 'subscribers': one delivery per matching subscriber; 'destination': one per article to the configured chat. */
  audience: 'subscribers' | 'destination';
  usesDigests(c: C): boolean;
  /** The recipient written in the ledger for destination channels. */
  destination(c: C): string;
  isPreview(c: C): boolean;
  createAdapter(c: C, h: Herald): ChannelAdapter<P>;
  payloads(c: C, h: Herald): PayloadBuilder<P>;
  /** Sends in flight at once; 1 keeps a chat's posts in order. */
  concurrency(c: C): number;
  /** A link a person can open to the post with this provider message id, where the platform has one. */
  postLink?(c: C, providerMessageId: string): string | undefined;
  /** Chat kinds: editing, retracting and rounding up posts. */
  post?: PostOps<C, P>;
  /** Chat kinds: render one article for `herald preview` (email previews render HTML files instead). */
  preview?(h: Herald, c: C, article: Article): Promise<{ payload: P; description: PayloadDescription }>;
}

const kinds: Record<ChannelConfig['type'], ChannelKind<never, unknown>> = {
  email: emailKind as ChannelKind<never, unknown>,
  telegram: telegramKind as ChannelKind<never, unknown>,
  discord: discordKind as ChannelKind<never, unknown>,
};

export function channelKind(c: ChannelConfig): ChannelKind<ChannelConfig, unknown> {
  return kinds[c.type] as ChannelKind<ChannelConfig, unknown>;
}

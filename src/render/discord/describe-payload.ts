import type { DiscordPayload } from '../../channels/discord/discord-payload.ts';
import { discordLength, DISCORD_LIMITS as L } from './limits.ts';

/**
 * What `herald preview` shows for a Discord post: the call, each field, and each
 * text measured against its Discord limit (the renderer already keeps them within).
 */
export interface DiscordPayloadDescription {
  method: string;
  fields: Record<string, unknown>;
  limits: Array<{ field: string; length: number; limit: number }>;
}

/** `mode` names the call: a webhook executes, a bot creates a channel message. */
export function describeDiscordPayload(p: DiscordPayload, mode: 'webhook' | 'bot' = 'webhook'): DiscordPayloadDescription {
  const [embed] = p.embeds;
  const fields: Record<string, unknown> = {};
  const limits: DiscordPayloadDescription['limits'] = [];
  const text = (field: string, value: string | undefined, limit: number) => {
    if (value === undefined) return;
    fields[field] = value;
    limits.push({ field, length: discordLength(value), limit });
  };
  const put = (field: string, value: unknown) => {
    if (value !== undefined) fields[field] = value;
  };

  text('content', p.content, L.content);
  put('username', p.username);
  put('avatar_url', p.avatar_url);
  put('thread_id', p.threadId);
  put('allowed_mentions', p.allowed_mentions);
  text('embed.title', embed.title, L.title);
  put('embed.url', embed.url);
  text('embed.description', embed.description, L.description);
  put('embed.color', embed.color === undefined ? undefined : `#${embed.color.toString(16).padStart(6, '0')}`);
  put('embed.timestamp', embed.timestamp);
  put('embed.image', embed.image?.url);
  text('embed.author', embed.author?.name, L.author);
  text('embed.footer', embed.footer?.text, L.footer);
  embed.fields?.forEach((f, i) => {
    text(`embed.fields[${i}].name`, f.name, L.fieldName);
    text(`embed.fields[${i}].value`, f.value, L.fieldValue);
  });
  limits.push({ field: 'embed total', length: embedTextLength(p), limit: L.embedTotal });
  return { method: mode === 'bot' ? 'POST /channels/{channel.id}/messages' : 'POST /webhooks/{webhook.id}/{token}?wait=true', fields, limits };
}

/** The texts Discord adds up against the 6000-character embed total. */
export function embedTextLength(p: DiscordPayload): number {
  const [e] = p.embeds;
  const parts = [e.title, e.description, e.footer?.text, e.author?.name, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])];
  return parts.reduce((n, s) => n + (s === undefined ? 0 : discordLength(s)), 0);
}

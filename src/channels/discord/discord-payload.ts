/**
 * What render/discord produces and the Discord adapter sends: the JSON body of
 * "Execute Webhook" / "Create Message" (Discord API v10, snake_case), plus the
 * thread to post into. It lives here, beside the adapter, like EmailPayload in
 * ../types.ts, so channels/ never imports from render/.
 */
export interface DiscordEmbed {
  title: string;
  /** Absent only on notices Herald writes itself (a retraction, a roundup). */
  url?: string;
  description?: string;
  /** 0xRRGGBB. */
  color?: number;
  /** ISO 8601 instant (UTC). */
  timestamp?: string;
  footer?: { text: string };
  author?: { name: string };
  image?: { url: string };
  fields?: Array<{ name: string; value: string; inline?: boolean }>;
}

export interface DiscordPayload {
  kind: 'discord';
  content?: string;
  embeds: [DiscordEmbed];
  /**
   * Always present with `parse: []`: nothing in an article can ping anyone. Only a
   * role configured as `mention` is listed in `roles`.
   */
  allowed_mentions: { parse: []; roles?: string[] };
  /** Webhooks only: overrides the webhook's name / avatar for this message. */
  username?: string;
  avatar_url?: string;
  /** Post into this thread of the channel (webhook: `thread_id` query; bot: the thread is the channel). */
  threadId?: string;
  /** More messages sent right after this one (a roundup too long for one message). */
  continued?: DiscordPayload[];
}

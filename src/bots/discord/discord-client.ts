/**
 * The editors' Discord application as a client (discord.js REST): the guild's /herald
 * command (bulk overwrite, so registering again changes nothing), messages with buttons in
 * the editors' channel and their edits, and the interaction webhook (edit the deferred
 * answer, follow-ups, files). Errors carry Discord's reason, never a token.
 */
import { REST, type RawFile, Routes } from 'discord.js';
import type { DiscordEmbed } from '../../channels/discord/discord-payload.ts';
import { redact, registerSecret } from '../../util/secrets.ts';
import type { DiscordEditorsConfig } from '../editors-config.ts';
import type { ButtonSpec } from '../reply.ts';

export interface DiscordMessageBody {
  content?: string;
  embeds?: DiscordEmbed[];
  components?: unknown[];
  /** 64: only the person who asked sees it. */
  flags?: number;
  allowed_mentions?: { parse: [] };
}

export interface DiscordEditorClient {
  registerCommands(commands: unknown[]): Promise<void>;
  postMessage(channelId: string, body: DiscordMessageBody): Promise<string>;
  editMessage(channelId: string, messageId: string, body: DiscordMessageBody): Promise<void>;
  editOriginal(interactionToken: string, body: DiscordMessageBody, files?: RawFile[]): Promise<void>;
  followUp(interactionToken: string, body: DiscordMessageBody, files?: RawFile[]): Promise<void>;
  close(): void;
}

const BUTTON_STYLE = { primary: 1, secondary: 2, success: 3, danger: 4 } as const;

/** One action row of buttons (Discord allows five per row); none: an empty list, which removes them. */
export function components(buttons: ButtonSpec[] | undefined): unknown[] {
  if (!buttons || buttons.length === 0) return [];
  return [{ type: 1, components: buttons.slice(0, 5).map((b) => ({ type: 2, style: BUTTON_STYLE[b.style ?? 'secondary'], label: b.label, custom_id: b.data })) }];
}

export function createDiscordEditorClient(cfg: DiscordEditorsConfig, opts: { timeoutMs?: number } = {}): DiscordEditorClient {
  registerSecret(cfg.token);
  const rest = new REST({ api: cfg.apiRoot.replace(/\/+$/, ''), version: '10', timeout: opts.timeoutMs ?? 15_000, retries: 1 }).setToken(cfg.token);
  const scrub = (s: string, extra: string[] = []) => {
    let out = redact(s).split(cfg.token).join('***');
    for (const t of extra) if (t.length >= 8) out = out.split(t).join('***');
    return out;
  };
  const fail = (what: string, e: unknown, extra: string[] = []): Error => {
    const message = e instanceof Error ? e.message : String(e);
    return new Error(`Discord ${what} failed: ${scrub(message.split('\n')[0] ?? message, extra)}`);
  };
  const safe = <T>(body: T): T => ({ allowed_mentions: { parse: [] }, ...body });

  return {
    async registerCommands(commands) {
      try {
        await rest.put(Routes.applicationGuildCommands(cfg.applicationId, cfg.guildId), { body: commands });
      } catch (e) {
        throw fail('registering the /herald command', e);
      }
    },
    async postMessage(channelId, body) {
      try {
        return ((await rest.post(Routes.channelMessages(channelId), { body: safe(body) })) as { id: string }).id;
      } catch (e) {
        throw fail(`posting in channel ${channelId}`, e);
      }
    },
    async editMessage(channelId, messageId, body) {
      try {
        await rest.patch(Routes.channelMessage(channelId, messageId), { body: safe(body) });
      } catch (e) {
        throw fail(`editing message ${messageId}`, e);
      }
    },
    // The interaction token is in the URL: these calls need no bot token, and it is scrubbed from errors.
    async editOriginal(token, body, files) {
      try {
        await rest.patch(Routes.webhookMessage(cfg.applicationId, token, '@original'), { body: safe(body), auth: false, ...(files ? { files } : {}) });
      } catch (e) {
        throw fail('answering the command', e, [token]);
      }
    },
    async followUp(token, body, files) {
      try {
        await rest.post(Routes.webhook(cfg.applicationId, token), { body: safe(body), auth: false, ...(files ? { files } : {}) });
      } catch (e) {
        throw fail('sending a follow-up', e, [token]);
      }
    },
    close() {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}

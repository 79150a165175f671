/**
 * The editors' chats as a running service, for `herald run` and `herald serve`: the routes
 * Discord and Telegram call (registered on the web server), Telegram long polling, the
 * Telegram webhook and the Discord /herald command registration. Loaded only when
 * `editors:` is configured.
 */
import type { FastifyInstance } from 'fastify';
import type { Herald } from '../pipeline/herald.ts';
import { errorMessage, registerSecret } from '../util/secrets.ts';
import { heraldCommand } from './discord/commands-spec.ts';
import { createDiscordEditorClient, type DiscordEditorClient } from './discord/discord-client.ts';
import { discordInteractionsRoute } from './discord/interactions-route.ts';
import { COMMANDS } from './commands.ts';
import { createTelegramBot, type TelegramBot } from './telegram/telegram-bot.ts';
import { createTelegramEditorClient, type TelegramEditorClient } from './telegram/telegram-client.ts';
import { TELEGRAM_HOOK_PATH, telegramWebhookRoute, telegramWebhookSecret } from './telegram/webhook-route.ts';

export interface EditorBots {
  /** Registers POST /hooks/telegram (webhook mode) and POST /hooks/discord/interactions on the web server. */
  routes(app: FastifyInstance): Promise<void>;
  /**
   * `herald run`: register /herald in the Discord guild, then Telegram: set the webhook (when
   * `webhook: true` and this process serves it) or poll until `signal` aborts. Failures are
   * logged and never stop Herald.
   */
  start(signal: AbortSignal, opts: { server: boolean }): Promise<void>;
  /** `herald serve`: point Telegram at the webhook (when `webhook: true`). */
  startWebhook(): Promise<void>;
  /** Resolves when no command or button press is being handled. */
  idle(): Promise<void>;
  /** Waits for polling to end (after `start`'s signal aborted) and for commands still being answered. */
  close(): Promise<void>;
  /** For tests. */
  readonly telegram?: { bot: TelegramBot; client: TelegramEditorClient };
  readonly discord?: { client: DiscordEditorClient };
}

export function createEditorBots(h: Herald): EditorBots {
  const e = h.config.editors;
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const telegram = e?.telegram
    ? (() => {
        const client = createTelegramEditorClient(e.telegram);
        return { bot: createTelegramBot(h, e.telegram, client), client, cfg: e.telegram };
      })()
    : undefined;
  const discord = e?.discord ? { client: createDiscordEditorClient(e.discord), cfg: e.discord } : undefined;
  const webhookSecret = telegram ? telegramWebhookSecret(h.secret, telegram.cfg.token) : '';
  registerSecret(webhookSecret);
  let polling: Promise<void> | undefined;

  async function setWebhook(): Promise<void> {
    if (!telegram?.cfg.webhook) return;
    const url = new URL(TELEGRAM_HOOK_PATH.slice(1), h.config.server.publicUrl).toString();
    try {
      await telegram.client.setWebhook(url, webhookSecret);
      h.log.info(`editors: Telegram sends commands to ${url}`);
    } catch (err) {
      h.log.error(`editors: could not set the Telegram webhook to ${url}: ${errorMessage(err)}`);
    }
  }

  return {
    ...(telegram ? { telegram: { bot: telegram.bot, client: telegram.client } } : {}),
    ...(discord ? { discord: { client: discord.client } } : {}),
    async routes(app) {
      if (telegram?.cfg.webhook) await app.register(telegramWebhookRoute(h, telegram.bot, webhookSecret));
      if (discord) await app.register(discordInteractionsRoute({ h, cfg: discord.cfg, client: discord.client, track }));
    },
    async start(signal, opts) {
      if (discord && !opts.server) h.log.warn('editors: Discord commands arrive at the web server: run `herald serve` too (or `herald run` without --no-server)');
      if (discord) {
        try {
          await discord.client.registerCommands([heraldCommand(h.config.channels)]);
          h.log.info(`editors: /herald registered in Discord guild ${discord.cfg.guildId}`);
        } catch (err) {
          h.log.error(`editors: ${errorMessage(err)}`);
        }
      }
      if (!telegram) return;
      // The command menu in Telegram clients; a failure only loses the menu.
      await telegram.client.telegram
        .setMyCommands(COMMANDS.map((c) => ({ command: c.name, description: c.summary.slice(0, 256) })))
        .catch((err: unknown) => h.log.warn(`editors: Telegram setMyCommands: ${errorMessage(err)}`));
      if (telegram.cfg.webhook) {
        if (opts.server) await setWebhook();
        else h.log.info('editors: Telegram webhook mode: `herald serve` receives the commands');
        return;
      }
      polling = telegram.bot.poll(signal).catch((err) => h.log.error(`editors: Telegram polling stopped: ${errorMessage(err)}`));
    },
    startWebhook: setWebhook,
    async idle() {
      await telegram?.bot.idle();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      await polling;
      await this.idle();
      discord?.client.close();
    },
  };
}

/**
 * The editors' Telegram bot: telegraf routes each update (commands, button presses) after a
 * guard that obeys only the listed users, in private chats and the editors' chat. Updates
 * come by long polling (getUpdates; each update is taken once in the store, and one taken but
 * not finished when the process stopped is handled again at the next start, so a restart
 * neither loses nor repeats a command) or by webhook (./webhook-route.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Telegraf } from 'telegraf';
import { callbackQuery, message } from 'telegraf/filters';
import type { Update } from 'telegraf/types';
import type { Herald } from '../../pipeline/herald.ts';
import type { Actor } from '../../store/types.ts';
import { errorMessage } from '../../util/secrets.ts';
import { pressButton } from '../button-actions.ts';
import { type BotContext, COMMANDS, parseTextArgs, runCommand } from '../commands.ts';
import type { TelegramEditorsConfig } from '../editors-config.ts';
import { type Reply, splitMessages, TELEGRAM_TEXT_LIMIT, telegramLine, telegramVisibleLength } from '../reply.ts';
import type { TelegramEditorClient } from './telegram-client.ts';

export interface TelegramBot {
  /** Long polling until `signal` aborts; handlers still running are awaited. */
  poll(signal: AbortSignal): Promise<void>;
  /** An update from the webhook: taken once, handled in the background. False when it was seen before. */
  receive(update: Update): Promise<boolean>;
  /** Resolves when no update is being handled. */
  idle(): Promise<void>;
}

export const REFUSAL = 'Sorry, only Herald’s editors can do that.';
const WRONG_CHAT = 'Herald takes commands only in private chats with its editors and in the editors’ chat.';

function actorOf(from: { id: number; username?: string; first_name?: string; last_name?: string }): Actor {
  const name = from.username ? `@${from.username}` : [from.first_name, from.last_name].filter(Boolean).join(' ') || String(from.id);
  return { name, id: String(from.id), via: 'telegram' };
}

export async function sendTelegramReplies(client: TelegramEditorClient, chat: number | string, replies: Reply[]): Promise<void> {
  for (const r of replies) {
    const chunks = splitMessages(r.lines, telegramLine, TELEGRAM_TEXT_LIMIT, telegramVisibleLength);
    for (const [i, html] of chunks.entries()) await client.sendText(chat, html, i === chunks.length - 1 && r.buttons ? { buttons: r.buttons } : {});
    if (r.post && 'telegram' in r.post) await client.sendPost(chat, { ...r.post.telegram, chatId: chat });
    if (r.file) await client.sendDocument(chat, r.file);
  }
}

export function createTelegramBot(h: Herald, cfg: TelegramEditorsConfig, client: TelegramEditorClient, opts: { pollTimeoutSec?: number } = {}): TelegramBot {
  const source = `telegram:${cfg.token.split(':')[0]}`;
  const bot = new Telegraf(cfg.token, { telegram: { apiRoot: cfg.apiRoot.endsWith('/') ? cfg.apiRoot : `${cfg.apiRoot}/` }, handlerTimeout: 30 * 60_000 });
  const inFlight = new Set<Promise<void>>();
  const channelIds = h.config.channels.map((c) => c.id);

  const isEditorsChat = (chat: { id: number; type: string; username?: string }) => {
    if (chat.type === 'private') return true;
    if (cfg.chat === undefined) return false;
    if (String(cfg.chat) === String(chat.id)) return true;
    return typeof cfg.chat === 'string' && chat.username !== undefined && cfg.chat.toLowerCase() === `@${chat.username.toLowerCase()}`;
  };

  // The guard: only commands and button presses matter, and only from an editor in an editors' chat.
  bot.use(async (ctx, next) => {
    const isButton = ctx.callbackQuery !== undefined;
    const text = ctx.message && 'text' in ctx.message ? ctx.message.text : undefined;
    if (!isButton && !text?.startsWith('/')) return;
    const from = ctx.from;
    const chat = ctx.chat;
    const what = isButton ? 'a button' : (text ?? '').split(/\s/)[0];
    const where = chat ? `${chat.type} chat ${chat.id}` : 'an inline message';
    if (!from || !cfg.users.includes(from.id)) {
      h.log.warn(`editors: refused ${what} from Telegram user ${from?.id ?? '?'}${from?.username ? ` (@${from.username})` : ''} in ${where}: not an editor`);
      if (isButton) await client.answerCallback(ctx.callbackQuery.id, REFUSAL).catch(() => undefined);
      else if (chat) await client.sendText(chat.id, REFUSAL).catch(() => undefined);
      return;
    }
    if (!chat || !isEditorsChat(chat)) {
      h.log.warn(`editors: refused ${what} from ${actorOf(from).name} in ${where}: not a private chat or the editors' chat`);
      if (isButton) await client.answerCallback(ctx.callbackQuery.id, WRONG_CHAT).catch(() => undefined);
      else if (chat) await client.sendText(chat.id, WRONG_CHAT).catch(() => undefined);
      return;
    }
    return next();
  });

  const context = (from: { id: number; username?: string; first_name?: string; last_name?: string }): BotContext => ({ h, actor: actorOf(from), platform: 'telegram' });

  bot.command([...COMMANDS.map((c) => c.name), 'start'], async (ctx) => {
    const name = ctx.command === 'start' ? 'help' : ctx.command;
    const spec = COMMANDS.find((c) => c.name === name)!;
    h.log.info(`editors: /${name} ${ctx.payload} by ${actorOf(ctx.from).name} (telegram)`);
    const replies = await runCommand(context(ctx.from), name, parseTextArgs(spec, ctx.args, channelIds), '/');
    await sendTelegramReplies(client, ctx.chat.id, replies);
  });

  bot.on(message('text'), async (ctx) => {
    const name = ctx.message.text.slice(1).split(/[\s@]/)[0] ?? '';
    await sendTelegramReplies(client, ctx.chat.id, await runCommand(context(ctx.from), name, {}, '/'));
  });

  bot.on(callbackQuery('data'), async (ctx) => {
    const q = ctx.callbackQuery;
    const result = await pressButton(context(q.from), q.data);
    await client.answerCallback(q.id, result.toast).catch((e) => h.log.debug(`answerCallbackQuery: ${errorMessage(e)}`));
    const m = q.message;
    if (result.edit && m) {
      const [html = '…'] = splitMessages(result.edit.lines, telegramLine, TELEGRAM_TEXT_LIMIT, telegramVisibleLength);
      await client.editText(m.chat.id, m.message_id, html, result.edit.buttons ? { buttons: result.edit.buttons } : {});
    }
  });

  bot.catch(async (err, ctx) => {
    const reason = errorMessage(err);
    h.log.error(`editors: handling Telegram update ${ctx.update.update_id} failed: ${reason}`);
    if (ctx.chat) await client.sendText(ctx.chat.id, `⚠️ Failed: ${reason}`.slice(0, 4000)).catch(() => undefined);
  });

  async function handleTaken(updateId: number, update: Update): Promise<void> {
    try {
      bot.botInfo ??= await client.getMe();
      await bot.handleUpdate(update);
    } catch (e) {
      h.log.error(`editors: Telegram update ${updateId} failed: ${errorMessage(e)}`);
    } finally {
      await h.store.finishChatUpdate(source, updateId, h.now()).catch(() => undefined);
    }
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function take(update: Update): Promise<boolean> {
    if (!(await h.store.takeChatUpdate(source, update.update_id, update, h.now()))) return false;
    track(handleTaken(update.update_id, update));
    return true;
  }

  return {
    receive: take,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async poll(signal) {
      // getUpdates does not work while a webhook is set (from an earlier `webhook: true`).
      await client.deleteWebhook().catch((e) => h.log.warn(`editors: Telegram deleteWebhook: ${errorMessage(e)}`));
      // What a stopped process had taken but not finished is handled now.
      for (const u of await h.store.unfinishedChatUpdates(source)) track(handleTaken(u.updateId, u.body as Update));
      let offset = await h.store.chatCursor(source);
      let failures = 0;
      let pruned = 0;
      h.log.info(`editors: listening for Telegram commands (long polling)`);
      while (!signal.aborted) {
        let updates: Update[];
        try {
          updates = await client.getUpdates(offset, opts.pollTimeoutSec ?? 25, signal);
          failures = 0;
        } catch (e) {
          if (signal.aborted) break;
          failures++;
          h.log.warn(`editors: Telegram getUpdates: ${errorMessage(e)}; trying again`);
          await sleep(Math.min(30_000, 500 * 2 ** failures), undefined, { signal }).catch(() => undefined);
          continue;
        }
        let stuck = false;
        for (const u of updates) {
          try {
            await take(u);
          } catch (e) {
            // Not recorded: the offset stays before it, so Telegram hands it out again.
            h.log.error(`editors: could not record Telegram update ${u.update_id}: ${errorMessage(e)}`);
            stuck = true;
            break;
          }
          offset = Math.max(offset ?? 0, u.update_id + 1);
        }
        if (stuck) await sleep(5000, undefined, { signal }).catch(() => undefined);
        if (updates.length > 0 && Date.now() - pruned > 3_600_000) {
          pruned = Date.now();
          await h.store.pruneChatUpdates(source, new Date(h.now().getTime() - 7 * 86_400_000)).catch(() => undefined);
        }
      }
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

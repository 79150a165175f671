/**
 * POST <publicUrl>/hooks/telegram: updates pushed by Telegram (editors.telegram.webhook: true).
 * Only a request carrying the secret token given to setWebhook is taken; it is answered at
 * once and handled in the background (Telegram would send it again after a slow answer).
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Update } from 'telegraf/types';
import type { Herald } from '../../pipeline/herald.ts';
import { safeEqual } from '../../server/admin/auth.ts';
import type { TelegramBot } from './telegram-bot.ts';

/** The X-Telegram-Bot-Api-Secret-Token value, derived from HERALD_SECRET (stable across restarts, never configured by hand). */
export function telegramWebhookSecret(heraldSecret: string, botToken: string): string {
  return createHmac('sha256', heraldSecret).update(`telegram-webhook\0${botToken.split(':')[0]}`).digest('base64url').replace(/[^A-Za-z0-9_-]/g, '');
}

export const TELEGRAM_HOOK_PATH = '/hooks/telegram';

export function telegramWebhookRoute(h: Herald, bot: TelegramBot, secret: string) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post(TELEGRAM_HOOK_PATH, { bodyLimit: 1024 * 1024 }, async (req, reply) => {
      reply.header('cache-control', 'no-store');
      const given = req.headers['x-telegram-bot-api-secret-token'];
      if (typeof given !== 'string' || !safeEqual(given, secret)) {
        h.log.warn(`editors: rejected a Telegram webhook call without the right secret token from ${req.ip}`);
        return reply.code(401).send({ ok: false });
      }
      const update = req.body as Update | undefined;
      if (!update || typeof update !== 'object' || typeof update.update_id !== 'number') return reply.code(400).send({ ok: false, error: 'expected a Telegram update' });
      await bot.receive(update);
      return reply.code(200).send({ ok: true });
    });
  };
}

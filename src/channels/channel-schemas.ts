/** Every platform's channel config schema; adding a platform adds its schema here. */
import { discordChannelSchema } from './discord/discord-config.ts';
import { emailChannelSchema } from './email/email-config.ts';
import { telegramChannelSchema } from './telegram/telegram-config.ts';

export const channelSchemas = [emailChannelSchema, telegramChannelSchema, discordChannelSchema] as const;

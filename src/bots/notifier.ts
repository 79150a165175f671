/**
 * Approval cards in the editors' chats: the Telegram editors' group (or each editor in a
 * private chat when no group is set) and the Discord editors' channel. Loaded only when a
 * card is to be posted or edited. One chat that fails never keeps the card from the others.
 */
import type { ApprovalNotifier } from '../pipeline/approval.ts';
import type { Herald } from '../pipeline/herald.ts';
import type { Approval, ApprovalCardRef } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { approvalCard, discordCardContent, telegramCardHtml } from './cards.ts';
import { components, createDiscordEditorClient, type DiscordEditorClient } from './discord/discord-client.ts';
import { createTelegramEditorClient, type TelegramEditorClient } from './telegram/telegram-client.ts';

export interface EditorClients {
  telegram?: TelegramEditorClient;
  discord?: DiscordEditorClient;
}

export function createEditorClients(h: Herald): EditorClients {
  const e = h.config.editors;
  return {
    ...(e?.telegram ? { telegram: createTelegramEditorClient(e.telegram) } : {}),
    ...(e?.discord ? { discord: createDiscordEditorClient(e.discord) } : {}),
  };
}

export function createApprovalNotifier(h: Herald, clients: EditorClients = createEditorClients(h)): ApprovalNotifier {
  const e = h.config.editors;

  const telegramTargets = (): Array<number | string> => (e?.telegram ? (e.telegram.chat !== undefined ? [e.telegram.chat] : e.telegram.users) : []);

  return {
    async announce(a: Approval): Promise<ApprovalCardRef[]> {
      const view = await approvalCard(h, a);
      const refs: ApprovalCardRef[] = [];
      const problems: string[] = [];
      if (clients.telegram) {
        for (const chat of telegramTargets()) {
          try {
            const id = await clients.telegram.sendText(chat, telegramCardHtml(view), { buttons: view.buttons, ...(view.linkPreviewUrl ? { linkPreviewUrl: view.linkPreviewUrl } : {}) });
            refs.push({ platform: 'telegram', chat: String(chat), messageId: String(id) });
          } catch (err) {
            problems.push(`telegram ${chat}: ${errorMessage(err)}`);
          }
        }
      }
      if (clients.discord && e?.discord?.channelId) {
        try {
          const id = await clients.discord.postMessage(e.discord.channelId, {
            content: discordCardContent(view),
            ...(view.embed ? { embeds: [view.embed] } : {}),
            components: components(view.buttons),
          });
          refs.push({ platform: 'discord', chat: e.discord.channelId, messageId: id });
        } catch (err) {
          problems.push(`discord ${e.discord.channelId}: ${errorMessage(err)}`);
        }
      }
      for (const p of problems) h.log.warn(`${a.channelId}: approval card not posted to ${p}`);
      if (refs.length === 0 && problems.length > 0) throw new Error(problems.join('; '));
      return refs;
    },

    async settle(a: Approval): Promise<void> {
      if (a.cards.length === 0) return;
      const view = await approvalCard(h, a);
      for (const card of a.cards) {
        try {
          if (card.platform === 'telegram' && clients.telegram) {
            await clients.telegram.editText(/^-?\d+$/.test(card.chat) ? Number(card.chat) : card.chat, Number(card.messageId), telegramCardHtml(view), {
              buttons: view.buttons,
              ...(view.linkPreviewUrl ? { linkPreviewUrl: view.linkPreviewUrl } : {}),
            });
          } else if (card.platform === 'discord' && clients.discord) {
            await clients.discord.editMessage(card.chat, card.messageId, { content: discordCardContent(view), ...(view.embed ? { embeds: [view.embed] } : {}), components: components(view.buttons) });
          }
        } catch (err) {
          h.log.warn(`${a.channelId}: approval card in ${card.platform} ${card.chat} not updated: ${errorMessage(err)}`);
        }
      }
    },

    async close() {
      clients.discord?.close();
    },
  };
}

/** The dashboard's "send now": the same as the chats' (pipeline/manual-send.ts). */
export { type ManualSendResult, sendArticleNow } from '../../pipeline/manual-send.ts';

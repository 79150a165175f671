/**
 * Editors in chat under test: a temp site with a Telegram channel, a Discord bot channel
 * and an email digest channel (a real SMTP server), editors on both platforms pointed at
 * the local Bot API and Discord imitations, a Herald with a clock the test moves, the web
 * server on a loopback port (for Discord interactions) and Telegram long polling running.
 *
 *   const t = await startEditors({ approval: { 'tg-news': 'window: 15m' } });
 *   const reply = await t.telegram('/status');            // the bot's answer in the editors' group
 *   const r = await t.discord('status');                  // a signed /herald status interaction
 *   t.clock.advance(16 * 60_000); await t.pass();          // a scheduler pass at the new time
 *   await t.close();
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, expect } from 'vitest';
import { createEditorBots, type EditorBots } from '../../src/bots/editor-bots.ts';
import { loadConfig } from '../../src/config/load.ts';
import { runPass } from '../../src/pipeline/dispatch.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { buildServer } from '../../src/server/app.ts';
import { type DiscordApi, type DiscordMember, type InteractionRecord, startDiscordApi } from '../helpers/discord-api.ts';
import { makeSite, SECRET, seedArticle, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTelegramApi, type TelegramApiCall, type TelegramApiMessage, type TelegramChat, type TelegramUser, type TestTelegramApi } from '../helpers/telegram-api.ts';

export const CHANNEL_TOKEN = '123456:ABC-channel-secret-token';
export const EDITOR_TOKEN = '654321:XYZ-editor-secret-token';
export const DISCORD_BOT_TOKEN = 'discord-bot-SECRET-token-0123456789';
export const APP_ID = '111111111111111111';
export const GUILD_ID = '222222222222222222';
export const EDITORS_CHANNEL = '333333333333333333';
export const POSTS_CHANNEL = '444444444444444444';
export const EDITOR_ROLE = '555555555555555555';
export const EDITORS_CHAT: TelegramChat = { id: -1009000000001, type: 'supergroup', title: 'Editors' };
export const ANN: TelegramUser = { id: 1001, username: 'ann', first_name: 'Ann' };
export const BOB: TelegramUser = { id: 1002, username: 'bob', first_name: 'Bob' };
export const MALLORY: TelegramUser = { id: 6666, username: 'mallory', first_name: 'Mallory' };
export const DORA: DiscordMember = { user: { id: '777000000000000001', username: 'dora', global_name: 'Dora' }, roles: [EDITOR_ROLE] };
export const EVE: DiscordMember = { user: { id: '777000000000000666', username: 'eve' }, roles: ['999999999999999999'] };
export const T0 = '2025-07-02T09:00:00+08:00';

export const ARTICLES: Record<string, string> = {
  'posts/europe-ai.md': seedArticle({
    title: '欧洲的AI“千兆工厂”热潮',
    date: '2025-07-02T08:00:00+08:00',
    slug: 'europe-ai',
    image: '/img/cover one.jpg',
    summary: '欧盟委员会的AI“千兆工厂”计划收到了76份意向书。',
    tags: ['AI千兆工厂'],
    topics: ['算力与芯片'],
  }),
  'posts/notes.md': '---\ntitle: "Weekly notes: chips & more"\ndate: 2025-07-02T08:30:00+08:00\ntags: [notes]\n---\n\nShort notes.\n',
};

export interface EditorsOptions {
  /** Per channel id, the YAML of its `approval:` value (e.g. `{ window: 15m }`). */
  approval?: Partial<Record<'tg-news' | 'discord-news' | 'newsletter', string>>;
  /** Leave Telegram long polling off (the test drives updates itself). */
  noPolling?: boolean;
  /** Extra articles (path → text), added to ARTICLES. */
  articles?: Record<string, string>;
  start?: string;
  /** Editors' Telegram: no group (cards go to each editor privately). */
  noEditorsChat?: boolean;
  digestSchedule?: string;
  /** Telegram updates by webhook (POST /hooks/telegram) instead of long polling. */
  webhook?: boolean;
}

export interface Clock {
  t: number;
  now(): Date;
  advance(ms: number): void;
  set(iso: string): void;
}

export interface EditorsHarness {
  site: TestSite;
  tg: TestTelegramApi;
  dc: DiscordApi;
  smtp: TestSmtpServer;
  h: Herald;
  bots: EditorBots;
  app: FastifyInstance;
  clock: Clock;
  logs: string[];
  interactionsUrl: string;
  /** http://127.0.0.1:PORT/ of the web server. */
  baseUrl: string;
  /** A scheduler pass at the clock's time. */
  pass(): ReturnType<typeof runPass>;
  /** An editor's Telegram command in the editors' group (or `chat`), answered: the bot's new messages there once `until` matches. */
  telegram(text: string, opts?: { from?: TelegramUser; chat?: TelegramChat; until?: (m: TelegramApiMessage[]) => boolean }): Promise<TelegramApiMessage[]>;
  /** Press a Telegram button; resolves with the answerCallbackQuery call. */
  press(message: TelegramApiMessage, data: string, from?: TelegramUser): Promise<TelegramApiCall>;
  /** A signed /herald <sub> interaction; resolves when its answer is complete (the @original edit). */
  discord(sub: string, options?: Record<string, string | number>, member?: DiscordMember): Promise<InteractionRecord>;
  /** Messages of the posts channels (not previews, not cards). */
  posts(): { telegram: TelegramApiMessage[]; discord: DiscordApi['messages'] };
  /** Telegram messages in the editors' group. */
  editorMessages(): TelegramApiMessage[];
  /** The approval cards posted in Telegram (messages in the editors' chat with Send now). */
  telegramCards(): TelegramApiMessage[];
  discordCards(): DiscordApi['messages'];
  close(): Promise<void>;
}

export function makeClock(start: string): Clock {
  const c: Clock = {
    t: Date.parse(start),
    now: () => new Date(c.t),
    advance(ms) {
      c.t += ms;
    },
    set(iso) {
      c.t = Date.parse(iso);
    },
  };
  return c;
}

export function editorsChannelsYaml(tgRoot: string, dcRoot: string, smtpUrl: string, o: EditorsOptions = {}): string {
  const approval = (id: 'tg-news' | 'discord-news' | 'newsletter') => (o.approval?.[id] ? `    approval: ${o.approval[id]}\n` : '');
  return `  tg-news:
    type: telegram
    token: "${CHANNEL_TOKEN}"
    chat: "@news"
    apiRoot: ${tgRoot}
    pace: { perChat: 6000, perToken: 100 }
${approval('tg-news')}  discord-news:
    type: discord
    token: "${DISCORD_BOT_TOKEN}"
    channelId: "${POSTS_CHANNEL}"
    apiRoot: ${dcRoot}
${approval('discord-news')}  newsletter:
    type: email
    smtp: ${smtpUrl}
    from: "Test News <news@example.com>"
    schedule: "${o.digestSchedule ?? '0 8 * * *'}"
${approval('newsletter')}`;
}

export function editorsYaml(tgRoot: string, dcRoot: string, publicKey: string, o: EditorsOptions = {}): string {
  return `editors:
  telegram:
    token: "${EDITOR_TOKEN}"
    users: [${ANN.id}, ${BOB.id}]
${o.noEditorsChat ? '' : `    chat: "${EDITORS_CHAT.id}"\n`}    apiRoot: ${tgRoot}
    webhook: ${o.webhook ? 'true' : 'false'}
  discord:
    applicationId: "${APP_ID}"
    publicKey: "${publicKey}"
    token: "${DISCORD_BOT_TOKEN}"
    guildId: "${GUILD_ID}"
    channelId: "${EDITORS_CHANNEL}"
    roles: ["${EDITOR_ROLE}"]
    apiRoot: ${dcRoot}
`;
}

export async function startEditors(o: EditorsOptions = {}): Promise<EditorsHarness> {
  const tg = await startTelegramApi({ tokens: [CHANNEL_TOKEN, EDITOR_TOKEN] });
  const dc = await startDiscordApi({ botToken: DISCORD_BOT_TOKEN, applicationId: APP_ID });
  const smtp = await startSmtpServer();
  const site = makeSite({
    language: 'en',
    channels: editorsChannelsYaml(tg.apiRoot, dc.apiRoot, smtp.url, o),
    extra: editorsYaml(tg.apiRoot, dc.apiRoot, dc.publicKey, o),
  });
  for (const [file, text] of Object.entries({ ...ARTICLES, ...o.articles })) site.write(file, text);
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: { HERALD_SECRET: SECRET } });
  const clock = makeClock(o.start ?? T0);
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
  const h = await createHerald(config, { log, now: () => clock.now() });
  await h.store.upsertSubscriber({ email: 'alice@example.com', name: 'Alice', status: 'active' }, h.now());
  const bots = createEditorBots(h);
  const app = await buildServer(h, { editors: (a) => bots.routes(a) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stop = new AbortController();
  if (!o.noPolling) await bots.start(stop.signal, { server: true });

  const editorMessages = () => tg.messages.filter((m) => m.chatId === String(EDITORS_CHAT.id));
  const t: EditorsHarness = {
    site,
    tg,
    dc,
    smtp,
    h,
    bots,
    app,
    clock,
    logs,
    interactionsUrl: `http://127.0.0.1:${port}/hooks/discord/interactions`,
    baseUrl: `http://127.0.0.1:${port}/`,
    pass: () => runPass(h),
    async telegram(text, opts = {}) {
      const chat = opts.chat ?? EDITORS_CHAT;
      const before = tg.messages.filter((m) => m.chatId === String(chat.id)).length;
      tg.pushUpdate(tg.command(text, opts.from ?? ANN, chat));
      const until = opts.until ?? ((ms: TelegramApiMessage[]) => ms.length > 0);
      const fresh = () => tg.messages.filter((m) => m.chatId === String(chat.id)).slice(before);
      await tg.waitFor(() => until(fresh()), 15_000, `the bot's answer to ${text}`);
      await bots.telegram?.bot.idle();
      return fresh();
    },
    async press(message, data, from = ANN) {
      const update = tg.pushUpdate(tg.press(message, data, from));
      const id = String(update.callback_query.id);
      const answer = await tg.waitFor((c) => c.method === 'answerCallbackQuery' && String(c.body.callback_query_id) === id, 15_000, 'the answer to a button press');
      await bots.telegram?.bot.idle();
      return answer;
    },
    async discord(sub, options = {}, member = DORA) {
      const r = await dc.interact(t.interactionsUrl, dc.slash(sub, options, member, GUILD_ID));
      if (r.response?.type === 5) {
        await dc.waitFor((q) => q.method === 'PATCH' && decodeURIComponent(q.path).endsWith(`/${r.token}/messages/@original`), 15_000, `the answer to /herald ${sub}`);
        await bots.idle(); // waits for the follow-ups of the command still running
      }
      return r;
    },
    posts: () => ({ telegram: tg.messages.filter((m) => m.chatId === '@news'), discord: dc.messages.filter((m) => m.channel_id === POSTS_CHANNEL) }),
    editorMessages,
    telegramCards: () => editorMessages().filter((m) => m.method === 'sendMessage' && /(Awaiting approval|Digest awaiting approval|For |Digest for )/.test(String(m.body.text))),
    discordCards: () => dc.messages.filter((m) => m.channel_id === EDITORS_CHANNEL),
    async close() {
      stop.abort();
      await bots.close();
      await app.close();
      await h.close();
      await tg.close();
      await dc.close();
      await smtp.close();
    },
  };
  return t;
}

/** Every secret the harness configures: none may appear in a message, an answer or a log line. */
export const SECRETS = [CHANNEL_TOKEN, EDITOR_TOKEN, DISCORD_BOT_TOKEN, SECRET];

export function leaks(t: EditorsHarness): string[] {
  const seen = [
    ...t.tg.calls.filter((c) => c.token === EDITOR_TOKEN).map((c) => JSON.stringify(c.body)),
    ...t.dc.requests.map((r) => JSON.stringify(r.body ?? '')),
    ...t.dc.interactions.map((i) => JSON.stringify(i)),
    ...t.logs,
  ];
  return SECRETS.flatMap((s) => (seen.some((x) => x.includes(s)) ? [s.slice(0, 8)] : []));
}

/** One harness per test, closed after it; closing fails the test if a secret showed anywhere. */
export function editorsPerTest(): (o?: EditorsOptions) => Promise<EditorsHarness> {
  let current: EditorsHarness | undefined;
  afterEach(async () => {
    const t = current;
    current = undefined;
    if (!t) return;
    try {
      expect(leaks(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });
  return async (o) => {
    current = await startEditors(o);
    return current;
  };
}

export const textOf = (m: TelegramApiMessage): string => String(m.body.text ?? m.body.caption ?? '');

/**
 * Manual sends ("send now" from the CLI, the dashboard, the chats) against a real ledger and the
 * Telegram imitation.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { sendArticleNow } from '../../src/pipeline/manual-send.ts';
import { makeSite, SECRET, seedArticle } from '../helpers/site.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-secret-token';
let tg: TestTelegramApi | undefined;
let h: Herald | undefined;
afterEach(async () => {
  await h?.close();
  await tg?.close();
  h = tg = undefined;
});

describe('manual send', () => {
  it('a forced send in the same millisecond as the first is a send of its own', async () => {
    tg = await startTelegramApi({ tokens: [TOKEN] });
    const site = makeSite({
      language: 'en',
      channels: `  tg:\n    type: telegram\n    token: "${TOKEN}"\n    chat: "@news"\n    apiRoot: ${tg.apiRoot}\n    pace: { perChat: 6000, perToken: 100 }\n`,
    });
    site.write('posts/a.md', seedArticle({ title: 'One', date: '2025-07-02T08:00:00+08:00', slug: 'a' }));
    const config = loadConfig({ file: site.configFile, cwd: site.dir, env: { HERALD_SECRET: SECRET } });
    // A clock that does not move: both sends happen at one instant, as two processes started
    // together with HERALD_NOW (or two clicks in one millisecond) would see it.
    const frozen = new Date('2025-07-02T09:00:00+08:00');
    h = await createHerald(config, { log: pino({ level: 'silent' }), now: () => frozen });
    const channel = h.config.channels.find((c) => c.id === 'tg')!;
    const first = await sendArticleNow(h, channel, 'posts/a', false);
    expect(first).toMatchObject({ outcome: 'ran', run: { sent: 1 } });
    expect(await sendArticleNow(h, channel, 'posts/a', false)).toMatchObject({ outcome: 'already-sent' });
    const forced = await sendArticleNow(h, channel, 'posts/a', true);
    expect(forced).toMatchObject({ outcome: 'ran', run: { sent: 1 } });
    expect(tg.messages).toHaveLength(2);
  });
});

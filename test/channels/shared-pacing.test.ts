/**
 * Pacing shared through PostgreSQL: two processes posting to one Telegram chat at the same
 * time keep to the chat's budget together (20 a second here), where each alone would keep
 * to it on its own and together post twice as fast.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../src/channels/discord/discord-adapter.ts';
import { discordChannelSchema } from '../../src/channels/discord/discord-config.ts';
import type { DiscordPayload } from '../../src/channels/discord/discord-payload.ts';
import { sharedPacing } from '../../src/channels/shared-pacing.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/pg-store.ts';
import { startDiscordApi } from '../helpers/discord-api.ts';
import { dropSchemas, freshSchema } from '../helpers/pg.ts';
import { startTelegramApi, type TestTelegramApi } from '../helpers/telegram-api.ts';

const TOKEN = '123456:ABC-secret-token';
const POSTER = path.resolve(import.meta.dirname, '../fixtures/processes/pace-poster.ts');
let api: TestTelegramApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});
afterAll(() => dropSchemas());

function poster(url: string, apiRoot: string, posts: number, label: string, goAt: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', POSTER, url, apiRoot, TOKEN, String(posts), label], { env: { ...process.env, GO_AT: String(goAt) } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('shared pacing on PostgreSQL', () => {
  it('two processes posting to one chat at once keep to its budget together', async () => {
    api = await startTelegramApi({ tokens: [TOKEN] });
    const { url } = await freshSchema('pace');
    await (await openPostgresStore(url, { max: 1 })).close(); // the schema, made once
    const goAt = Date.now() + 4000; // both are running by then
    const [a, b] = await Promise.all([poster(url, api.apiRoot, 20, 'a', goAt), poster(url, api.apiRoot, 20, 'b', goAt)]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);
    expect(api.messages).toHaveLength(40);
    const at = api.messages.map((m) => m.at).sort((x, y) => x - y);
    // Both posted while the other did: their posts interleave.
    const order = api.messages.map((m) => String(m.body.text).split(' ')[0]).join('');
    expect(order).toMatch(/ab.*ba|ba.*ab/);
    const inASecond = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(inASecond).toBeLessThanOrEqual(28); // 20, and some for requests reaching the server late or early on a busy machine (each alone: about 40)
    expect((at[at.length - 1]! - at[0]!) / (at.length - 1)).toBeGreaterThanOrEqual(42); // 50 ms apart on average
  }, 60_000);

  it('Discord: a rate limit one process meets holds the destination for the other', async () => {
    const dc = await startDiscordApi({ webhooks: [{ id: '111111111111111111', token: 'whtoken-SECRET-123' }] });
    const { url } = await freshSchema('dcpace');
    // Two stores and two adapters: two processes as far as PostgreSQL and discord.js can tell.
    const stores: PostgresStore[] = [await openPostgresStore(url, { max: 2 }), await openPostgresStore(url, { max: 2 })];
    const config = { ...discordChannelSchema.parse({ type: 'discord', webhookUrl: dc.webhookUrl('111111111111111111') }), id: 'dc' };
    const [a, b] = stores.map((s) => createDiscordAdapter(config, { timeoutMs: 5000, shared: sharedPacing(s.cluster) }));
    const post = (text: string): DiscordPayload => ({ kind: 'discord', content: text, embeds: [{ title: text, url: 'https://news.example.com/x/' }], allowed_mentions: { parse: [] } });
    try {
      dc.failNext({ status: 429, retryAfter: 2 });
      const first = a!.send(post('from a'));
      await dc.waitFor((r) => r.method === 'POST', 5000);
      await new Promise((r) => setTimeout(r, 300)); // a has seen its 429
      const asked = Date.now();
      await b!.send(post('from b'));
      await first;
      const fromB = dc.requests.find((r) => JSON.stringify(r.body).includes('from b'));
      // b waited for the end of a's limit (about 1.7 s more) instead of posting at once.
      expect((fromB?.at ?? 0) - asked).toBeGreaterThanOrEqual(1500);
      expect(dc.messages).toHaveLength(2);
    } finally {
      await a?.close();
      await b?.close();
      for (const s of stores) await s.close();
      await dc.close();
    }
  }, 60_000);
});

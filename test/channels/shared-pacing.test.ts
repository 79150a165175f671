/**
 * Pacing shared through PostgreSQL: two processes posting to one Telegram chat at the same
 * time keep to the chat's budget together (20 a second here), where each alone would keep
 * to it on its own and together post twice as fast.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
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
    expect(inASecond).toBeLessThanOrEqual(22); // 20, and a little for requests reaching the server late or early
    expect((at[at.length - 1]! - at[0]!) / (at.length - 1)).toBeGreaterThanOrEqual(45); // 50 ms apart on average
  }, 60_000);
});

/**
 * A running Herald web server for HTTP-level tests: a temp site and config (makeSite), an
 * email channel pointed at a real SMTP server on loopback, the store filled from the
 * site's articles, and a clock the test can move.
 *
 *   const t = await startTestServer({ articles: { 'posts/a.md': seedArticle({...}) } });
 *   const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
 *   await t.close();
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { scanAndRecord } from '../../src/pipeline/scan.ts';
import { buildServer } from '../../src/server/app.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

export interface TestServer {
  site: TestSite;
  smtp: TestSmtpServer;
  h: Herald;
  app: FastifyInstance;
  /** Herald's clock: starts at `start`, moves only when told. */
  clock: { now: Date; advance(ms: number): void };
  close(): Promise<void>;
}

export interface TestServerOptions {
  language?: string;
  /** Files under content/, written before the first scan. */
  articles?: Record<string, string>;
  /** Herald's clock at start (default 2025-07-03T00:00:00Z). */
  start?: string;
  /** Replace the email channel (YAML of `channels:`); `{smtp}` is the test server's URL. */
  channels?: string;
  /** Build the app yourself (e.g. to pass options to readerRoutes); default buildServer(h). */
  build?: (h: Herald) => Promise<FastifyInstance>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const smtp = await startSmtpServer();
  const channels =
    opts.channels ??
    `  news:
    type: email
    smtp: {smtp}
    from: "测试新闻 <news@example.com>"
    schedule: "0 8 * * *"
`;
  const site = makeSite({ channels: channels.replaceAll('{smtp}', smtp.url), language: opts.language });
  for (const [rel, text] of Object.entries(opts.articles ?? {})) site.write(rel, text);
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: site.env() });
  const clock = {
    now: new Date(opts.start ?? '2025-07-03T00:00:00Z'),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const h = await createHerald(config, { log: pino({ level: 'silent' }), now: () => clock.now, quiet: true });
  await scanAndRecord(h);
  const app = await (opts.build ?? buildServer)(h);
  await app.ready();
  return {
    site,
    smtp,
    h,
    app,
    clock,
    async close() {
      await app.close();
      await h.close();
      await smtp.close();
    },
  };
}

/** A form body as a browser sends it (repeated keys for checkboxes). */
export function form(fields: Record<string, string | string[]>): { payload: string; headers: Record<string, string> } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  return { payload: params.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/**
 * A running Herald web server for HTTP-level tests: a temp site and config (makeSite), an
 * email channel pointed at a real SMTP server on loopback, the store filled from the
 * site's articles, and a clock the test can move.
 *
 *   const t = await startTestServer({ articles: { 'posts/a.md': seedArticle({...}) } });
 *   const res = await t.app.inject({ method: 'GET', url: '/subscribe' });
 *   await t.close();
 */
import { rmSync } from 'node:fs';
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
  /** Herald's log lines (JSON), to show when something goes wrong. */
  logs: string[];
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
  /** Extra environment (admin credentials, ...). */
  env?: Record<string, string>;
  /** Extra top-level YAML for the config (e.g. a `bounces:` block). */
  extra?: string;
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
  const site = makeSite({ channels: channels.replaceAll('{smtp}', smtp.url), language: opts.language, extra: opts.extra });
  for (const [rel, text] of Object.entries(opts.articles ?? {})) site.write(rel, text);
  const config = loadConfig({ file: site.configFile, cwd: site.dir, env: site.env(undefined, opts.env) });
  const clock = {
    now: new Date(opts.start ?? '2025-07-03T00:00:00Z'),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
  const h = await createHerald(config, { log, now: () => clock.now, quiet: true });
  await scanAndRecord(h);
  const app = await (opts.build ?? buildServer)(h);
  await app.ready();
  return {
    site,
    smtp,
    h,
    app,
    clock,
    logs,
    async close() {
      await app.close();
      await h.close();
      await smtp.close();
      rmSync(site.dir, { recursive: true, force: true });
    },
  };
}

/** A form body as a browser sends it (repeated keys for checkboxes). */
export function form(fields: Record<string, string | string[]>): { payload: string; headers: Record<string, string> } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  return { payload: params.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

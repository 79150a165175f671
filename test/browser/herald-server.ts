/**
 * A Herald web server for browser tests: a temp site (makeSite), a real SMTP server on
 * loopback for the email channel, the store filled from the site's articles, a clock the
 * test moves, and the Fastify app listening on a real port of 127.0.0.1.
 *
 *   const t = await startWebHerald({ language: 'en', articles: { 'posts/a.md': seedArticle({...}) } });
 *   await page.goto(`${t.origin}/subscribe`);
 *   t.clock.advance(DAY);
 *   await runPass(t.h, { channels: ['news'] });
 *   await t.close();
 *
 * Emails carry links under server.publicUrl (https://news.example.com/herald/, as behind a
 * reverse proxy); the browser helper maps that prefix onto `origin` (see browser.ts).
 */
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createHerald, type Herald } from '../../src/pipeline/herald.ts';
import { scanAndRecord } from '../../src/pipeline/scan.ts';
import { buildServer } from '../../src/server/app.ts';
import { makeSite, type TestSite } from '../helpers/site.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

export const DAY = 24 * 3_600_000;

export interface WebHerald {
  site: TestSite;
  smtp: TestSmtpServer;
  h: Herald;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT, where the server really listens. */
  origin: string;
  /** The public base of every link Herald writes (server.publicUrl, ends with '/'). */
  publicUrl: string;
  /** Herald's clock: starts at `start`, moves only when told. */
  clock: { now: Date; advance(ms: number): void };
  /** Herald's log lines (JSON), to show when something goes wrong. */
  logs: string[];
  close(): Promise<void>;
}

export interface WebHeraldOptions {
  /** Site language (default 'en'). */
  language?: string;
  /** YAML of `channels:` (indented two spaces); `{smtp}` is the test SMTP server's URL. Default: one email digest channel `news`. */
  channels?: string;
  /** Files under content/, written before the first scan. */
  articles?: Record<string, string>;
  /** Herald's clock at start (default 2025-07-03T00:00:00Z, i.e. 08:00 in Asia/Shanghai). */
  start?: string;
  /** Extra environment (admin credentials, ...). */
  env?: Record<string, string>;
}

export const DEFAULT_CHANNELS = `  news:
    type: email
    smtp: {smtp}
    from: "Test News <news@example.com>"
    mode: digest
    schedule: "0 8 * * *"
`;

export async function startWebHerald(opts: WebHeraldOptions = {}): Promise<WebHerald> {
  const smtp = await startSmtpServer();
  const site = makeSite({ channels: (opts.channels ?? DEFAULT_CHANNELS).replaceAll('{smtp}', smtp.url), language: opts.language ?? 'en' });
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
  const app = await buildServer(h, {});
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    site,
    smtp,
    h,
    app,
    origin: `http://127.0.0.1:${port}`,
    publicUrl: config.server.publicUrl,
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

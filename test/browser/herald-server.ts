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
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../server/helpers.ts';

export const DAY = 24 * 3_600_000;

export interface WebHerald extends TestServer {
  /** http://127.0.0.1:PORT, where the server really listens. */
  origin: string;
  /** The public base of every link Herald writes (server.publicUrl, ends with '/'). */
  publicUrl: string;
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

/** The HTTP-level test server (test/server/helpers.ts), listening on a real port for the browser. */
export async function startWebHerald(opts: WebHeraldOptions = {}): Promise<WebHerald> {
  const t = await startTestServer({ ...opts, language: opts.language ?? 'en', channels: opts.channels ?? DEFAULT_CHANNELS });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { ...t, origin: `http://127.0.0.1:${port}`, publicUrl: t.h.config.server.publicUrl };
}

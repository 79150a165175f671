/**
 * POST /hooks/publish: a site's build (CI, Netlify, a git hook) says "new content" and
 * Herald scans now instead of at the next interval. It answers 202 at once and runs the
 * pass in the background: a build step must not wait for (or time out on) email sending.
 * Calls that arrive while a pass runs are folded into one more pass after it.
 */
import rateLimit from '@fastify/rate-limit';
import { clusterOf } from '../../store/cluster.ts';
import { sharedRateLimit } from '../shared-rate-limit.ts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { runPass } from '../../pipeline/dispatch.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { errorMessage, registerSecret } from '../../util/secrets.ts';
import { errorJson } from '../error-pages.ts';
import { safeEqual } from './auth.ts';

/**
 * Calls per client address per minute: a build calls once per deploy; a client guessing
 * tokens (each wrong one is logged) is stopped after this many.
 */
export const HOOK_RATE_LIMIT = 30;

export interface HookOptions {
  h: Herald;
  triggerPass?: () => Promise<void>;
}

export async function publishHook(app: FastifyInstance, opts: HookOptions): Promise<void> {
  const { h } = opts;
  const token = h.config.env.HERALD_HOOK_TOKEN?.trim() ?? '';
  registerSecret(token);
  let running: Promise<void> | undefined;
  let again = false;

  const pass = async () => {
    if (opts.triggerPass) return opts.triggerPass();
    const r = await runPass(h);
    const sent = r.runs.reduce((n, x) => n + x.sent, 0);
    const failed = r.runs.reduce((n, x) => n + x.failed, 0);
    h.log.info(`publish hook: pass done, ${sent} sent, ${failed} failed${r.errors.length ? `; ${r.errors.join('; ')}` : ''}`);
  };

  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          try {
            await pass();
          } catch (e) {
            h.log.error(`publish hook: pass failed: ${errorMessage(e)}`);
          }
        } while (again);
      } finally {
        // Cleared in the same step that saw `again` false: a call arriving after this starts a new pass,
        // never lands in a gap where it would only set `again` on a loop that has already ended.
        running = undefined;
      }
    })();
  };

  // A shutdown waits for a pass in flight, so the store is not closed under it.
  app.addHook('onClose', async () => {
    await running;
  });

  // Only routes that opt in are limited; this scope's limiter is its own.
  await app.register(rateLimit, { global: false, ...sharedRateLimit(clusterOf(h.store), 'hook') });

  // Answers for a build script: JSON, whatever went wrong (too large, too many calls).
  app.setErrorHandler(async (err: FastifyError, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) h.log.error(`publish hook: ${errorMessage(err)}`);
    return reply.code(status).header('cache-control', 'no-store').send(errorJson(status));
  });

  // Whatever a caller posts (JSON from a CI, a form, nothing) is read and ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, _body, done) => done(null, undefined));

  app.post('/hooks/publish', { config: { rateLimit: { max: HOOK_RATE_LIMIT, timeWindow: 60_000 } } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    if (token === '') return reply.code(404).send({ ok: false, error: 'the publish hook is disabled: set HERALD_HOOK_TOKEN to enable it' });
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !safeEqual(m[1]!.trim(), token)) {
      h.log.warn(`publish hook: rejected a call without the right token from ${req.ip}`);
      return reply.code(401).header('www-authenticate', 'Bearer').send({ ok: false, error: 'missing or wrong bearer token' });
    }
    trigger();
    return reply.code(202).send({ ok: true });
  });
}

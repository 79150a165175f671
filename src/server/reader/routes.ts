import rateLimit from '@fastify/rate-limit';
import { clusterOf } from '../../store/cluster.ts';
import { sharedRateLimit } from '../shared-rate-limit.ts';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';
import { confirmRoutes } from './confirm-routes.ts';
import { createConfirmationMailer } from './confirmation-mail.ts';
import { preferencesRoutes } from './preferences-routes.ts';
import { createReader } from './reader-context.ts';
import { cachedTopics } from './site-topics.ts';
import { subscribeRoutes } from './subscribe-routes.ts';
import { unsubscribeRoutes } from './unsubscribe-routes.ts';

export interface ReaderRouteOptions {
  h: Herald;
  /** Sign-ups per client IP per window (default 10 per 10 minutes). */
  rateLimit?: { max: number; timeWindowMs: number };
}

/** Reader pages: sign-up with double opt-in, confirm, unsubscribe (RFC 8058), preferences. */
export async function readerRoutes(app: FastifyInstance, opts: ReaderRouteOptions): Promise<void> {
  const { h } = opts;
  const mailer = createConfirmationMailer(h);
  const reader = createReader(h, cachedTopics(h.store, h.now), mailer);
  app.addHook('onClose', async () => mailer.close());

  // Only routes that opt in (POST /subscribe) are limited; this scope's limiter is its own.
  await app.register(rateLimit, { global: false, ...sharedRateLimit(clusterOf(h.store), 'reader') });

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 429) {
      return reader.message(reply, 429, { title: reader.t('reader_rate_limited_title'), text: [reader.t('reader_rate_limited_text')] });
    }
    if (status === 413) {
      return reader.message(reply, 413, { title: reader.t('error_too_large_title'), text: [reader.t('error_too_large_text')] });
    }
    if (status >= 400 && status < 500) {
      return reader.message(reply, status, { title: reader.t('reader_bad_request_title'), text: [reader.t('reader_bad_request_text')] });
    }
    h.log.error(`${req.method} ${req.routeOptions.url ?? ''}: ${err.message}`);
    return reader.message(reply, 500, { title: reader.t('reader_error_title'), text: [reader.t('reader_error_text')] });
  });

  await app.register(subscribeRoutes, { reader, rateLimit: opts.rateLimit ?? { max: 10, timeWindowMs: 10 * 60_000 } });
  await app.register(confirmRoutes, { reader });
  await app.register(unsubscribeRoutes, { reader });
  await app.register(preferencesRoutes, { reader });
}

/**
 * Herald's web server (Fastify): reader pages (sign-up, confirm, unsubscribe, preferences)
 * and the editors' dashboard. Thin: every action calls the pipeline or the store.
 *
 * Hardened against what an outsider can send: every body has a byte limit (64 KiB unless a
 * route says otherwise; none on GET), slow clients are cut off (server.timeouts), and every
 * error nothing else answers gets Herald's own page or JSON with the security headers.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { bounceHooks } from '../bounces/webhooks/routes.ts';
import type { Herald } from '../pipeline/herald.ts';
import { errorMessage } from '../util/secrets.ts';
import { adminRoutes } from './admin/routes.ts';
import { assetRoutes } from './assets.ts';
import { basePath, prefixLinks, publicPath, stripBase } from './base-path.ts';
import { clientErrorHandler, rawErrorResponses, sendError } from './error-pages.ts';
import { readerRoutes } from './reader/routes.ts';
import { helmetOptions, securityHeaders } from './security-headers.ts';

export interface ServerOptions {
  /** Run a pipeline pass now (the publish hook and "send now" buttons); the daemon passes its own. */
  triggerPass?: () => Promise<void>;
  /** The editors' chat hooks (POST /hooks/telegram, /hooks/discord/interactions), when editors are configured. */
  editors?: (app: FastifyInstance) => Promise<void>;
}

/** Every body unless a route allows more (the CSV import); forms are far smaller. */
export const BODY_LIMIT = 64 * 1024;
/** Longest path parameter: fits every token (TOKEN_RE: 400 + 1 + 64) and article ids. */
export const MAX_PARAM_LENGTH = 512;

export async function buildServer(h: Herald, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const base = basePath(h.config.server.publicUrl);
  const https = h.config.server.publicUrl.startsWith('https:');
  const helmetConfig = helmetOptions(https);
  const headers = securityHeaders(helmetConfig);
  const { timeouts } = h.config.server;
  const rawErrors = await rawErrorResponses(h, headers);
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: h.config.server.trustProxy,
    // Slow clients: the whole request within requestTimeout, its headers within headersTimeout,
    // a silent connection closed after connectionTimeout. Node checks the first two on an
    // interval, kept well under them so a slow client is cut off close to its deadline.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.max(50, Math.min(5000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4))),
    },
    clientErrorHandler: clientErrorHandler(rawErrors),
    // A malformed %-escape (400) or a path parameter over MAX_PARAM_LENGTH (414): answered before any route.
    frameworkErrors: (err, req, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : (err.statusCode ?? 400);
      sendError(h, req, reply, status, headers).catch((e: unknown) => {
        h.log.error(`error page ${status}: ${errorMessage(e)}`);
        if (!reply.raw.headersSent) reply.raw.writeHead(status, headers).end();
      });
    },
    // Served under publicUrl's path: the same routes whether or not a proxy strips it.
    rewriteUrl: (req) => stripBase(base, req.url ?? '/'),
  });
  await app.register(helmet, helmetConfig);
  // Pages, redirects and links are written with server paths; under publicUrl's path they get its prefix here, in one place.
  if (base !== '/') {
    app.addHook('onSend', async (_req, reply, payload) => {
      const location = reply.getHeader('location');
      if (typeof location === 'string') reply.header('location', publicPath(base, location));
      const type = String(reply.getHeader('content-type') ?? '');
      return typeof payload === 'string' && type.startsWith('text/html') ? prefixLinks(payload, base, ['admin', 'assets']) : payload;
    });
  }
  // A GET or HEAD takes no body: one that comes with a body is refused, and the connection closed instead of read.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
      reply.header('connection', 'close');
      return sendError(h, req, reply, 413, headers);
    }
  });
  // Whatever reaches no page's own handler (the reader pages and the dashboard have theirs).
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) h.log.error(`${req.method} ${req.routeOptions.url ?? ''}: ${errorMessage(err)}`);
    return sendError(h, req, reply, status, headers);
  });
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  await app.register(cookie);
  app.get('/healthz', async (_req, reply) => {
    // A store that cannot be reached may throw rather than answer false: unhealthy either way, never a 500.
    const ok = await h.store.ping().then(
      (v) => v === true,
      () => false,
    );
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ok });
  });
  // An address that is no page gets a page saying so, in the site language, not Fastify's JSON.
  app.setNotFoundHandler(async (req, reply) => sendError(h, req, reply, 404, headers));
  await app.register(assetRoutes);
  await app.register(readerRoutes, { h });
  await app.register(adminRoutes, { h, triggerPass: opts.triggerPass });
  await app.register(bounceHooks, { h });
  if (opts.editors) await app.register(opts.editors);
  return app;
}

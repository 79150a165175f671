/**
 * Herald's web server (Fastify): reader pages (sign-up, confirm, unsubscribe, preferences)
 * and the editors' dashboard. Thin: every action calls the pipeline or the store.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Herald } from '../pipeline/herald.ts';
import { adminRoutes } from './admin/routes.ts';
import { assetRoutes } from './assets.ts';
import { basePath, prefixLinks, publicPath, stripBase } from './base-path.ts';
import { readerRoutes } from './reader/routes.ts';
import { renderPage } from './render-page.ts';

export interface ServerOptions {
  /** Run a pipeline pass now (the publish hook and "send now" buttons); the daemon passes its own. */
  triggerPass?: () => Promise<void>;
  /** The editors' chat hooks (POST /hooks/telegram, /hooks/discord/interactions), when editors are configured. */
  editors?: (app: FastifyInstance) => Promise<void>;
}

export async function buildServer(h: Herald, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const base = basePath(h.config.server.publicUrl);
  const https = h.config.server.publicUrl.startsWith('https:');
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    trustProxy: h.config.server.trustProxy,
    // Served under publicUrl's path: the same routes whether or not a proxy strips it.
    rewriteUrl: (req) => stripBase(base, req.url ?? '/'),
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'self'"],
        formAction: ["'self'"],
        // Only when Herald is reached over https: on a plain-http install it would send forms and styles to a port that is not there.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
  });
  // Pages, redirects and links are written with server paths; under publicUrl's path they get its prefix here, in one place.
  if (base !== '/') {
    app.addHook('onSend', async (_req, reply, payload) => {
      const location = reply.getHeader('location');
      if (typeof location === 'string') reply.header('location', publicPath(base, location));
      const type = String(reply.getHeader('content-type') ?? '');
      return typeof payload === 'string' && type.startsWith('text/html') ? prefixLinks(payload, base, ['admin', 'assets']) : payload;
    });
  }
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(cookie);
  app.get('/healthz', async (_req, reply) => {
    // A store that cannot be reached may throw rather than answer false: unhealthy either way, never a 500.
    const ok = await h.store.ping().then(
      (v) => v === true,
      () => false,
    );
    return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send({ ok });
  });
  // An address that is no page gets a page saying so, in the site language, not Fastify's JSON.
  app.setNotFoundHandler(async (_req, reply) => {
    const t = (key: string) => h.engine.i18n.t(h.engine.i18n.resolve(h.config.site.language), key);
    reply.header('cache-control', 'no-store');
    return renderPage(h, reply, { template: 'message', title: t('page_not_found_title'), status: 404, data: { paragraphs: [t('page_not_found_text')], links: [] } });
  });
  await app.register(assetRoutes);
  await app.register(readerRoutes, { h });
  await app.register(adminRoutes, { h, triggerPass: opts.triggerPass });
  if (opts.editors) await app.register(opts.editors);
  return app;
}

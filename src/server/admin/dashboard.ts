/**
 * /admin: login, sessions, CSRF and the error pages; the pages themselves live in
 * ./pages/. Everything here is one encapsulated Fastify context, so its hooks and
 * error handler never touch the reader pages or the publish hook.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import rateLimit from '@fastify/rate-limit';
import { sharedRateLimit } from '../shared-rate-limit.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';
import { clusterOf } from '../../store/cluster.ts';
import { PROJECT_ROOT } from '../../util/project-root.ts';
import { errorMessage, registerSecret } from '../../util/secrets.ts';
import {
  adminCredentials,
  clearCookie,
  cookiePolicy,
  LOGIN_COOKIE,
  randomToken,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SEC,
  SessionStore,
  safeEqual,
  safeNext,
  setCookie,
  verifyLogin,
} from './auth.ts';
import { type AdminContext, adminPage, attachSession, field, sessionOf, tr, wellFormed } from './context.ts';
import { articlePages } from './pages/articles.ts';
import { deliveryPages } from './pages/deliveries.ts';
import { doctorPages } from './pages/doctor.ts';
import { digestPages } from './pages/digests.ts';
import { subscriberPages } from './pages/subscribers.ts';

const css = readFileSync(path.join(PROJECT_ROOT, 'templates/web/admin/admin.css'));

/** Login attempts per minute per client address; HERALD_ADMIN_LOGIN_LIMIT overrides (tests, shared offices behind one NAT). */
function loginLimit(env: Record<string, string | undefined>): number {
  const n = Number(env.HERALD_ADMIN_LOGIN_LIMIT);
  return Number.isInteger(n) && n > 0 ? n : 5;
}

export async function dashboard(app: FastifyInstance, opts: { h: Herald }): Promise<void> {
  const { h } = opts;
  const credentials = adminCredentials(h.config.env);
  // Registered with the redactor, so a password can never reach a log line.
  registerSecret(h.config.env.HERALD_ADMIN_PASSWORD);
  registerSecret(h.config.env.HERALD_ADMIN_PASSWORD_HASH);
  const ctx: AdminContext = { h, sessions: new SessionStore(Date.now, clusterOf(h.store)?.sessions), policy: cookiePolicy(h.config.server.publicUrl), credentials };
  if (!credentials.ok) {
    h.log.warn(
      credentials.reason === 'bad-hash'
        ? 'dashboard disabled: HERALD_ADMIN_PASSWORD_HASH is not a bcrypt hash'
        : 'dashboard disabled: set HERALD_ADMIN_USER and HERALD_ADMIN_PASSWORD (or HERALD_ADMIN_PASSWORD_HASH) to enable /admin',
    );
  }

  await app.register(rateLimit, { global: false, ...sharedRateLimit(clusterOf(h.store), 'admin') });

  const errorPage = (req: FastifyRequest, reply: FastifyReply, status: number, key: string) =>
    adminPage(ctx, req, reply, { template: 'message', title: tr(h, `${key}_title`), section: 'none', status, data: { message: tr(h, key) } });

  app.setErrorHandler(async (err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 429) return errorPage(req, reply, 429, 'admin_rate_limited');
    if (status === 413) return errorPage(req, reply, 413, 'admin_too_large');
    if (status >= 400 && status < 500) return errorPage(req, reply, status, 'admin_bad_request');
    h.log.error(`dashboard: ${req.method} ${req.routeOptions.url ?? ''} failed: ${errorMessage(err)}`);
    return errorPage(req, reply, 500, 'admin_server_error');
  });

  app.get('/admin/admin.css', async (_req, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css),
  );

  const isPublic = (req: FastifyRequest) => req.routeOptions.url === '/admin/login' || req.routeOptions.url === '/admin/admin.css';

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url === '/admin/admin.css') return;
    if (!credentials.ok) {
      return adminPage(ctx, req, reply, {
        template: 'message',
        title: tr(h, 'admin_disabled_title'),
        section: 'none',
        status: 503,
        data: { message: tr(h, credentials.reason === 'bad-hash' ? 'admin_disabled_bad_hash' : 'admin_disabled') },
      });
    }
    const session = await ctx.sessions.get(req.cookies[SESSION_COOKIE]);
    if (session) attachSession(req, session);
    if (session || isPublic(req)) return;
    // Not logged in (or the session expired): to the login page, coming back here afterwards.
    const next = req.method === 'GET' ? req.url : '/admin';
    return reply.header('cache-control', 'no-store').redirect(`/admin/login?next=${encodeURIComponent(next)}`, 303);
  });

  // A flash set or shown by this request is written before the answer leaves (the next page may be served by another process).
  app.addHook('onSend', async (req) => {
    const session = sessionOf(req);
    if (session) await ctx.sessions.save(session);
  });

  // Every form post carries the session's token: a page on another site cannot act for the editor.
  app.addHook('preHandler', async (req, reply) => {
    if (!wellFormed(req.query) || (req.method === 'POST' && !wellFormed(req.body))) return errorPage(req, reply, 400, 'admin_bad_request');
    if (req.method !== 'POST' || isPublic(req)) return;
    const session = sessionOf(req);
    const token = field(req, '_csrf');
    if (!session || token === '' || !safeEqual(token, session.csrf)) return errorPage(req, reply, 403, 'admin_csrf');
  });

  app.get('/admin', async (_req, reply) => reply.redirect('/admin/articles', 303));

  const loginPage = (req: FastifyRequest, reply: FastifyReply, token: string, next: string, status = 200, error?: string) =>
    adminPage(ctx, req, reply, { template: 'login', title: tr(h, 'admin_login_title'), section: 'none', status, data: { login_csrf: token, next, error } });

  app.get('/admin/login', async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (sessionOf(req)) return reply.redirect(next, 303);
    // Login CSRF: a random value in a cookie and in the form must match (double submit).
    const token = randomToken();
    setCookie(reply, ctx.policy, LOGIN_COOKIE, token, 3600);
    return loginPage(req, reply, token, next);
  });

  app.post('/admin/login', { config: { rateLimit: { max: loginLimit(h.config.env), timeWindow: 60_000 } } }, async (req, reply) => {
    if (!credentials.ok) return; // answered by the onRequest hook
    const cookieToken = req.cookies[LOGIN_COOKIE] ?? '';
    const formToken = field(req, '_csrf');
    if (cookieToken === '' || formToken === '' || !safeEqual(cookieToken, formToken)) return errorPage(req, reply, 403, 'admin_csrf');
    const next = safeNext(field(req, 'next'));
    const ok = await verifyLogin(credentials.creds, field(req, 'user'), field(req, 'password'));
    if (!ok) {
      h.log.warn(`dashboard: failed login from ${req.ip}`);
      return loginPage(req, reply, cookieToken, next, 401, tr(h, 'admin_login_failed'));
    }
    // A fresh id at login: a session id planted before cannot be ridden (session fixation).
    const old = sessionOf(req);
    if (old) old.ended = true;
    await ctx.sessions.destroy(req.cookies[SESSION_COOKIE]);
    const session = await ctx.sessions.create(credentials.creds.user);
    setCookie(reply, ctx.policy, SESSION_COOKIE, session.id, SESSION_MAX_AGE_SEC);
    clearCookie(reply, ctx.policy, LOGIN_COOKIE);
    h.log.info(`dashboard: ${credentials.creds.user} logged in from ${req.ip}`);
    return reply.redirect(next, 303);
  });

  app.post('/admin/logout', async (req, reply) => {
    const session = sessionOf(req);
    if (session) session.ended = true;
    await ctx.sessions.destroy(session?.id);
    clearCookie(reply, ctx.policy, SESSION_COOKIE);
    return reply.redirect('/admin/login', 303);
  });

  await app.register(articlePages, { ctx });
  await app.register(digestPages, { ctx });
  await app.register(deliveryPages, { ctx });
  await app.register(subscriberPages, { ctx });
  await app.register(doctorPages, { ctx });
}

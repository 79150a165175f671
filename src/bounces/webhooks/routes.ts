/**
 * POST /hooks/bounces/:provider (ses, postmark, mailgun, sendgrid): each provider's own
 * authentication first (a call that fails it: 401, nothing recorded), then its events are
 * matched and recorded like every other bounce. A provider that is not configured: 404.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';
import type { BounceSource } from '../../store/types.ts';
import { errorMessage } from '../../util/secrets.ts';
import { matchReport, recordReport } from '../record.ts';
import { mailgunItems } from './mailgun.ts';
import { postmarkItems, verifyPostmark } from './postmark.ts';
import { sendgridItems } from './sendgrid.ts';
import { confirmSubscription, sesItems, verifySns } from './ses.ts';
import { type WebhookItem, WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './types.ts';

/** Providers batch events; a busy list sends many calls a minute. */
const RATE_LIMIT = 600;
const BODY_LIMIT = 1024 * 1024;

export async function bounceHooks(app: FastifyInstance, opts: { h: Herald }): Promise<void> {
  const { h } = opts;
  const hooks = h.config.bounces.webhooks;
  await app.register(rateLimit, { global: false });
  app.setErrorHandler(async (err: FastifyError, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) h.log.error(`bounce webhook: ${errorMessage(err)}`);
    return reply.code(status).header('cache-control', 'no-store').send({ ok: false, error: status >= 500 ? 'internal error' : 'bad request' });
  });
  // Signatures cover the exact bytes: the body is kept raw, whatever its type (SNS posts text/plain).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post('/hooks/bounces/:provider', { bodyLimit: BODY_LIMIT, config: { rateLimit: { max: RATE_LIMIT, timeWindow: 60_000 } } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const provider = (req.params as { provider: string }).provider;
    const r: WebhookRequest = { headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), now: h.now() };
    let items: WebhookItem[];
    try {
      if (provider === 'ses' && hooks.ses) {
        const m = await verifySns(r, hooks.ses);
        if (m.Type === 'SubscriptionConfirmation') {
          await confirmSubscription(m, hooks.ses);
          h.log.info(`bounce webhook: confirmed the SNS subscription to ${String(m.TopicArn)}`);
          return reply.send({ ok: true, confirmed: true });
        }
        items = m.Type === 'Notification' ? sesItems(m) : [];
      } else if (provider === 'postmark' && hooks.postmark) {
        verifyPostmark(r, hooks.postmark);
        items = postmarkItems(r);
      } else if (provider === 'mailgun' && hooks.mailgun) items = mailgunItems(r, hooks.mailgun.signingKey);
      else if (provider === 'sendgrid' && hooks.sendgrid) items = sendgridItems(r, hooks.sendgrid.publicKey);
      else return reply.code(404).send({ ok: false, error: `no bounce webhook for "${provider.slice(0, 40)}" is configured (bounces.webhooks)` });
    } catch (e) {
      if (e instanceof WebhookAuthError) {
        h.log.warn(`bounce webhook ${provider}: rejected a call from ${req.ip}: ${e.message}`);
        return reply.code(401).send({ ok: false, error: 'authentication failed' });
      }
      if (e instanceof WebhookPayloadError) return reply.code(400).send({ ok: false, error: e.message });
      throw e;
    }
    let recorded = 0;
    for (const item of items) {
      const match = await matchReport(h, { messageId: item.messageId, providerMessageId: item.providerMessageId, recipient: item.recipient, byAddress: true });
      const { duplicate } = await recordReport(
        h,
        {
          key: item.key,
          source: provider as BounceSource,
          type: item.type,
          ...(item.code ? { code: item.code } : {}),
          ...(item.diagnostic ? { diagnostic: item.diagnostic } : {}),
          ...(item.recipient ? { recipient: item.recipient } : {}),
        },
        match,
      );
      if (!duplicate) recorded++;
    }
    return reply.send({ ok: true, recorded });
  });
}

/** GET /confirm/:token: the link in the confirmation email turns a sign-up into a subscription. */
import type { FastifyInstance } from 'fastify';
import { tokenParams } from './forms.ts';
import { checkConfirmToken, preferencesToken } from './links.ts';
import { maskEmail, type Reader } from './reader-context.ts';
import { notFound, signUpLink } from './shared-pages.ts';

export async function confirmRoutes(app: FastifyInstance, { reader }: { reader: Reader }): Promise<void> {
  const { h, t } = reader;

  app.get('/confirm/:token', async (req, reply) => {
    const params = tokenParams.safeParse(req.params);
    const check = params.success ? checkConfirmToken(h.secret, params.data.token, h.now()) : { kind: 'invalid' as const };
    if (check.kind === 'invalid') return notFound(reader, reply);
    if (check.kind === 'expired') {
      return reader.message(reply, 410, { title: t('reader_expired_title'), text: [t('reader_expired_text')], links: [signUpLink(reader)] });
    }
    const s = await h.store.getSubscriberByPublicId(check.publicId);
    const result = s && (await h.store.confirmSubscriber(s.id, check.issuedAt, h.now()));
    if (!result) return notFound(reader, reply);
    if (result.outcome === 'stale') {
      return reader.message(reply, 410, { title: t('reader_stale_title'), text: [t('reader_stale_text')], links: [signUpLink(reader)] });
    }
    if (result.outcome === 'confirmed') h.log.info(`subscriber #${result.subscriber.id} confirmed their address`);
    return reader.message(reply, 200, {
      title: t('reader_confirmed_title'),
      text: [t('reader_confirmed_text', { email: maskEmail(result.subscriber.email) })],
      // Relative: the server may live under a path prefix (server.publicUrl).
      links: [{ href: `../preferences/${preferencesToken(h.secret, result.subscriber.publicId)}`, label: t('reader_manage_link') }],
    });
  });
}

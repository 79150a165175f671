/**
 * /confirm/:token, the link in the confirmation email. GET shows what confirming will do and
 * one button; only its POST confirms: mail scanners open every link in an email, and a
 * scanner must never be able to subscribe anyone (the same rule as unsubscribe). Old links
 * never confirm: one made before the address's last unsubscribe is stale, and an address
 * that unsubscribed comes back only through the link of a re-subscription request made since.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Subscriber } from '../../store/types.ts';
import { acceptAnyBody, tokenParams } from './forms.ts';
import { checkConfirmToken, preferencesToken } from './links.ts';
import { maskEmail, type Reader } from './reader-context.ts';
import { notFound, signUpLink } from './shared-pages.ts';

export async function confirmRoutes(app: FastifyInstance, { reader }: { reader: Reader }): Promise<void> {
  const { h, t } = reader;
  // The button's POST carries nothing we need (at most 16 KiB of it is read).
  acceptAnyBody(app, 16 * 1024);

  /** The subscriber and link a token names, or the page that answers it instead. */
  async function linkOf(params: unknown, reply: FastifyReply) {
    const p = tokenParams.safeParse(params);
    const check = p.success ? checkConfirmToken(h.secret, p.data.token, h.now()) : { kind: 'invalid' as const };
    if (check.kind === 'expired') {
      return { page: reader.message(reply, 410, { title: t('reader_expired_title'), text: [t('reader_expired_text')], links: [signUpLink(reader)] }) };
    }
    const s = check.kind === 'valid' ? await h.store.getSubscriberByPublicId(check.publicId) : undefined;
    if (!s || check.kind !== 'valid') return { page: notFound(reader, reply) };
    return { s, link: { issuedAt: check.issuedAt, requestId: check.requestId } };
  }

  const stale = (reply: FastifyReply) =>
    reader.message(reply, 410, { title: t('reader_stale_title'), text: [t('reader_stale_text')], links: [signUpLink(reader)] });

  const welcome = (reply: FastifyReply, s: Subscriber) =>
    reader.message(reply, 200, {
      title: t('reader_confirmed_title'),
      text: [t('reader_confirmed_text', { email: maskEmail(s.email) })],
      // Relative: the server may live under a path prefix (server.publicUrl).
      links: [{ href: `../preferences/${preferencesToken(h.secret, s.publicId)}`, label: t('reader_manage_link') }],
    });

  app.get('/confirm/:token', async (req, reply) => {
    const found = await linkOf(req.params, reply);
    if (found.page) return found.page;
    const check = await h.store.checkConfirmation(found.s.id, found.link);
    if (!check) return notFound(reader, reply);
    if (check.outcome === 'stale') return stale(reply);
    if (check.outcome === 'already') return welcome(reply, check.subscriber);
    return reader.page(reply, 'confirm', t('reader_confirm_title'), {
      email: maskEmail(check.subscriber.email),
      name: check.name ?? '',
      topics: check.topics,
      again: found.link.requestId !== undefined,
    });
  });

  app.post('/confirm/:token', async (req, reply) => {
    const found = await linkOf(req.params, reply);
    if (found.page) return found.page;
    const result = await h.store.confirmSubscriber(found.s.id, found.link, h.now(), { ip: req.ip });
    if (!result) return notFound(reader, reply);
    if (result.outcome === 'stale') return stale(reply);
    if (result.outcome === 'confirmed') h.log.info(`subscriber #${result.subscriber.id} confirmed their address`);
    return welcome(reply, result.subscriber);
  });
}

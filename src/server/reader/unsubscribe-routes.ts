/**
 * Unsubscribe, RFC 8058. GET only shows a page with one button: mail scanners fetch every
 * link, so a GET must never unsubscribe. POST (the button, or a mail client's one-click
 * `List-Unsubscribe=One-Click`) unsubscribes at once: no cookie, login or CSRF token (the
 * signed token is the authority), no redirect, 200 every time it is repeated.
 */
import type { FastifyInstance } from 'fastify';
import type { ConsentSource } from '../../store/types.ts';
import { DOCTOR_PUBLIC_ID } from '../../util/tokens.ts';
import { acceptAnyBody, tokenParams } from './forms.ts';
import { readUnsubscribeToken } from './links.ts';
import { maskEmail, type Reader } from './reader-context.ts';
import { notFound, signUpLink } from './shared-pages.ts';

export async function unsubscribeRoutes(app: FastifyInstance, { reader }: { reader: Reader }): Promise<void> {
  const { h, t } = reader;

  // Whatever the body's type (form, multipart, text, JSON, empty), one-click must work with
  // every mail client: it is read as text (at most 16 KiB, else 413) and only looked at to
  // tell a one-click POST from our own buttons, for the consent record.
  acceptAnyBody(app, 16 * 1024);

  const subscriberOf = async (params: unknown) => {
    const p = tokenParams.safeParse(params);
    const publicId = p.success ? readUnsubscribeToken(h.secret, p.data.token) : undefined;
    const s = publicId === undefined ? undefined : await h.store.getSubscriberByPublicId(publicId);
    return s && p.success ? { s, token: p.data.token } : undefined;
  };

  const unsubscribed = (reply: Parameters<typeof notFound>[1], email: string) =>
    reader.message(reply, 200, {
      title: t('reader_unsubscribed_title'),
      text: [t('reader_unsubscribed_text', { email: maskEmail(email) })],
      links: [signUpLink(reader, 'reader_resubscribe')],
    });

  app.get('/unsubscribe/:token', async (req, reply) => {
    const found = await subscriberOf(req.params);
    if (!found) return notFound(reader, reply);
    if (found.s.status === 'unsubscribed' || found.s.status === 'complained') return unsubscribed(reply, found.s.email);
    return reader.page(reply, 'unsubscribe', t('reader_unsubscribe_title'), {
      email: maskEmail(found.s.email),
      preferences_url: `../preferences/${found.token}`,
    });
  });

  app.post('/unsubscribe/:token', async (req, reply) => {
    const p = tokenParams.safeParse(req.params);
    if (p.success && readUnsubscribeToken(h.secret, p.data.token) === DOCTOR_PUBLIC_ID) {
      // `herald doctor` checking one-click from outside: answered like a real one, nobody unsubscribed.
      return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('one-click unsubscribe works (herald doctor check; nobody was unsubscribed)\n');
    }
    const found = await subscriberOf(req.params);
    if (!found) return notFound(reader, reply);
    const source = unsubscribeSource(req.body);
    const result = await h.store.unsubscribe(found.s.id, h.now(), { source, ip: req.ip });
    if (!result) return notFound(reader, reply);
    if (found.s.status === 'active' || found.s.status === 'pending') {
      h.log.info(`subscriber #${found.s.id} unsubscribed (${source})${result.cancelled > 0 ? ` (${result.cancelled} pending deliveries cancelled)` : ''}`);
    }
    return unsubscribed(reply, found.s.email);
  });
}

/**
 * Which button sent this POST, for the consent record: a mail client's RFC 8058 one-click
 * (`List-Unsubscribe=One-Click`, urlencoded or multipart), the preferences page, or the
 * unsubscribe page (and anything else). Anyone holding the link may post anything, so this
 * is what the request said, not proof.
 */
export function unsubscribeSource(body: unknown): ConsentSource {
  const text = typeof body === 'string' ? body : '';
  if (/List-Unsubscribe/i.test(text) && /One-Click/i.test(text)) return 'one-click';
  if (/(?:^|&)from=preferences(?:&|$)/.test(text)) return 'preferences';
  return 'link';
}

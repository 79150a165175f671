/**
 * GET/POST /preferences/:token: name, topics, pause, or unsubscribe. Reached with a
 * preferences token (welcome page) or with the unsubscribe token every email carries.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendsAlerts } from '../../pipeline/breaking.ts';
import type { Subscriber } from '../../store/types.ts';
import { type FieldErrors, parsePreferences, tokenParams } from './forms.ts';
import { checkFormKey, formKey, readPreferencesToken, unsubscribeToken } from './links.ts';
import { maskEmail, type Reader } from './reader-context.ts';
import { notFound, signUpLink } from './shared-pages.ts';
import { pickTopics, topicKey } from './site-topics.ts';

interface View {
  values?: { name: string; topics: string[]; paused: boolean; alerts: boolean };
  errors?: FieldErrors;
  saved?: boolean;
}

export async function preferencesRoutes(app: FastifyInstance, { reader }: { reader: Reader }): Promise<void> {
  const { h, t } = reader;
  const alertsOffered = h.config.channels.some((c) => c.enabled && sendsAlerts(c));

  const subscriberOf = async (params: unknown) => {
    const p = tokenParams.safeParse(params);
    const publicId = p.success ? readPreferencesToken(h.secret, p.data.token) : undefined;
    const s = publicId === undefined ? undefined : await h.store.getSubscriberByPublicId(publicId);
    return s && p.success ? { s, token: p.data.token } : undefined;
  };

  /** The site's topics plus any the reader chose that no longer make the list, so saving never drops them silently. */
  const offered = async (s: Subscriber) => {
    const site = await reader.topics();
    const known = new Set(site.map(topicKey));
    return [...site, ...s.topics.filter((x) => !known.has(topicKey(x)))];
  };

  async function show(reply: FastifyReply, s: Subscriber, token: string, view: View, status = 200) {
    if (s.status === 'unsubscribed' || s.status === 'complained') {
      return reader.message(reply, status === 200 ? 200 : 409, {
        title: t('reader_preferences_title'),
        text: [t('reader_preferences_unsubscribed')],
        links: [signUpLink(reader, 'reader_resubscribe')],
      });
    }
    const values = view.values ?? { name: s.name ?? '', topics: s.topics, paused: s.paused, alerts: s.alerts };
    const chosen = new Set(values.topics.map(topicKey));
    return reader.page(
      reply,
      'preferences',
      t('reader_preferences_title'),
      {
        email: maskEmail(s.email),
        pending: s.status === 'pending',
        values,
        topics: (await offered(s)).map((name) => ({ name, checked: chosen.has(topicKey(name)) })),
        errors: { name: view.errors?.name ? t(view.errors.name) : '' },
        has_errors: view.errors?.name !== undefined,
        saved: view.saved === true,
        // Offered only where a digest channel emails breaking news.
        alerts_offered: alertsOffered,
        form_key: formKey(h.secret, token),
        unsubscribe_url: `../unsubscribe/${unsubscribeToken(h.secret, s.publicId)}`,
      },
      status,
    );
  }

  app.get('/preferences/:token', async (req, reply) => {
    const found = await subscriberOf(req.params);
    if (!found) return notFound(reader, reply);
    return show(reply, found.s, found.token, {});
  });

  app.post('/preferences/:token', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const found = await subscriberOf(req.params);
    if (!found) return notFound(reader, reply);
    const { s, token } = found;
    const form = parsePreferences(req.body);
    if (!checkFormKey(h.secret, token, form.formKey)) {
      return reader.message(reply, 403, { title: t('reader_bad_request_title'), text: [t('reader_form_expired')] });
    }
    if (s.status === 'unsubscribed' || s.status === 'complained') return show(reply, s, token, {}, 409);
    if (!form.ok) return show(reply, s, token, { values: form.values, errors: form.errors }, 400);
    const topics = pickTopics(form.values.topics, await offered(s));
    // Without the checkbox on the page, the choice on record stays as it is.
    const { alerts, ...rest } = form.values;
    const updated = await h.store.updatePreferences(s.id, { ...rest, topics, ...(alertsOffered ? { alerts } : {}) }, h.now());
    if (!updated) return notFound(reader, reply);
    return show(reply, updated, token, { saved: true });
  });
}

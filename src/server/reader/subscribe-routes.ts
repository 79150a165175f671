/**
 * GET/POST /subscribe: the sign-up form and double opt-in. Whatever the address, a valid
 * form gets the same "check your inbox" page, so the form cannot tell anyone who subscribes.
 * A sign-up never changes an existing subscriber (store.signUp): it can only ask the
 * address's owner, by email, to confirm.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FieldErrors, parseSubscribe, type SubscribeValues } from './forms.ts';
import type { Reader } from './reader-context.ts';
import { pickTopics, topicKey } from './site-topics.ts';
import { siteLanguageChoices } from './site-languages.ts';

export interface SubscribeRouteOptions {
  reader: Reader;
  rateLimit: { max: number; timeWindowMs: number };
}

export async function subscribeRoutes(app: FastifyInstance, { reader, rateLimit }: SubscribeRouteOptions): Promise<void> {
  const { h, t } = reader;

  async function form(reply: FastifyReply, values: SubscribeValues, errors: FieldErrors, status = 200) {
    if (!reader.mailer.available) {
      return reader.message(reply, 503, { title: t('reader_unavailable_title'), text: [t('reader_unavailable_text')] });
    }
    const chosen = new Set(values.topics.map(topicKey));
    const topics = (await reader.topics()).map((name) => ({ name, checked: chosen.has(topicKey(name)) }));
    return reader.page(
      reply,
      'subscribe',
      t('reader_subscribe_title'),
      {
        values: { email: values.email, name: values.name },
        topics,
        // Offered only when the site has more than one language.
        languages: siteLanguageChoices(h.config.content, h.config.site, values.language),
        errors: { email: errors.email ? t(errors.email) : '', name: errors.name ? t(errors.name) : '' },
        has_errors: errors.email !== undefined || errors.name !== undefined,
      },
      status,
    );
  }

  app.get('/subscribe', async (req, reply) => {
    const lang = (req.query as { lang?: unknown } | undefined)?.lang;
    return form(reply, { email: '', name: '', topics: [], language: typeof lang === 'string' ? lang : undefined }, {});
  });

  app.post(
    '/subscribe',
    { bodyLimit: 16 * 1024, config: { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindowMs } } },
    async (req, reply) => {
      const parsed = parseSubscribe(req.body);
      if (!parsed.ok || !reader.mailer.available) return form(reply, parsed.values, parsed.ok ? {} : parsed.errors, 400);
      const { values } = parsed;
      if (!parsed.bot) {
        const topics = pickTopics(values.topics, await reader.topics());
        const language = siteLanguageChoices(h.config.content, h.config.site, values.language).find((l) => l.selected && values.language !== undefined)?.code;
        const { subscriber, outcome, requestId } = await h.store.signUp({ email: values.email, name: values.name || undefined, topics, language }, h.now(), { ip: req.ip });
        // Active readers get nothing: a stranger could otherwise mail them at will. Known bounces stay suppressed.
        // Someone who unsubscribed gets a fresh double opt-in whose link alone can bring them back.
        if (outcome === 'created' || outcome === 'pending' || outcome === 'requested') reader.mailer.request(subscriber, requestId);
        if (outcome === 'requested') h.log.info(`subscriber #${subscriber.id} (${subscriber.status}) asked to subscribe again; a new confirmation is required`);
      }
      return reader.message(reply, 200, {
        title: t('reader_sent_title'),
        text: [t('reader_sent_text', { email: values.email }), t('reader_sent_hint')],
      });
    },
  );
}

/**
 * The double opt-in email: "confirm your subscription", with a signed link valid 48 h.
 * Sent through the first email channel's SMTP settings (or its outbox in preview mode,
 * like the channel itself). Sending happens after the HTTP answer, so the page looks and
 * takes the same whether or not an email went out (no probing which addresses exist).
 */
import { envelopeSender } from '../../bounces/verp.ts';
import type { EmailChannelConfig } from '../../channels/email/email-config.ts';
import { createSmtpAdapter } from '../../channels/email/smtp-adapter.ts';
import { createOutboxAdapter } from '../../channels/preview/outbox-adapter.ts';
import type { ChannelAdapter, EmailPayload } from '../../channels/types.ts';
import { compileMjml } from '../../render/email/compile-mjml.ts';
import { escapeHtml, prepareMessage } from '../../render/email/prepared-message.ts';
import { tidyText } from '../../render/email/render-email.ts';
import { defusePlaceholders, fillPlaceholders, PLACEHOLDERS } from '../../render/placeholders.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { messageSettings } from '../../pipeline/payloads/email-kind.ts';
import type { Subscriber } from '../../store/types.ts';
import { unsubscribeUrl } from '../../util/tokens.ts';
import { CONFIRM_TTL_MS, confirmToken } from './links.ts';

export const CONFIRM_RESEND_MS = 5 * 60_000;
/** At most this many confirmation emails to one address in 24 hours, whoever asks. */
export const CONFIRM_DAILY_CAP = 3;

/** Rendered once; each email splices its own link in place of this. */
const LINK = 'https://herald.invalid/confirm-link';

export interface ConfirmationMailer {
  /** False when no email channel is configured: there is nothing to send confirmations with. */
  readonly available: boolean;
  /**
   * Send a confirmation to this subscriber in the background (for a re-subscription, its
   * link answers `requestId`), unless one went out within 5 minutes or CONFIRM_DAILY_CAP
   * in 24 hours. A failed send is logged and frees its claim so the reader can ask again.
   */
  request(s: Subscriber, requestId?: number): void;
  /** Wait for the emails in flight, then close the connection. */
  close(): Promise<void>;
}

interface Rendered {
  subject: string;
  html: string;
  text: string;
}

export function createConfirmationMailer(h: Herald): ConfirmationMailer {
  const channel = h.config.channels.find((c): c is EmailChannelConfig => c.type === 'email');
  const inFlight = new Set<Promise<void>>();
  let adapter: ChannelAdapter<EmailPayload> | undefined;
  let rendered: Promise<Rendered> | undefined;

  const getAdapter = (c: EmailChannelConfig) => {
    adapter ??=
      c.smtp === ''
        ? (createOutboxAdapter({ channelId: c.id, type: 'email', dir: h.config.outboxDir }) as ChannelAdapter<EmailPayload>)
        : createSmtpAdapter({ channelId: c.id, url: c.smtp, pool: { maxConnections: 1 }, tls: c.tls });
    return adapter;
  };

  const render = () => {
    if (!rendered) {
      rendered = renderConfirmation(h);
      rendered.catch(() => {
        rendered = undefined;
      });
    }
    return rendered;
  };

  async function send(c: EmailChannelConfig, s: Subscriber, requestId: number | undefined): Promise<void> {
    const r = await render();
    const link = new URL(`confirm/${confirmToken(h.secret, s.publicId, h.now(), requestId)}`, h.config.server.publicUrl).toString();
    const lang = h.engine.i18n.resolve(h.config.site.language);
    const anonymous = h.engine.i18n.t(lang, 'greeting_anonymous');
    const html = r.html.replaceAll(LINK, () => escapeHtml(link));
    // The name on a sign-up is whatever the person at the form typed, maybe about someone
    // else's address: it is left out of this email (greeting and To header alike).
    const prepared = prepareMessage({
      ...messageSettings(h, c, 'confirm'),
      subject: r.subject,
      html,
      text: r.text.replaceAll(LINK, () => link),
      greeting: { named: anonymous, anonymous },
      date: h.now(),
    });
    const messageId = h.messageId(c.id, `confirm.${s.publicId}.${Date.now().toString(36)}`);
    // The reader's own unsubscribe link: "I never asked for this" in a mail client then stops any further confirmation.
    const unsubscribe = unsubscribeUrl(h.config.server.publicUrl, h.secret, s.publicId);
    const raw = await prepared.build({ to: { address: s.email }, messageId, unsubscribeUrl: unsubscribe, unsubscribeMailto: c.unsubscribeMailto });
    const previewHtml = fillPlaceholders(html, { greeting: anonymous, name: '', unsubscribeUrl: unsubscribe, preferencesUrl: unsubscribe }, escapeHtml);
    const from = envelopeSender(h.config.bounces.returnPath, h.secret, { kind: 'subscriber', id: s.id }, prepared.envelopeFrom);
    await getAdapter(c).send({ kind: 'email', envelope: { from, to: s.email }, messageId, raw, html: previewHtml, subject: r.subject });
  }

  return {
    available: channel !== undefined,
    request(s, requestId) {
      if (!channel) {
        h.log.error(`subscriber #${s.id} signed up, but no email channel is configured to send the confirmation`);
        return;
      }
      const job = (async () => {
        const claimedAt = h.now();
        const claim = await h.store.claimConfirmationSend(s.id, claimedAt, { minIntervalMs: CONFIRM_RESEND_MS, maxPerDay: CONFIRM_DAILY_CAP });
        if (claim === 'capped') h.log.info(`subscriber #${s.id}: no confirmation email sent, ${CONFIRM_DAILY_CAP} already went out in 24 hours`);
        if (claim !== 'ok') return;
        try {
          await send(channel, s, requestId);
          h.log.info(`${channel.id}: sent a confirmation email to subscriber #${s.id}`);
        } catch (e) {
          h.log.error(`${channel.id}: confirmation email to subscriber #${s.id} failed: ${(e as Error).message}`);
          await h.store.releaseConfirmationSend(s.id, claimedAt);
        }
      })().catch((e: unknown) => h.log.error(`confirmation email: ${(e as Error).message}`));
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    },
    async close() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await adapter?.close();
      adapter = undefined;
    },
  };
}

async function renderConfirmation(h: Herald): Promise<Rendered> {
  const site = { ...h.config.site, title: defusePlaceholders(h.config.site.title) };
  const lang = h.engine.i18n.resolve(site.language);
  const subject = h.engine.i18n.t(lang, 'confirm_subject', { site: site.title }).replace(/\s+/g, ' ').trim();
  const data = {
    site,
    lang,
    subject,
    preview: h.engine.i18n.t(lang, 'confirm_intro', { site: site.title }),
    confirm_url: LINK,
    expires_hours: CONFIRM_TTL_MS / 3_600_000,
    recipient: { greeting: PLACEHOLDERS.greeting, name: PLACEHOLDERS.name },
    unsubscribe_url: PLACEHOLDERS.unsubscribeUrl,
  };
  const [mjml, text] = await Promise.all([h.engine.render('email/confirm.mjml.liquid', data), h.engine.render('email/confirm.txt.liquid', data)]);
  return { subject, html: await compileMjml(mjml, 'email/confirm.mjml.liquid'), text: tidyText(text) };
}

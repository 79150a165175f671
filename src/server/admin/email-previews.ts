/**
 * Emails as a sample reader would get them: the same renderer and personalisation as a
 * real send (see `herald preview`), for the dashboard's preview frames.
 */
import type { EmailChannelConfig } from '../../channels/email/email-config.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { type EmailContent, personalHtml, renderEmailBody } from '../../pipeline/payloads/email-kind.ts';
import { preferencesUrl, unsubscribeUrl } from '../../util/tokens.ts';

const SAMPLE = { name: 'Preview Reader', publicId: 'preview' };

export async function emailPreview(h: Herald, channel: EmailChannelConfig, content: EmailContent): Promise<{ subject: string; html: string }> {
  // An article's email in its own language, as its readers get it.
  const body = await renderEmailBody(h, channel, content, content.kind === 'post' ? content.article.language : undefined);
  const unsubscribe = unsubscribeUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
  // Both footer links as a reader gets them (a sample reader's, so they lead nowhere real).
  const preferences = preferencesUrl(h.config.server.publicUrl, h.secret, SAMPLE.publicId);
  return { subject: body.subject, html: personalHtml(body, { name: SAMPLE.name, unsubscribeUrl: unsubscribe, preferencesUrl: preferences }) };
}

export { type NextDigest, nextDigest } from '../../pipeline/next-digest.ts';

/**
 * The preview document may contain anything an article or template puts into an
 * email, so it gets its own strict policy: no scripts, no plugins, no forms, framed
 * only by the dashboard itself.
 */
export const PREVIEW_CSP =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

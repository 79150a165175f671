/**
 * A sample of what the channel sends next (its next digest, or its latest article in mode
 * each), built exactly as a real send for a doctor recipient, then checked as a receiver
 * would: the DKIM signatures against the keys published in DNS, a text part, Message-ID,
 * List-Unsubscribe (+ Post for one-click), and the size against the clipping limit.
 */
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { articleStatus, matchesTopics } from '../content/article.ts';
import { scanSite } from '../pipeline/scan.ts';
import type { Herald } from '../pipeline/herald.ts';
import { type EmailContent, renderEmailBody } from '../pipeline/payloads/email-kind.ts';
import { nextDigest } from '../pipeline/next-digest.ts';
import { DOCTOR_PUBLIC_ID, preferencesUrl, unsubscribeUrl } from '../util/tokens.ts';
import { Checks, type CheckResult } from './report.ts';
import type { DoctorResolver } from './resolver.ts';

async function nextContent(h: Herald, c: EmailChannelConfig): Promise<EmailContent | undefined> {
  if (c.mode === 'digest') {
    const next = await nextDigest(h, c);
    return next.articles.length > 0 ? { kind: 'digest', articles: next.articles, date: h.now() } : undefined;
  }
  const now = h.now();
  const scan = await scanSite(h);
  const latest = scan.articles
    .filter((a) => articleStatus(a, now) === 'published' && matchesTopics(a.topics, c.topics, c.exclude))
    .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt))[0];
  return latest ? { kind: 'post', article: latest } : undefined;
}

function headerOf(head: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r\\n[ \\t].*)*)`, 'im').exec(head);
  return m?.[1]?.replace(/\r\n[ \t]+/g, ' ').trim();
}

export async function sampleChecks(h: Herald, r: DoctorResolver, c: EmailChannelConfig): Promise<CheckResult[]> {
  const out = new Checks('sample', c.id);
  const what = c.mode === 'digest' ? 'next digest' : 'next email';
  const content = await nextContent(h, c);
  if (!content) {
    out.warn(what, 'no published article matches this channel: nothing to sample', 'publish an article (or widen the channel\'s topics), then run the doctor again');
    return out.results;
  }
  const body = await renderEmailBody(h, c, content);
  const raw = await body.prepared.build({
    to: { address: `doctor@${new URL(h.config.site.url).hostname}`, name: 'Herald Doctor' },
    messageId: h.messageId(c.id, `doctor.${h.now().getTime()}`),
    unsubscribeUrl: unsubscribeUrl(h.config.server.publicUrl, h.secret, DOCTOR_PUBLIC_ID),
    preferencesUrl: preferencesUrl(h.config.server.publicUrl, h.secret, DOCTOR_PUBLIC_ID),
    unsubscribeMailto: c.unsubscribeMailto,
    name: 'Herald Doctor',
  });
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n') + 2);
  const label = `${what} "${body.subject.slice(0, 60)}"`;

  const keys = c.dkimKeys ?? [];
  if (keys.length === 0) {
    out.warn(`DKIM of the ${what}`, 'not signed by Herald (no dkim key configured)', 'configure dkim: (see herald doctor --dns-records), unless your SMTP relay signs for your domain');
  } else {
    const { dkimVerify } = await import('mailauth/lib/dkim/verify.js');
    const verified = await dkimVerify(raw, { resolver: r.raw as never });
    for (const result of verified.results) {
      const sig = `DKIM d=${result.signingDomain} s=${result.selector}`;
      const status = result.status.result;
      if (status === 'pass') out.pass(`${sig} on the ${what}`, 'verifies against the published key');
      else out.fail(`${sig} on the ${what}`, `${status}${result.status.comment ? ` (${result.status.comment})` : ''}`, `publish the key record shown by herald doctor --dns-records at ${result.selector}._domainkey.${result.signingDomain}`);
    }
  }

  if (/\r\nContent-Type: text\/plain;/i.test(text)) out.pass(`text part of the ${what}`, `present (${body.prepared.parts.text.encoding})`);
  else out.fail(`text part of the ${what}`, 'missing', 'give the template a .txt.liquid counterpart');
  const messageId = headerOf(head, 'Message-ID');
  if (messageId && /^<[^<>\s]+@[^<>\s]+>$/.test(messageId)) out.pass(`Message-ID of the ${what}`, messageId);
  else out.fail(`Message-ID of the ${what}`, messageId ?? 'missing', 'report this as a Herald bug');
  const listUnsubscribe = headerOf(head, 'List-Unsubscribe');
  const post = headerOf(head, 'List-Unsubscribe-Post');
  if (!listUnsubscribe) out.fail(`List-Unsubscribe of the ${what}`, 'missing', 'report this as a Herald bug');
  else if (post !== 'List-Unsubscribe=One-Click') {
    out.fail(`List-Unsubscribe of the ${what}`, `${listUnsubscribe} without List-Unsubscribe-Post: no one-click unsubscribe (the link is not https)`, 'set server.publicUrl to an https address');
  } else out.pass(`List-Unsubscribe of the ${what}`, `${listUnsubscribe.replace(/unsubscribe\/[^>]+/, 'unsubscribe/…')} with List-Unsubscribe-Post (one-click)`);

  const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
  const moved = body.articles?.movedForSize ? `; ${body.articles.movedForSize} article(s) moved into the "more" line to fit` : '';
  if (body.htmlBytes <= body.maxBytes) out.pass(`size of the ${what}`, `${label}: HTML part ${kb(body.htmlBytes)} of ${kb(body.maxBytes)} (email.maxBytes), message ${kb(raw.length)}${moved}`);
  else out.fail(`size of the ${what}`, `${label}: HTML part ${kb(body.htmlBytes)}, over ${kb(body.maxBytes)}: Gmail clips it and hides the footer with the unsubscribe link`, 'shorten the template or its per-article part (each article must fit on its own)');
  return out.results;
}

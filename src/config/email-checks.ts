/**
 * Settings that are valid YAML but make real email untrustworthy or broken: links to a
 * loopback or plain-http publicUrl, no postal address, no DKIM, a DKIM domain that does not
 * align with From, nothing reading bounces and complaints. `herald check` reports them; `run` and the sending commands warn once.
 */
import { isIP } from 'node:net';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import type { HeraldConfig } from './load.ts';

export interface EmailCheck {
  level: 'problem' | 'warning';
  message: string;
}

/** Email channels that send through a real SMTP server (not preview mode). */
export function sendingEmailChannels(config: Pick<HeraldConfig, 'channels'>): EmailChannelConfig[] {
  return config.channels.filter((c): c is EmailChannelConfig => c.type === 'email' && c.enabled && c.smtp !== '');
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^::ffff:127\./.test(host);
  return false;
}

/** What is wrong with publicUrl for links in real email, or undefined. */
export function publicUrlProblem(config: Pick<HeraldConfig, 'server'>): string | undefined {
  const url = new URL(config.server.publicUrl);
  const why: string[] = [];
  if (!config.server.publicUrlSet) why.push('is not set');
  if (isLoopbackHost(url.hostname)) why.push('points at this machine (loopback), which readers cannot reach');
  if (url.protocol !== 'https:') why.push('is not https (mail clients only offer one-click unsubscribe, RFC 8058, for https links)');
  if (why.length === 0) return undefined;
  return `server.publicUrl ${config.server.publicUrlSet ? `"${config.server.publicUrl}" ` : `(default ${config.server.publicUrl}) `}${why.join(' and ')}`;
}

const LINKS = 'the unsubscribe links (footer and List-Unsubscribe header), the preferences links and the sign-up confirmation links';

export async function emailChecks(config: Pick<HeraldConfig, 'server' | 'site' | 'channels' | 'bounces'>): Promise<EmailCheck[]> {
  const sending = sendingEmailChannels(config);
  if (sending.length === 0) return [];
  const ids = sending.map((c) => c.id).join(', ');
  const out: EmailCheck[] = [];
  const url = publicUrlProblem(config);
  if (url) out.push({ level: 'problem', message: `${url}: ${LINKS} in email from ${ids} would not work; set server.publicUrl to the https address readers reach Herald at` });
  if (!config.site.address) {
    out.push({ level: 'warning', message: `site.address is not set: email from ${ids} has no postal address in its footer (CAN-SPAM requires one in commercial email)` });
  }
  const b = config.bounces;
  if (!b.mailbox && !Object.values(b.webhooks).some(Boolean)) {
    out.push({
      level: 'warning',
      message: `nothing reads bounces or complaints that arrive after sending (set bounces.mailbox or bounces.webhooks): only refusals at send time stop an address from getting email from ${ids}`,
    });
  }
  for (const c of sending) {
    const keys = c.dkimKeys ?? [];
    const fromDomain = fromDomainOf(c.from);
    if (keys.length === 0) {
      out.push({ level: 'warning', message: `${c.id}: no DKIM key configured (dkim:); Gmail and Yahoo require DKIM from bulk senders, and one-click unsubscribe only counts under a valid signature, unless your SMTP relay signs for ${fromDomain ?? 'your domain'}` });
    } else if (fromDomain && !(await Promise.all(keys.map((k) => dmarcAligned(k.domain, fromDomain)))).some(Boolean)) {
      out.push({ level: 'warning', message: `${c.id}: DKIM signs as d=${keys.map((k) => k.domain).join(', ')} but From is @${fromDomain}; DMARC needs a signing domain that matches the From domain (or its parent domain)` });
    }
  }
  return out;
}

/** The From address's domain, lower case (IDN as given). */
export function fromDomainOf(from: string): string | undefined {
  const m = /@([^@\s<>]+?)>?\s*$/.exec(from);
  return m?.[1]?.toLowerCase();
}

/** DMARC relaxed alignment: the same organizational domain (public suffix list), e.g. mail.example.com and example.com. */
export async function dmarcAligned(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  const { getDomain } = await import('tldts');
  const org = (d: string) => getDomain(d, { allowPrivateDomains: true }) ?? d;
  return org(a) === org(b);
}

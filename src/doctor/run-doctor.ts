/**
 * `herald doctor` and the dashboard's Doctor page: every check that decides whether
 * mailbox providers trust Herald's email, run live against DNS, the web server and the
 * SMTP server, without sending anything. Loaded only by those two (it pulls in DNS, TLS
 * and mailauth).
 */
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { fromDomainOf } from '../config/email-checks.ts';
import type { Herald } from '../pipeline/herald.ts';
import { dnsChecks } from './dns-checks.ts';
import { Checks, type CheckResult, type DoctorReport, makeReport } from './report.ts';
import { createResolver, type DoctorResolver } from './resolver.ts';
import { sampleChecks } from './sample-checks.ts';
import { smtpChecks } from './smtp-checks.ts';
import { webChecks } from './web-checks.ts';

export interface DoctorOptions {
  /** Only this email channel (default: every enabled email channel). */
  channel?: string;
  resolver?: DoctorResolver;
}

export class DoctorUsageError extends Error {}

export function doctorChannels(h: Herald, channel?: string): EmailChannelConfig[] {
  const email = h.config.channels.filter((c): c is EmailChannelConfig => c.type === 'email');
  if (channel === undefined) return email.filter((c) => c.enabled);
  const c = email.find((x) => x.id === channel);
  if (!c) throw new DoctorUsageError(`unknown email channel "${channel}" (email channels: ${email.map((x) => x.id).join(', ') || 'none'})`);
  return [c];
}

export async function runDoctor(h: Herald, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const channels = doctorChannels(h, opts.channel);
  const r = opts.resolver ?? createResolver(h.config.env);
  const results: CheckResult[] = [];
  if (channels.length === 0) {
    const none = new Checks('config');
    none.warn('email channels', 'no email channel is configured', 'add an email channel (type: email) to the config');
    return makeReport([], none.results);
  }

  for (const c of channels) {
    const config = new Checks('config', c.id);
    if (c.smtp === '') config.warn('SMTP', 'preview mode (no smtp URL): this channel writes to the outbox and sends nothing', 'set smtp: to your mail provider\'s submission URL');
    else config.pass('SMTP', 'sends through a real SMTP server');
    if ((c.dkimKeys ?? []).length === 0) config.warn('DKIM', 'no dkim key configured: Herald does not sign this channel\'s email', 'configure dkim: (per channel or under email:), unless your SMTP relay signs with d= your From domain');
    else config.pass('DKIM', (c.dkimKeys ?? []).map((k) => `${k.algorithm} d=${k.domain} s=${k.selector}`).join(', '));
    if (!h.config.site.address) config.warn('postal address', 'site.address is not set: no postal address in the footer', 'set site.address (CAN-SPAM asks for one in commercial email)');
    else config.pass('postal address', h.config.site.address);
    results.push(...config.results);
  }

  const domains = new Set<string>();
  for (const c of channels) {
    // Channels sending from the same domain with the same keys share their DNS answers.
    const key = `${fromDomainOf(c.from)}|${(c.dkimKeys ?? []).map((k) => `${k.selector}.${k.domain}`).join(',')}`;
    if (domains.has(key)) continue;
    domains.add(key);
    results.push(...(await dnsChecks(r, c, h.config.bounces.returnPath)));
  }

  results.push(...(await webChecks(r, h.config, h.secret)));

  const servers = new Set<string>();
  const ehloName = new URL(h.config.site.url).hostname || 'herald.local';
  for (const c of channels) {
    if (c.smtp === '' || servers.has(c.smtp)) continue;
    servers.add(c.smtp);
    results.push(...(await smtpChecks(r, c, ehloName)));
  }

  for (const c of channels) {
    try {
      results.push(...(await sampleChecks(h, r, c)));
    } catch (e) {
      const out = new Checks('sample', c.id);
      out.fail('sample email', `could not build one: ${(e as Error).message}`, 'run herald preview for this channel to see the problem');
      results.push(...out.results);
    }
  }
  return makeReport(
    channels.map((c) => c.id),
    results,
  );
}

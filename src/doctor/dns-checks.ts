/**
 * DNS as receivers see it: SPF for the envelope domain, each DKIM selector record against
 * the configured key, DMARC and its alignment with the DKIM signing domain, MX.
 */
import { domainToASCII } from 'node:url';
import type { EmailChannelConfig } from '../channels/email/email-config.ts';
import { dmarcAligned, fromDomainOf } from '../config/email-checks.ts';
import { type DkimKey, dkimPublicRecord } from '../render/email/dkim.ts';
import { Checks, type CheckResult } from './report.ts';
import { DnsError, type DoctorResolver } from './resolver.ts';

const SPF_LOOKUP_LIMIT = 10;

/** Tag=value pairs of a DKIM/DMARC-style record. */
export function parseTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) tags.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return tags;
}

interface SpfWalk {
  lookups: number;
  problems: string[];
}

const isSpf = (txt: string) => /^v=spf1(\s|$)/i.test(txt.trim());

/** Counts the DNS-querying terms of an SPF record, following include: and redirect= (RFC 7208 4.6.4). */
async function countSpfLookups(r: DoctorResolver, record: string, walk: SpfWalk, seen: Set<string>): Promise<void> {
  for (const term of record.trim().split(/\s+/).slice(1)) {
    const t = term.replace(/^[+?~-]/, '').toLowerCase();
    const include = /^include:(.+)$/.exec(t)?.[1] ?? /^redirect=(.+)$/.exec(t)?.[1];
    if (include !== undefined) {
      walk.lookups++;
      if (seen.has(include) || include.includes('%{')) continue;
      seen.add(include);
      const records = (await r.txt(include)).filter(isSpf);
      if (records.length !== 1) walk.problems.push(`${include} (included) has ${records.length === 0 ? 'no' : 'more than one'} SPF record`);
      else await countSpfLookups(r, records[0] as string, walk, seen);
    } else if (/^(a|mx|ptr|exists)([:/]|$)/.test(t)) walk.lookups++;
  }
}

async function spfCheck(r: DoctorResolver, domain: string, out: Checks): Promise<void> {
  const name = `SPF ${domain}`;
  const records = (await r.txt(domain)).filter(isSpf);
  const fix = `publish one TXT record at ${domain} listing the servers that send for it, e.g. "v=spf1 include:<your provider's SPF domain> ~all" (see herald doctor --dns-records)`;
  if (records.length === 0) return out.fail(name, 'no SPF record (TXT "v=spf1 …")', fix);
  if (records.length > 1) return out.fail(name, `${records.length} SPF records; receivers treat that as an error (permerror)`, 'merge them into one TXT record');
  const record = records[0] as string;
  const all = /(?:^|\s)([+?~-]?)all(?:\s|$)/i.exec(record);
  if (all && (all[1] === '' || all[1] === '+')) {
    return out.fail(name, `"${record}" ends with ${all[1]}all: anyone may send as ${domain}`, 'end the record with ~all or -all');
  }
  const walk: SpfWalk = { lookups: 0, problems: [] };
  await countSpfLookups(r, record, walk, new Set([domain]));
  if (walk.lookups > SPF_LOOKUP_LIMIT) {
    return out.fail(name, `"${record}" needs ${walk.lookups} DNS lookups; receivers stop at ${SPF_LOOKUP_LIMIT} (permerror)`, 'remove includes you no longer use, or replace some with ip4:/ip6: ranges');
  }
  if (walk.problems.length > 0) return out.fail(name, `"${record}": ${walk.problems.join('; ')}`, 'fix or remove those includes');
  if (all?.[1] === '?') return out.warn(name, `"${record}" ends with ?all (neutral: says nothing about other senders)`, 'end the record with ~all or -all');
  if (!all && !/redirect=/i.test(record)) return out.warn(name, `"${record}" has no "all" at the end`, 'end the record with ~all or -all');
  out.pass(name, `"${record}" (${walk.lookups} DNS lookup${walk.lookups === 1 ? '' : 's'})`);
}

async function dkimCheck(r: DoctorResolver, key: DkimKey, out: Checks): Promise<void> {
  const expected = dkimPublicRecord(key);
  const name = `DKIM ${expected.name}`;
  const publish = `publish TXT ${expected.name} "${expected.value}"`;
  const records = (await r.txt(expected.name)).filter((t) => parseTags(t).has('p'));
  if (records.length === 0) return out.fail(name, 'no DKIM key record', publish);
  const tags = parseTags(records[0] as string);
  const published = (tags.get('p') ?? '').replace(/\s+/g, '');
  if (published === '') return out.fail(name, 'the record has an empty p= (the key is revoked)', publish);
  const wantType = key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  const type = (tags.get('k') ?? 'rsa').toLowerCase();
  if (type !== wantType) return out.fail(name, `the record is k=${type}, the configured key is ${wantType}`, publish);
  if (published !== parseTags(expected.value).get('p')) {
    return out.fail(name, `the published key does not match the configured private key (${key.source}); receivers will reject every signature`, publish);
  }
  if (key.algorithm === 'rsa-sha256' && key.bits < 2048) {
    return out.warn(name, `matches the configured key, but it is ${key.bits}-bit RSA`, 'use a 2048-bit RSA key (1024-bit keys are considered weak)');
  }
  out.pass(name, `matches the configured ${key.algorithm === 'rsa-sha256' ? `${key.bits}-bit RSA` : 'Ed25519'} key`);
}

async function dmarcCheck(r: DoctorResolver, fromDomain: string, keys: readonly DkimKey[], out: Checks): Promise<void> {
  const { default: getDmarcRecord } = await import('mailauth/lib/dmarc/get-dmarc-record.js');
  const name = `DMARC _dmarc.${fromDomain}`;
  const record = await getDmarcRecord(fromDomain, r.raw);
  const fix = `publish TXT _dmarc.${fromDomain} "v=DMARC1; p=none; rua=mailto:dmarc@${fromDomain}", then move to p=quarantine once reports look right`;
  if (!record) {
    out.fail(name, 'no DMARC record (Gmail and Yahoo require one from bulk senders)', fix);
  } else {
    const policy = String(record.p ?? '').toLowerCase();
    const where = record.isOrgRecord ? ' (from the organizational domain)' : '';
    if (!['none', 'quarantine', 'reject'].includes(policy)) out.fail(name, `"${record.rr}" has no valid p= policy${where}`, fix);
    else if (policy === 'none') out.warn(name, `"${record.rr}"${where}: p=none only monitors`, 'once DMARC reports show your mail passing, raise it to p=quarantine or p=reject');
    else out.pass(name, `"${record.rr}"${where}`);
  }
  const check = `DKIM alignment with From @${fromDomain}`;
  if (keys.length === 0) return;
  const strict = record && String(record.adkim ?? 'r').toLowerCase() === 's';
  const aligned = [];
  for (const k of keys) if (strict ? k.domain === fromDomain : await dmarcAligned(k.domain, fromDomain)) aligned.push(k.domain);
  if (aligned.length === 0) {
    out.fail(check, `d=${keys.map((k) => k.domain).join(', ')} does not align${strict ? ' (adkim=s: the domains must be equal)' : ''}, so DMARC fails even with a valid signature`, `sign with d=${fromDomain} (dkim.domain), or send from an address @${keys[0]?.domain}`);
  } else out.pass(check, `d=${aligned[0]}${strict ? ' (strict)' : ''}`);
}

async function mxCheck(r: DoctorResolver, domain: string, out: Checks): Promise<void> {
  const name = `MX ${domain}`;
  const mx = await r.mx(domain);
  if (mx.length > 0) {
    return out.pass(name, mx.sort((a, b) => a.priority - b.priority).map((m) => `${m.priority} ${m.exchange}`).join(', '));
  }
  const fix = `publish an MX record for ${domain} so replies and bounces reach you`;
  if ((await r.addresses(domain)).length > 0) return out.warn(name, 'no MX record (mail to the From address goes to its A record)', fix);
  out.fail(name, 'no MX and no address record: the From domain cannot receive mail, and receivers reject mail from such domains', fix);
}

/** The DNS checks for one email channel. DNS failures become fail lines, never exceptions. */
export async function dnsChecks(r: DoctorResolver, c: EmailChannelConfig, returnPath?: string): Promise<CheckResult[]> {
  const out = new Checks('dns', c.id);
  const raw = fromDomainOf(c.from);
  const domain = raw === undefined ? undefined : domainToASCII(raw);
  if (!domain) {
    out.fail('From address', `"${c.from}" has no domain`, 'set from: to an address like "Site <news@example.com>"');
    return out.results;
  }
  const keys = c.dkimKeys ?? [];
  const steps: Array<[string, () => Promise<void>]> = [
    [`SPF ${domain}`, () => spfCheck(r, domain, out)],
    ...keys.map((k): [string, () => Promise<void>] => [`DKIM ${k.selector}._domainkey.${k.domain}`, () => dkimCheck(r, k, out)]),
    [`DMARC _dmarc.${domain}`, () => dmarcCheck(r, domain, keys, out)],
    [`MX ${domain}`, () => mxCheck(r, domain, out)],
  ];
  // With bounces.returnPath the envelope sender is on that domain: SPF is checked there, and its MX must take the bounces.
  const rawReturn = returnPath?.slice(returnPath.lastIndexOf('@') + 1);
  const returnDomain = rawReturn ? domainToASCII(rawReturn) : undefined;
  if (returnDomain && returnDomain.toLowerCase() !== domain.toLowerCase()) {
    steps.push([`SPF ${returnDomain}`, () => spfCheck(r, returnDomain, out)], [`MX ${returnDomain}`, () => mxCheck(r, returnDomain, out)]);
  }
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (e) {
      const message = e instanceof DnsError ? e.message : (e as Error).message;
      out.fail(name, `${message} via ${r.servers}`, 'check that the DNS servers answer (HERALD_DNS sets them)');
    }
  }
  return out.results;
}

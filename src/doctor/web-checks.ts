/**
 * The web side, live, through publicUrl as readers' mail clients reach it: https, not a
 * loopback address, RFC 8058 one-click (a POST to a doctor token, which unsubscribes no one)
 * answering 200 without a redirect, and /healthz.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { HeraldConfig } from '../config/load.ts';
import { isLoopbackHost } from '../config/email-checks.ts';
import { DOCTOR_PUBLIC_ID, unsubscribeUrl } from '../util/tokens.ts';
import { Checks, type CheckResult } from './report.ts';
import type { DoctorResolver } from './resolver.ts';

const TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  location?: string;
  body: string;
}

function send(url: URL, method: 'GET' | 'POST', r: DoctorResolver, body?: string): Promise<Answer> {
  const lookup: LookupFunction = (hostname, options, callback) => {
    r.addresses(hostname).then(
      (all) => {
        const address = all[0];
        if (address === undefined) return callback(Object.assign(new Error(`${hostname} has no address (via ${r.servers})`), { code: 'ENOTFOUND' }), '', 4);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, all.map((a) => ({ address: a, family: isIP(a) })));
        callback(null, address, isIP(address));
      },
      (e: Error) => callback(Object.assign(e, { code: 'ENOTFOUND' }), '', 4),
    );
  };
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      url,
      {
        method,
        lookup,
        timeout: TIMEOUT_MS,
        headers: {
          'user-agent': 'herald-doctor',
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4000) text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}

export async function webChecks(r: DoctorResolver, config: Pick<HeraldConfig, 'server'>, secret: string): Promise<CheckResult[]> {
  const out = new Checks('web');
  const base = new URL(config.server.publicUrl);
  const shown = config.server.publicUrlSet ? base.href : `${base.href} (the default: server.publicUrl is not set)`;
  const setIt = 'set server.publicUrl to the https address readers reach Herald at (behind your web server or proxy)';
  if (base.protocol === 'https:') out.pass('publicUrl https', shown);
  else out.fail('publicUrl https', `${shown} is not https: mail clients offer one-click unsubscribe only for https links, and forms would post in clear text`, setIt);
  if (isLoopbackHost(base.hostname)) {
    out.fail('publicUrl reachable', `${base.hostname} is this machine (loopback): every link in every email would be dead for readers`, setIt);
    return out.results;
  }
  out.pass('publicUrl reachable', `${base.hostname} is not a loopback address`);

  const oneClick = new URL(unsubscribeUrl(config.server.publicUrl, secret, DOCTOR_PUBLIC_ID));
  try {
    const a = await send(oneClick, 'POST', r, 'List-Unsubscribe=One-Click');
    if (a.status === 200) out.pass('one-click unsubscribe', `POST ${oneClick.origin}${oneClick.pathname.replace(/[^/]+$/, '…')} answered 200 without a redirect`);
    else if (a.status >= 300 && a.status < 400) {
      out.fail('one-click unsubscribe', `POST answered ${a.status} redirecting to ${a.location ?? '?'}; mail clients do not follow redirects for one-click`, 'make the proxy pass POST /unsubscribe/… to Herald unchanged (no http→https or trailing-slash redirect on that path)');
    } else {
      out.fail('one-click unsubscribe', `POST answered ${a.status}${a.status === 404 ? ' (not Herald, or a different HERALD_SECRET: the doctor token was not recognised)' : ''}`, 'make sure publicUrl reaches this Herald (herald serve / herald run) with the same HERALD_SECRET');
    }
  } catch (e) {
    out.fail('one-click unsubscribe', `POST ${oneClick.origin}: ${describeError(e)}`, 'start Herald\'s web server (herald run or herald serve) and make publicUrl reach it');
  }
  const health = new URL('healthz', config.server.publicUrl);
  try {
    const a = await send(health, 'GET', r);
    if (a.status === 200) out.pass('/healthz', `${health.href} answered 200`);
    else out.fail('/healthz', `${health.href} answered ${a.status}${a.status === 503 ? ' (Herald cannot reach its store)' : ''}`, 'check Herald\'s log and that the proxy passes /healthz');
  } catch (e) {
    out.fail('/healthz', `${health.href}: ${describeError(e)}`, 'start Herald\'s web server and make publicUrl reach it');
  }
  return out.results;
}

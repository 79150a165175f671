/**
 * The doctor's DNS: the system resolver, or the servers in HERALD_DNS
 * ("127.0.0.1:5353,[::1]:53"). Host names the doctor connects to (publicUrl, the SMTP
 * server) are resolved the same way, so a test or a staging DNS sees one consistent world.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface DoctorResolver {
  /** "system" or the servers used. */
  readonly servers: string;
  /** TXT records, each joined from its strings; [] when the name has none. */
  txt(name: string): Promise<string[]>;
  mx(name: string): Promise<{ exchange: string; priority: number }[]>;
  /** IPv4 and IPv6 addresses; [] when there are none. */
  addresses(name: string): Promise<string[]>;
  /** For mailauth: resolve(name, rrtype) like dns.promises.resolve. */
  raw(name: string, rrtype: string): Promise<unknown>;
}

const NO_DATA = new Set(['ENODATA', 'ENOTFOUND', 'ENONAME', 'NXDOMAIN']);

export class DnsError extends Error {}

export function createResolver(env: Record<string, string | undefined>): DoctorResolver {
  const list = (env.HERALD_DNS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });
  if (list.length > 0) {
    try {
      resolver.setServers(list);
    } catch (e) {
      throw new DnsError(`HERALD_DNS: expected addresses like 127.0.0.1:5353 separated by commas, got "${env.HERALD_DNS}" (${(e as Error).message})`);
    }
  }
  const empty = async <T>(p: Promise<T[]>): Promise<T[]> => {
    try {
      return await p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (NO_DATA.has(code)) return [];
      throw new DnsError(`DNS lookup failed (${code || (e as Error).message})`);
    }
  };
  return {
    servers: list.length > 0 ? list.join(', ') : 'system resolver',
    txt: async (name) => (await empty(resolver.resolveTxt(name))).map((parts) => parts.join('')),
    mx: (name) => empty(resolver.resolveMx(name)),
    async addresses(name) {
      if (isIP(name)) return [name];
      if (list.length === 0) {
        // The system's view, /etc/hosts included, as the SMTP client and browsers see it.
        try {
          return (await dns.lookup(name, { all: true })).map((a) => a.address);
        } catch {
          return [];
        }
      }
      return [...(await empty(resolver.resolve4(name))), ...(await empty(resolver.resolve6(name)))];
    },
    raw: (name, rrtype) => resolver.resolve(name, rrtype),
  };
}

/**
 * A real DNS server on loopback for tests: Debian's dnsmasq on a free port, answering only
 * the records the test gives (no upstream, no /etc/hosts); every other name under `zones`
 * is NXDOMAIN.
 *
 *   const dns = await startDnsServer({ zones: ['example.test'], txt: { 'example.test': 'v=spf1 -all' },
 *     mx: { 'example.test': 'mail.example.test' }, a: { 'mail.example.test': '127.0.0.1' } });
 *   // HERALD_DNS=dns.servers
 *   await dns.close();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';
import { createServer } from 'node:net';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface DnsRecords {
  /** Domains answered locally (names under them that have no record are NXDOMAIN). */
  zones: string[];
  /** TXT records: name → value(s), without commas; values over 255 characters are split into strings. */
  txt?: Record<string, string | string[]>;
  /** MX: domain → mail host (preference 10). */
  mx?: Record<string, string>;
  /** A records: name → IPv4 address. */
  a?: Record<string, string>;
}

export interface TestDnsServer {
  port: number;
  /** For HERALD_DNS: "127.0.0.1:PORT". */
  servers: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function split(value: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts;
}

export async function startDnsServer(records: DnsRecords): Promise<TestDnsServer> {
  const port = await freePort();
  const args = ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=', '--log-facility=-', '--quiet-dhcp'];
  if (process.getuid?.() === 0) args.push('--user=nobody', '--group=nogroup');
  for (const zone of records.zones) args.push(`--local=/${zone}/`);
  for (const [name, value] of Object.entries(records.txt ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) args.push(`--txt-record=${[name, ...split(v)].join(',')}`);
  }
  for (const [name, host] of Object.entries(records.mx ?? {})) args.push(`--mx-host=${name},${host},10`);
  for (const [name, ip] of Object.entries(records.a ?? {})) args.push(`--host-record=${name},${ip}`);
  const child: ChildProcess = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // Ready when it answers.
  const probe = new dnsPromises.Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${stderr}`);
    try {
      await probe.resolveTxt(`ready.${records.zones[0] ?? 'test'}`);
      break;
    } catch (e) {
      if (['ENOTFOUND', 'ENODATA'].includes((e as NodeJS.ErrnoException).code ?? '')) break;
      if (i > 100) throw new Error(`dnsmasq did not answer: ${(e as Error).message} ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    servers: `127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** doctor: is the email Herald sends trusted? DNS, web, SMTP and a sample, checked live. */
import type { Command } from 'commander';
import { act, EXIT, UsageError } from '../exit.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

export function registerDoctorCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('doctor')
    .description('check DNS (SPF, DKIM, DMARC, MX), the web server (one-click unsubscribe), the SMTP server and a sample email; exit 1 on any failure')
    .option('--channel <id>', 'only this email channel')
    .option('--json', 'machine-readable report')
    .option('--dns-records', 'print the DNS records to publish (SPF, DKIM from the configured keys, DMARC) instead of checking')
    .action(act(async (o: { channel?: string; json?: boolean; dnsRecords?: boolean }) =>
      withHerald(g(), async (h) => {
        // DNS, TLS and mailauth are loaded only for this command.
        const { runDoctor, doctorChannels, DoctorUsageError } = await import('../../doctor/run-doctor.ts');
        const { DnsError } = await import('../../doctor/resolver.ts');
        const { formatReport } = await import('../../doctor/report.ts');
        try {
          if (o.dnsRecords) {
            const { dnsRecords } = await import('../../doctor/dns-records.ts');
            for (const line of dnsRecords(doctorChannels(h, o.channel))) console.log(line);
            return EXIT.ok;
          }
          const report = await runDoctor(h, { channel: o.channel });
          if (o.json) console.log(JSON.stringify(report, null, 2));
          else for (const line of formatReport(report)) console.log(line);
          return report.ok ? EXIT.ok : EXIT.failed;
        } catch (e) {
          // An unknown channel or an unusable HERALD_DNS: bad usage (exit 2).
          if (e instanceof DoctorUsageError || (e instanceof DnsError && e.message.startsWith('HERALD_DNS'))) throw new UsageError(e.message);
          throw e;
        }
      }),
    ));
}

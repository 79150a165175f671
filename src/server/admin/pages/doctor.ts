/**
 * Doctor: the same report as `herald doctor`, run live when the page is opened (DNS, the web
 * server through publicUrl, the SMTP server, a sample of the next email). The doctor's code
 * is loaded on the first visit only.
 */
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../../util/secrets.ts';
import { type AdminContext, adminPage, tr } from '../context.ts';

export async function doctorPages(app: FastifyInstance, { ctx }: { ctx: AdminContext }): Promise<void> {
  const { h } = ctx;
  app.get('/admin/doctor', async (req, reply) => {
    const channel = (req.query as { channel?: unknown }).channel;
    const { runDoctor, doctorChannels } = await import('../../../doctor/run-doctor.ts');
    const { dnsRecords } = await import('../../../doctor/dns-records.ts');
    try {
      const report = await runDoctor(h, { channel: typeof channel === 'string' && channel !== '' ? channel : undefined });
      const channels = doctorChannels(h, typeof channel === 'string' && channel !== '' ? channel : undefined);
      return adminPage(ctx, req, reply, {
        template: 'doctor',
        title: tr(h, 'admin_doctor_title'),
        section: 'doctor',
        data: { report, records: dnsRecords(channels).join('\n') },
      });
    } catch (e) {
      return adminPage(ctx, req, reply, { template: 'message', title: tr(h, 'admin_doctor_title'), section: 'doctor', status: 400, data: { message: errorMessage(e) } });
    }
  });
}

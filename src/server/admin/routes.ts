import type { FastifyInstance } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';
import { dashboard } from './dashboard.ts';
import { publishHook } from './publish-hook.ts';

/** The editors' dashboard under /admin, and POST /hooks/publish (each its own Fastify context). */
export async function adminRoutes(app: FastifyInstance, opts: { h: Herald; triggerPass?: () => Promise<void> }): Promise<void> {
  await app.register(publishHook, opts);
  await app.register(dashboard, { h: opts.h });
}

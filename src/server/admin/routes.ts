import type { FastifyInstance } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';

/** The editors' dashboard under /admin, and POST /hooks/publish. */
export async function adminRoutes(_app: FastifyInstance, _opts: { h: Herald; triggerPass?: () => Promise<void> }): Promise<void> {}

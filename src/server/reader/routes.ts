import type { FastifyInstance } from 'fastify';
import type { Herald } from '../../pipeline/herald.ts';

/** Reader pages: sign-up with double opt-in, confirm, unsubscribe (RFC 8058), preferences. */
export async function readerRoutes(_app: FastifyInstance, _opts: { h: Herald }): Promise<void> {}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../util/project-root.ts';

const css = readFileSync(path.join(PROJECT_ROOT, 'templates/web/herald.css'));

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get('/assets/herald.css', async (_req, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css),
  );
}

/** herald serve (web server only) and the server half of herald run. */
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { EditorBots } from '../../bots/editor-bots.ts';
import type { Herald } from '../../pipeline/herald.ts';
import { startHeartbeat } from '../../scheduler/heartbeat.ts';
import { errorMessage } from '../../util/secrets.ts';
import { act, EXIT } from '../exit.ts';
import { type GlobalOptions, warnAboutEmailSettings, withHerald } from '../session.ts';

/** The editors' chats (loaded only when `editors:` is configured). */
export async function editorBots(h: Herald): Promise<EditorBots | undefined> {
  if (!h.config.editors) return undefined;
  const { createEditorBots } = await import('../../bots/editor-bots.ts');
  return createEditorBots(h);
}

export async function startServer(h: Herald, triggerPass: () => Promise<void>, bots?: EditorBots): Promise<FastifyInstance> {
  // Loaded only by the commands that serve, so every other command starts faster.
  const { buildServer } = await import('../../server/app.ts');
  const app = await buildServer(h, { triggerPass, ...(bots ? { editors: (a: FastifyInstance) => bots.routes(a) } : {}) });
  try {
    await app.listen({ port: h.config.server.port, host: h.config.server.host });
  } catch (e) {
    throw new Error(`the web server could not listen on ${h.config.server.host}:${h.config.server.port}: ${errorMessage(e)} (set server.port)`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : h.config.server.port;
  h.log.info(`web server on http://${h.config.server.host}:${port}/ (public URL ${h.config.server.publicUrl})`);
  return app;
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilStopped(h: Herald): { signal: AbortSignal; dispose: () => void } {
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      h.log.warn(`${sig} again: exiting now; deliveries in flight are resumed by the next run`);
      process.exit(130);
    }
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function registerServeCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run only the web server (sign-up, unsubscribe, preferences, the editors’ dashboard)')
    .action(
      act(async () =>
        withHerald(g(), async (h) => {
          // It sends confirmation emails (and the dashboard's sends): their links matter too.
          await warnAboutEmailSettings(h);
          const { runPass } = await import('../../pipeline/dispatch.ts');
          const stop = untilStopped(h);
          const bots = await editorBots(h);
          const app = await startServer(
            h,
            async () => {
              await runPass(h);
            },
            bots,
          );
          await bots?.startWebhook();
          const stopBeating = await startHeartbeat(h, 'serve');
          await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
          await stopBeating();
          await app.close();
          await bots?.close();
          stop.dispose();
          h.log.info('stopped');
          return EXIT.ok;
        }),
      ),
    );
}

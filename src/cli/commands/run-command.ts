import type { Command } from 'commander';
import { act, EXIT } from '../exit.ts';
import { type GlobalOptions, warnAboutEmailSettings, withHerald } from '../session.ts';
import { editorBots, startServer, untilStopped } from './serve-command.ts';

export function registerRunCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('run')
    .description('run Herald: watch the content, post new articles, send digests on schedule, serve the web pages (Ctrl-C stops cleanly)')
    .option('--no-server', 'do not start the web server')
    .action(
      act(async (o: { server: boolean }) =>
        withHerald(g(), async (h) => {
          const { runDaemon } = await import('../../scheduler/daemon.ts');
          await warnAboutEmailSettings(h);
          // The server starts first: a port in use stops `run` at once (exit 1) instead of
          // leaving readers' unsubscribe links dead.
          let trigger: (() => Promise<void>) | undefined;
          const bots = await editorBots(h);
          const app = o.server ? await startServer(h, async () => trigger?.(), bots) : undefined;
          const stop = untilStopped(h);
          try {
            // Editors' commands never hold up the scheduler: a chat that is down is only logged.
            await bots?.start(stop.signal, { server: app !== undefined });
            await runDaemon(h, {
              signal: stop.signal,
              expose: (t) => {
                trigger = t;
              },
            });
          } finally {
            await app?.close();
            await bots?.close();
            stop.dispose();
          }
          h.log.info('stopped');
          return EXIT.ok;
        }),
      ),
    );

  program
    .command('worker')
    .description('send only (no scan, no planning, no web server): more sending capacity next to `herald run` on a PostgreSQL store')
    .action(
      act(async () =>
        withHerald(g(), async (h) => {
          const { runDaemon } = await import('../../scheduler/daemon.ts');
          const stop = untilStopped(h);
          try {
            await runDaemon(h, { signal: stop.signal, role: 'worker' });
          } finally {
            stop.dispose();
          }
          h.log.info('stopped');
          return EXIT.ok;
        }),
      ),
    );
}

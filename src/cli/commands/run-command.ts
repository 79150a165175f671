import type { Command } from 'commander';
import { runDaemon } from '../../scheduler/daemon.ts';
import { act, EXIT } from '../exit.ts';
import { type GlobalOptions, withHerald } from '../session.ts';

export function registerRunCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('run')
    .description('run Herald: watch the content, post new articles, send digests on schedule (Ctrl-C stops cleanly)')
    .action(act(async () =>
      withHerald(g(), async (h) => {
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
        try {
          await runDaemon(h, { signal: stop.signal });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        h.log.info('stopped');
        return EXIT.ok;
      }),
    ));
}

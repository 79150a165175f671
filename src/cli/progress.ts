/** A progress bar on stderr for long sends and imports, only in a terminal. */
import cliProgress from 'cli-progress';

export interface Progress {
  tick: () => void;
  /** Set the count done so far. */
  update: (done: number) => void;
  stop: () => void;
  /** False when no bar is shown (not a terminal, or too little to do). */
  readonly shown: boolean;
}

export function progressFor(total: number, label = 'sending'): Progress {
  if (!process.stderr.isTTY || total < 50) return { tick: () => {}, update: () => {}, stop: () => {}, shown: false };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} {eta_formatted} left`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), update: (done) => bar.update(done), stop: () => bar.stop(), shown: true };
}

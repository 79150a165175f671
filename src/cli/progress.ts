/** A progress bar on stderr for long sends, only in a terminal. */
import cliProgress from 'cli-progress';

export function progressFor(total: number): { tick: () => void; stop: () => void } {
  if (!process.stderr.isTTY || total < 50) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'sending [{bar}] {value}/{total} {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

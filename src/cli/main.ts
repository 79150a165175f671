/** The `herald` command line. Exit codes: 0 all good, 1 something failed, 2 bad usage or config. */
import { Command, CommanderError } from 'commander';
import { useDaemonHeapPolicy } from '../util/heap-policy.ts';
import { addPhaseTime, enableProfile, profileReport, profiling } from '../util/profile.ts';
import { errorMessage } from '../util/secrets.ts';
import { registerBouncesCommand } from './commands/bounces-command.ts';
import { registerDoctorCommand } from './commands/doctor-command.ts';
import { registerEditorCommands } from './commands/editor-commands.ts';
import { registerInspectCommands } from './commands/inspect-commands.ts';
import { registerPreviewCommand } from './commands/preview-command.ts';
import { registerRunCommand } from './commands/run-command.ts';
import { registerServeCommand } from './commands/serve-command.ts';
import { registerSendCommands } from './commands/send-commands.ts';
import { registerStoreCommands } from './commands/store-command.ts';
import { registerSubscribersCommand } from './commands/subscribers-command.ts';
import { EXIT, outcome, UsageError } from './exit.ts';
import type { GlobalOptions } from './session.ts';

export function buildProgram(): { program: Command; exitCode: () => number } {
  const program = new Command('herald')
    .description('Herald: posts new articles of a markdown site to email, Telegram and Discord')
    .option('-c, --config <file>', 'config file (default: $HERALD_CONFIG, else config/herald.yaml)')
    .option('--log-level <level>', 'trace, debug, info, warn, error (default: $HERALD_LOG_LEVEL or info)')
    .option('--profile', 'print where the command spent its time (start-up, scan, plan, render, send) to stderr; also HERALD_PROFILE=1')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ outputError: (s, write) => write(s) });
  const g = () => program.opts<GlobalOptions>();
  registerInspectCommands(program, g);
  registerSendCommands(program, g);
  registerEditorCommands(program, g);
  registerPreviewCommand(program, g);
  registerSubscribersCommand(program, g);
  registerBouncesCommand(program, g);
  registerRunCommand(program, g);
  registerServeCommand(program, g);
  registerDoctorCommand(program, g);
  registerStoreCommands(program, g);
  for (const c of program.commands) c.exitOverride();
  return { program, exitCode: () => outcome.code };
}

const LONG_RUNNING = new Set(['run', 'serve']);
/** The program's own options that take a value (see buildProgram). */
const VALUE_OPTIONS = new Set(['-c', '--config', '--log-level']);

/** The subcommand's name in `node herald [options] <command> …`, if any. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1];
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * `herald articles --json | head`: the reader has gone. Not an error worth a stack trace, and
 * not a reason to stop the command half-way (a send goes on to the end); what it prints goes
 * nowhere.
 */
function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  // --profile is taken anywhere before a `--` (before or after the subcommand), so it is
  // handled here; the program's option only documents it.
  const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--');
  const args = argv.filter((a, i) => !(a === '--profile' && i >= 2 && i < end));
  if (process.env.HERALD_PROFILE === '1' || args.length < argv.length) {
    enableProfile();
    // Node's own start and loading the CLI: from the process start to here. Read only when
    // profiling: the `performance` global loads perf_hooks (~2 ms) on first use.
    addPhaseTime('start-up', performance.now());
  }
  ignoreClosedOutput();
  // Before the command's modules load: the young generation grows while they do.
  if (LONG_RUNNING.has(commandOf(args) ?? '')) useDaemonHeapPolicy();
  const { program, exitCode } = buildProgram();
  let code: number;
  try {
    await program.parseAsync(args);
    code = exitCode();
  } catch (e) {
    // Loaded only when it may be one: the config loader is not needed for `--help`.
    const { ConfigError } = e instanceof Error && e.name === 'ConfigError' ? await import('../config/load.ts') : { ConfigError: undefined };
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (ConfigError && e instanceof ConfigError) {
      console.error(errorMessage(e));
      code = EXIT.usage;
    } else if (e instanceof UsageError) {
      console.error(`herald: ${errorMessage(e)}`);
      code = EXIT.usage;
    } else {
      console.error(`herald: ${errorMessage(e)}`);
      if (process.env.HERALD_DEBUG) console.error(e);
      code = EXIT.failed;
    }
  }
  if (profiling()) console.error(profileReport(performance.now()));
  return code;
}

import { describe, expect, it } from 'vitest';
import { commandOf } from '../../src/cli/main.ts';

describe('commandOf', () => {
  it("finds the subcommand after the program's options, with or without their values", () => {
    expect(commandOf(['node', 'herald', 'run'])).toBe('run');
    expect(commandOf(['node', 'herald', '--config', 'run', 'status'])).toBe('status');
    expect(commandOf(['node', 'herald', '-c', 'x.yaml', '--log-level', 'debug', '--profile', 'serve', '--port', '1'])).toBe('serve');
    expect(commandOf(['node', 'herald', '--config=run.yaml', 'articles'])).toBe('articles');
    expect(commandOf(['node', 'herald', '--help'])).toBeUndefined();
  });
});

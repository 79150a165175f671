/**
 * The guild's /herald command with one subcommand per editors' command, written with a
 * bulk overwrite on every `herald run` (so registering again changes nothing). Channel
 * options offer the configured channels as choices.
 */
import type { ChannelConfig } from '../../pipeline/channel-kinds.ts';
import { COMMANDS } from '../commands.ts';

const SUB_COMMAND = 1;
const STRING = 3;
const INTEGER = 4;

export function heraldCommand(channels: readonly ChannelConfig[]): unknown {
  // Discord offers at most 25 choices; with more channels the option is free text (checked when run).
  const choices = (only?: (c: ChannelConfig) => boolean) => {
    const list = channels.filter((c) => !only || only(c));
    return list.length > 0 && list.length <= 25 ? { choices: list.map((c) => ({ name: c.id, value: c.id })) } : {};
  };
  return {
    name: 'herald',
    description: 'Steer Herald: status, articles, why, preview, send, digest, retry, hold, release',
    type: 1,
    contexts: [0],
    options: COMMANDS.map((c) => ({
      type: SUB_COMMAND,
      name: c.name,
      description: c.summary.slice(0, 100),
      options: c.args.map((a) => ({
        type: a.name === 'n' ? INTEGER : STRING,
        name: a.name,
        description: a.description.slice(0, 100),
        required: a.required,
        ...(a.name === 'n' ? { min_value: 1, max_value: 50 } : {}),
        ...(a.name === 'channel' ? choices(c.name === 'digest' ? (x) => x.type === 'email' && x.mode === 'digest' : undefined) : {}),
      })),
    })),
  };
}

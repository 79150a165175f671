/**
 * POST <publicUrl>/hooks/discord/interactions: Discord's interactions endpoint. Every request
 * is verified (Ed25519; a bad or missing signature: 401); PING is answered; commands and
 * button presses from anyone but the listed users or roles get a short refusal. Commands are
 * answered "thinking…" at once (deferred) and then completed by editing that answer and with
 * follow-ups, so a slow command never misses Discord's 3-second limit.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RawFile } from 'discord.js';
import type { Herald } from '../../pipeline/herald.ts';
import type { Actor } from '../../store/types.ts';
import { errorMessage } from '../../util/secrets.ts';
import { pressButton } from '../button-actions.ts';
import { type BotContext, type CommandArgs, COMMANDS, runCommand } from '../commands.ts';
import type { DiscordEditorsConfig } from '../editors-config.ts';
import { DISCORD_CONTENT_LIMIT, discordLine, type Reply, splitMessages } from '../reply.ts';
import { components, type DiscordEditorClient, type DiscordMessageBody } from './discord-client.ts';
import { discordPublicKey, verifyInteraction } from './verify.ts';

export const DISCORD_HOOK_PATH = '/hooks/discord/interactions';
const EPHEMERAL = 64;
export const DISCORD_REFUSAL = 'Sorry, only Herald’s editors can do that.';

interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
}

interface Interaction {
  id: string;
  type: number;
  token: string;
  application_id?: string;
  guild_id?: string;
  channel_id?: string;
  member?: { user: DiscordUser; roles?: string[] };
  user?: DiscordUser;
  data?: { name?: string; options?: Array<{ name: string; type: number; value?: unknown; options?: Array<{ name: string; value?: unknown }> }>; custom_id?: string };
}

export interface InteractionsOptions {
  h: Herald;
  cfg: DiscordEditorsConfig;
  client: DiscordEditorClient;
  /** Work still running after its answer was sent, so a shutdown can wait for it. */
  track(p: Promise<void>): void;
}

function actorOf(u: DiscordUser): Actor {
  return { name: u.global_name || u.username || u.id, id: u.id, via: 'discord' };
}

/** Replies as Discord messages: text within 2000 characters a message; files and embeds attached. */
export function discordMessages(r: Reply): Array<{ body: DiscordMessageBody; files?: RawFile[] }> {
  const flags = r.ephemeral ? EPHEMERAL : undefined;
  const chunks = splitMessages(r.lines, discordLine, DISCORD_CONTENT_LIMIT);
  const out: Array<{ body: DiscordMessageBody; files?: RawFile[] }> = chunks.map((content, i) => ({
    body: { content, ...(flags ? { flags } : {}), ...(i === chunks.length - 1 ? { components: components(r.buttons) } : { components: [] }) },
  }));
  const last = out[out.length - 1]!;
  if (r.file) last.files = [{ name: r.file.name, data: r.file.data, contentType: r.file.contentType }];
  if (r.post && 'discord' in r.post) {
    const p = r.post.discord;
    out.push({ body: { ...(p.content ? { content: p.content } : {}), embeds: p.embeds, flags: EPHEMERAL } });
  }
  return out;
}

export function discordInteractionsRoute(o: InteractionsOptions) {
  const { h, cfg, client } = o;
  const key = discordPublicKey(cfg.publicKey);

  const isEditor = (i: Interaction): DiscordUser | undefined => {
    const user = i.member?.user ?? i.user;
    if (!user) return undefined;
    if (i.guild_id !== undefined && i.guild_id !== cfg.guildId) return undefined;
    if (cfg.users.includes(user.id)) return user;
    const roles = i.member?.roles ?? [];
    return roles.some((r) => cfg.roles.includes(r)) ? user : undefined;
  };

  /** Sends the answers of a deferred command: the first message edits the "thinking…" one. */
  async function answer(token: string, replies: Reply[]): Promise<void> {
    let first = true;
    for (const r of replies) {
      for (const m of discordMessages(r)) {
        if (first) await client.editOriginal(token, m.body, m.files);
        else await client.followUp(token, m.body, m.files);
        first = false;
      }
    }
  }

  async function runLater(reply: FastifyReply, what: string, work: () => Promise<void>): Promise<void> {
    // Only after Discord has our first answer may the interaction's webhook be used.
    await new Promise<void>((resolve) => {
      if (reply.raw.writableFinished) resolve();
      else {
        reply.raw.once('finish', () => resolve());
        reply.raw.once('close', () => resolve());
      }
    });
    try {
      await work();
    } catch (e) {
      h.log.error(`editors: Discord ${what} failed: ${errorMessage(e)}`);
    }
  }

  return async (app: FastifyInstance): Promise<void> => {
    // The signature covers the body exactly as sent: keep it as text.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    app.post(DISCORD_HOOK_PATH, async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const sig = req.headers['x-signature-ed25519'];
      const ts = req.headers['x-signature-timestamp'];
      const check = verifyInteraction(key, typeof sig === 'string' ? sig : undefined, typeof ts === 'string' ? ts : undefined, body);
      if (!check.ok) {
        h.log.warn(`editors: rejected a Discord interaction from ${req.ip}: ${check.why}`);
        return reply.code(401).send({ error: 'invalid request signature' });
      }
      let i: Interaction;
      try {
        i = JSON.parse(body) as Interaction;
      } catch {
        return reply.code(400).send({ error: 'expected a JSON interaction' });
      }
      if (i.type === 1) return reply.send({ type: 1 });
      if (i.type !== 2 && i.type !== 3) return reply.code(400).send({ error: `interaction type ${i.type} is not handled` });

      const user = isEditor(i);
      if (!user) {
        const who = i.member?.user ?? i.user;
        h.log.warn(`editors: refused a Discord ${i.type === 2 ? 'command' : 'button'} from user ${who?.id ?? '?'}${who?.username ? ` (${who.username})` : ''} in guild ${i.guild_id ?? '(direct message)'}: not an editor`);
        return reply.send({ type: 4, data: { content: DISCORD_REFUSAL, flags: EPHEMERAL, allowed_mentions: { parse: [] } } });
      }
      const ctx: BotContext = { h, actor: actorOf(user), platform: 'discord' };

      if (i.type === 3) {
        const data = i.data?.custom_id ?? '';
        o.track(
          runLater(reply, 'button', async () => {
            const result = await pressButton(ctx, data);
            // The pressed message becomes the outcome (its first part; its buttons replaced).
            const [m] = result.edit ? discordMessages(result.edit) : [];
            if (result.edit && m) await client.editOriginal(i.token, { ...m.body, components: components(result.edit.buttons) });
            if (!result.acted) await client.followUp(i.token, { content: result.toast, flags: EPHEMERAL });
          }),
        );
        // The pressed message is edited when the action is done.
        return reply.send({ type: 6 });
      }

      const sub = i.data?.options?.[0];
      const name = sub?.name ?? '';
      const spec = COMMANDS.find((c) => c.name === name);
      const args: CommandArgs = {};
      for (const opt of sub?.options ?? []) if (opt.value !== undefined && ['article', 'channel', 'n'].includes(opt.name)) args[opt.name as keyof CommandArgs] = String(opt.value);
      h.log.info(`editors: /herald ${name} ${Object.values(args).join(' ')} by ${ctx.actor.name} (discord)`);
      o.track(runLater(reply, `/herald ${name}`, async () => answer(i.token, await runCommand(ctx, name, args, '/herald '))));
      return reply.send({ type: 5, data: { flags: spec?.ephemeral ? EPHEMERAL : 0 } });
    });
  };
}

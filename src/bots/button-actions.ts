/**
 * What a button press does, the same on every platform: approval cards (Send now / Hold /
 * Skip) decide the approval, whose cards are then edited everywhere; confirmations ("Send X
 * to Y?", "Send the digest now?") are used once and carried out through the same pipeline
 * paths as the CLI. A forged or stale button does nothing.
 */
import { decideApproval, type DecisionAction, describeTarget, lastDecision } from '../pipeline/approval.ts';
import { type PassResult, runPass } from '../pipeline/dispatch.ts';
import { sendArticleNow } from '../pipeline/manual-send.ts';
import { actorText, clockText } from '../pipeline/why.ts';
import type { Approval } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { signButton, verifyButton } from './buttons.ts';
import { type BotContext, passLines, runLines } from './commands.ts';
import type { Line, Reply } from './reply.ts';

export interface ButtonResult {
  /** A short answer for the person who pressed (Telegram's callback toast). */
  toast: string;
  /** New content for the message the button was on (its buttons replaced by these, or removed). */
  edit?: Reply;
  /** False when nothing was done (stale, forged, decided before). */
  acted: boolean;
}

const APPROVAL_VERBS: Record<string, DecisionAction> = { as: 'send-now', ah: 'hold', ak: 'skip' };

export async function pressButton(ctx: BotContext, data: string): Promise<ButtonResult> {
  const { h, actor } = ctx;
  const check = verifyButton(h.secret, data, h.now());
  if (!check.ok) {
    h.log.warn(`editors: ${check.why} button pressed by ${actor.name} (${actor.via}${actor.id ? ` ${actor.id}` : ''}); ignored`);
    return { toast: check.why === 'expired' ? 'This button has expired (buttons work for 24 hours).' : 'This button is not valid.', acted: false };
  }
  try {
    const action = APPROVAL_VERBS[check.verb];
    if (action) return await approvalButton(ctx, check.id, action);
    return await confirmationButton(ctx, check.id, check.verb === 'ok');
  } catch (e) {
    const reason = errorMessage(e);
    h.log.error(`editors: a button pressed by ${actor.name} failed: ${reason}`);
    return { toast: `Failed: ${reason}`.slice(0, 190), acted: false, edit: { lines: [`⚠️ Failed: ${reason}`] } };
  }
}

async function approvalButton(ctx: BotContext, id: number, action: DecisionAction): Promise<ButtonResult> {
  const { h, actor } = ctx;
  const a = await h.store.getApproval(id);
  if (!a) return { toast: 'This approval no longer exists.', acted: false };
  if (a.kind === 'digest' && action === 'send-now') return digestSendNow(ctx, a);
  const r = await decideApproval(h, id, action, actor);
  if (r.outcome === 'done') {
    if (r.run) return { toast: `Sent: ${r.run.sent} sent${r.run.failed ? `, ${r.run.failed} failed` : ''}`, acted: true };
    return { toast: { 'send-now': 'Released: it goes out when it is due', hold: 'Held', skip: 'Skipped', release: 'Released: it goes out when it is due' }[action], acted: true };
  }
  if (r.outcome === 'already') return { toast: alreadyText(ctx, r.approval), acted: false };
  if (r.outcome === 'refused') return { toast: `Not done: ${r.reason}`.slice(0, 190), acted: false };
  return { toast: 'This approval no longer exists.', acted: false };
}

function alreadyText(ctx: BotContext, a: Approval): string {
  const last = lastDecision(a);
  const who = last ? ` by ${actorText(last.actor)} at ${clockText(ctx.h, last.at)}` : '';
  const state = { awaiting: 'still awaiting approval', held: 'already held', released: 'already released', skipped: 'already skipped' }[a.status];
  return `Nothing done: ${describeTarget(a)} is ${state}${who}.`;
}

/** A digest card's Send now: the decision, then the digest made and sent at once (`herald digest`). */
async function digestSendNow(ctx: BotContext, a: Approval): Promise<ButtonResult> {
  const { h, actor } = ctx;
  const r = await decideApproval(h, a.id, 'send-now', actor, { deliver: false });
  if (r.outcome !== 'done') return { toast: r.outcome === 'already' ? alreadyText(ctx, r.approval) : 'Nothing done.', acted: false };
  const pass = await sendDigest(ctx, a.channelId);
  const d = pass.digests.find((x) => x.channelId === a.channelId);
  return { toast: d?.digest ? `Digest sent to ${d.recipients} subscriber(s)` : 'Nothing was waiting: no email.', acted: true };
}

async function sendDigest(ctx: BotContext, channelId: string): Promise<PassResult> {
  return runPass(ctx.h, { channels: [channelId], forceDigest: channelId, actor: ctx.actor, maxInRunWaitMs: 15_000 });
}

async function confirmationButton(ctx: BotContext, id: number, confirm: boolean): Promise<ButtonResult> {
  const { h, actor } = ctx;
  const who = actorText(actor);
  const taken = await h.store.takeChatAction(id, who, h.now());
  if (!taken) {
    const was = await h.store.getChatAction(id);
    return { toast: was?.usedBy ? `Already answered by ${was.usedBy}.` : 'This question no longer exists.', acted: false };
  }
  if (!confirm) return { toast: 'Cancelled', acted: true, edit: { lines: [`Cancelled by ${who}.`] } };
  const channel = h.channel(String(taken.data.channel));
  if (!channel) return { toast: `No channel ${String(taken.data.channel)}`, acted: false, edit: { lines: [`Not sent: channel ${String(taken.data.channel)} is no longer configured.`] } };

  if (taken.kind === 'digest') {
    const pass = await sendDigest(ctx, channel.id);
    const lines = passLines(pass);
    const d = pass.digests.find((x) => x.channelId === channel.id);
    return {
      toast: d?.digest ? 'Digest sent' : 'No digest made',
      acted: true,
      edit: { lines: [`Digest of ${channel.id}: sent now by ${who}.`, ...(lines.length ? lines : ['Nothing was waiting: no email.'])] },
    };
  }

  const articleId = String(taken.data.articleId);
  const force = taken.data.force === true;
  const r = await sendArticleNow(h, channel, articleId, force, actor);
  const again = async (why: Line): Promise<ButtonResult> => {
    const next = await h.store.createChatAction('send', { articleId, channel: channel.id, force: true }, h.now());
    return {
      toast: 'Confirm once more',
      acted: true,
      edit: {
        lines: [why, 'Send it anyway?'],
        buttons: [
          { label: 'Send anyway', data: signButton(h.secret, 'ok', next, h.now()), style: 'danger' },
          { label: 'Cancel', data: signButton(h.secret, 'no', next, h.now()), style: 'secondary' },
        ],
      },
    };
  };
  switch (r.outcome) {
    case 'not-found':
      return { toast: 'Not found', acted: false, edit: { lines: [`Not sent: ${articleId} ${r.problem ? `cannot be read: ${r.problem}` : 'is no longer in content.dir'}.`] } };
    case 'already-sent':
      return again(`${articleId} was already sent to ${channel.id}${r.at ? ` at ${clockText(h, r.at)}` : ''}.`);
    case 'not-published':
      return again(`${articleId} is ${r.status}, not published.`);
    case 'no-recipients':
      return { toast: 'No recipients', acted: true, edit: { lines: [`${articleId}: no subscriber of ${channel.id} matches its topics; nothing sent.`] } };
    case 'ran': {
      const ok = r.run.failed === 0 && !r.run.gaveUp && !r.run.paused;
      return {
        toast: ok ? 'Sent' : 'Problems: see the message',
        acted: true,
        edit: { lines: [`${force ? 'Sent again' : 'Sent'} by ${who}: ${articleId} → ${channel.id}.`, ...runLines(r.run)] },
      };
    }
  }
}

/**
 * Bounce and complaint rates per email channel, for its last digest (or last email of an
 * `each` channel's latest article) and the last 30 days, with the warnings mailbox providers'
 * limits call for: Gmail and Yahoo want spam complaints well under 0.3% (0.1% is the
 * recommended ceiling), and a bounce rate over 2% marks a list as poorly kept.
 */
import type { Herald } from '../pipeline/herald.ts';
import type { BounceStats } from '../store/types.ts';

export const COMPLAINT_WARN = 0.001;
export const BOUNCE_WARN = 0.02;
export const RATE_WINDOW_MS = 30 * 86_400_000;

export interface Rates extends BounceStats {
  bounceRate: number;
  complaintRate: number;
}

export interface ChannelRates {
  channelId: string;
  lastDigest?: Rates & { digestId: number };
  last30Days: Rates;
  /** Said in words, for `herald status` and the dashboard. */
  warnings: string[];
}

function rates(s: BounceStats): Rates {
  return { ...s, bounceRate: s.sent === 0 ? 0 : s.bounced / s.sent, complaintRate: s.sent === 0 ? 0 : s.complained / s.sent };
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;
}

function warn(channelId: string, scope: string, r: Rates): string[] {
  const out: string[] = [];
  if (r.complaintRate > COMPLAINT_WARN) {
    out.push(`${channelId}: complaint rate ${percent(r.complaintRate)} ${scope} (${r.complained} of ${r.sent}) is over ${percent(COMPLAINT_WARN)}: mailbox providers start filtering or rejecting the list`);
  }
  if (r.bounceRate > BOUNCE_WARN) {
    out.push(`${channelId}: bounce rate ${percent(r.bounceRate)} ${scope} (${r.bounced} of ${r.sent}) is over ${percent(BOUNCE_WARN)}: check where these addresses came from`);
  }
  return out;
}

export async function channelRates(h: Herald): Promise<ChannelRates[]> {
  const out: ChannelRates[] = [];
  const since = new Date(h.now().getTime() - RATE_WINDOW_MS);
  for (const c of h.config.channels) {
    if (c.type !== 'email') continue;
    const last30Days = rates(await h.store.bounceStats(c.id, { since }));
    const latest = (await h.store.recentDeliveries({ channelId: c.id, limit: 1 }))[0];
    const lastDigest = latest?.digestId === undefined ? undefined : { ...rates(await h.store.bounceStats(c.id, { digestId: latest.digestId })), digestId: latest.digestId };
    const warnings = [...warn(c.id, 'in the last 30 days', last30Days), ...(lastDigest ? warn(c.id, `in digest #${lastDigest.digestId}`, lastDigest) : [])];
    out.push({ channelId: c.id, ...(lastDigest ? { lastDigest } : {}), last30Days, warnings });
  }
  return out;
}

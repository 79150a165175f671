/**
 * Discord webhook URLs: https://discord.com/api/webhooks/<id>/<token>, also the
 * discordapp.com / ptb. / canary. hosts and an explicit /api/v10/. Other hosts
 * (a self-hosted proxy, a test server) are accepted too: the id and token are
 * read from the end of the path, and the API root from what comes before.
 */
export interface WebhookTarget {
  id: string;
  token: string;
  /** REST base to use for this webhook when none is configured. */
  apiRoot: string;
}

export const DISCORD_API_ROOT = 'https://discord.com/api';

const DISCORD_HOSTS = /^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/i;
const WEBHOOK_PATH = /^(.*?)(?:\/v\d+)?\/webhooks\/(\d{5,25})\/([A-Za-z0-9_.-]{10,})\/?$/;

export function parseWebhookUrl(value: string): WebhookTarget | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const m = WEBHOOK_PATH.exec(url.pathname);
  if (m === null) return undefined;
  const [, prefix = '', id = '', token = ''] = m;
  if (DISCORD_HOSTS.test(url.hostname)) {
    // A token sent over plain http to Discord would be readable on the way.
    return url.protocol === 'https:' ? { id, token, apiRoot: DISCORD_API_ROOT } : undefined;
  }
  return { id, token, apiRoot: `${url.origin}${prefix}` };
}

/**
 * Bounces at send time: the SMTP server refused one recipient (RCPT or DATA reply). The
 * reply is classified (classify.ts) and recorded against the delivery like any other
 * bounce, so a hard one suppresses the address before the next email is planned.
 * A server that is unreachable, rejects the sender or rate limits is no bounce.
 */
import { isDeliveryError } from '../channels/errors.ts';
import type { Herald } from '../pipeline/herald.ts';
import type { Delivery } from '../store/types.ts';
import { errorMessage } from '../util/secrets.ts';
import { classifyReply, enhancedCode } from './classify.ts';
import { recordReport } from './record.ts';

export async function recordSendBounce(h: Herald, d: Delivery, e: unknown): Promise<void> {
  if (!isDeliveryError(e) || e.connection || e.kind === 'rate-limited' || typeof e.code !== 'number') return;
  const cause = e.cause as { response?: unknown } | undefined;
  const reply = typeof cause?.response === 'string' ? cause.response : e.message;
  const type = classifyReply({ code: e.code, text: reply });
  if (!type) return;
  try {
    await recordReport(
      h,
      {
        // One event per attempt: a retried soft bounce is kept each time (the policy counts it once per email).
        key: `smtp:${d.id}:${d.attempts}`,
        source: 'smtp',
        type,
        code: enhancedCode(reply) ?? String(e.code),
        diagnostic: reply,
        recipient: d.recipient,
      },
      { deliveryId: d.id },
    );
  } catch (err) {
    h.log.error(`${d.channelId}: could not record the bounce of delivery ${d.id}: ${errorMessage(err)}`);
  }
}

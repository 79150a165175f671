/**
 * One adapter interface for every platform. An adapter does I/O and nothing
 * else: it is handed a payload that render/ produced and reports what the
 * provider said. It never decides what to send; the pipeline does.
 */
export interface SendResult {
  /** Provider's id for what was accepted (SMTP queue id / Message-ID, Telegram message_id, Discord message id). */
  providerMessageId?: string;
  /** Something an editor should know although the send succeeded (e.g. "photo rejected, sent as text"). */
  note?: string;
}

export interface ChannelAdapter<P = unknown> {
  readonly channelId: string;
  /** 'email' | 'telegram' | 'discord' | ... */
  readonly type: string;
  /** True when this adapter writes to outbox/ instead of a real provider. */
  readonly preview: boolean;
  /** Send one payload. Throws a DeliveryError (see ./errors.ts) on failure. */
  send(payload: P): Promise<SendResult>;
  /**
   * Chat platforms: change a sent message (`messageId` as `send` reported it) into this
   * payload. `form` is what the message is now (a Telegram photo stays a photo), `newImage`
   * that its image changed. "Nothing to change" answers count as success.
   */
  edit?(messageId: string, payload: P, opts: { form: 'photo' | 'text'; newImage: boolean }): Promise<SendResult>;
  /** Chat platforms: delete a sent message. One already gone counts as success. */
  remove?(messageId: string, payload: P): Promise<void>;
  /** Release connections; pending sends finish first. */
  close(): Promise<void>;
}

/** A fully built email: the raw RFC 5322 message plus its SMTP envelope. */
export interface EmailPayload {
  kind: 'email';
  envelope: { from: string; to: string };
  /** Stable Message-ID, with angle brackets. */
  messageId: string;
  /**
   * The complete message, CRLF line endings: one Buffer, or its pieces in order (a digest's
   * shared parts are the same Buffers for every recipient: never changed, never joined to send).
   */
  raw: Buffer | readonly Buffer[];
  /** The HTML body, decoded; only used by preview adapters to write a viewable .html file. */
  html?: string;
  subject?: string;
}

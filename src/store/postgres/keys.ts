/** Names PostgreSQL processes agree on. */

/** The channel idle senders LISTEN on; the payload is the channel id ('*': any). */
export const WORK_CHANNEL = 'herald_work';

/** Advisory lock keys (one namespace for Herald: 0x4845524c = "HERL"). */
export const LOCKS = { migrate: [0x4845524c, 1], scan: [0x4845524c, 2], leader: [0x4845524c, 3] } as const;

/**
 * Names PostgreSQL processes agree on. Advisory locks and LISTEN channels belong to the whole
 * database, so each is tied to the store's schema: two Herald stores in one database (in two
 * schemas) never share a leader or wake each other.
 */
import { createHash } from 'node:crypto';

/** Lock purposes (the first key; "HERL" + n). */
const PURPOSE = { migrate: 0x4845524c, scan: 0x4845524d, leader: 0x4845524e } as const;

/** A positive 31-bit number for a schema name (the second key of its locks). */
function schemaKey(schema: string): number {
  return createHash('sha256').update(schema).digest().readUInt32BE(0) & 0x7fffffff;
}

export interface Names {
  /** [key1, key2] of each advisory lock. */
  locks: { migrate: [number, number]; scan: [number, number]; leader: [number, number] };
  /** The channel idle senders LISTEN on; the payload is the channel id ('*': any). */
  work: string;
}

export function namesFor(schema: string): Names {
  const k = schemaKey(schema);
  return {
    locks: { migrate: [PURPOSE.migrate, k], scan: [PURPOSE.scan, k], leader: [PURPOSE.leader, k] },
    work: `herald_work_${k.toString(36)}`,
  };
}

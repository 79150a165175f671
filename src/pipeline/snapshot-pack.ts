/**
 * How a scan snapshot is kept in the store: each array of records (the articles) as columns,
 * each column deflated on its own, so a reader that needs a few fields reads only those. Listing
 * 10,000 articles (`herald articles`) needs neither their summaries, nor hashes, nor taxonomies:
 * more than half of the snapshot, and V8 building ~200,000 strings and objects back was most of
 * what an unchanged listing cost.
 *
 * Exact or not at all: `unpack(pack(v))` is deeply equal to `v`, keys in the same order,
 * `undefined` values kept. A value the columns cannot carry exactly (a Date, a Map, a -0, a
 * hole) makes the whole value take V8's serializer instead, never a lossy path.
 */
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** The first byte: how the rest is laid out. */
const COLUMNS = 1;
const V8 = 2;

/** A run of bytes in the body: where, its size inflated, and how its text is encoded. */
interface Run {
  at: number;
  bytes: number;
  size: number;
  /** Latin-1 where every character fits, else UTF-16: both turn back into a string by copying (UTF-8 is ~10× slower here). */
  wide: boolean;
}

/** A column: strings joined by NUL, or a JSON array (anything else JSON carries exactly). */
type Column = { strings: Run } | { json: Run };

interface Table {
  count: number;
  /** Each distinct record shape: its keys in order, with 1 where the value is `undefined`. */
  shapes: Array<Array<[string, 0 | 1]>>;
  /** Shape of each record (JSON array of numbers). */
  shapeOf: Run;
  columns: Record<string, Column>;
}

/** A top-level value: an array of records, an array of strings, or any JSON. */
type Entry = { table: Table } | Column;

interface Header {
  /** Top-level keys in order. */
  entries: Array<[string, Entry]>;
}

const SEP = '\u0000';
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole Latin-1 range, control characters included
const NARROW = /^[\u0000-\u00ff]*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Whether JSON carries `v` exactly (no undefined, -0, NaN, holes, class instances). */
function jsonExact(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object':
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i])) return false;
        return true;
      }
      if (!isPlainObject(v)) return false;
      for (const k in v) if (k === '__proto__' || !jsonExact(v[k])) return false;
      return true;
    default:
      return false;
  }
}

/** Strings a NUL-joined run carries exactly: no NUL inside, no lone surrogate. */
function joinable(values: unknown[]): values is string[] {
  for (const v of values) if (typeof v !== 'string' || v.includes(SEP) || !(v as string & { isWellFormed(): boolean }).isWellFormed()) return false;
  return true;
}

class Body {
  private parts: Buffer[] = [];
  private length = 0;
  add(text: string): Run {
    const wide = !NARROW.test(text);
    const raw = Buffer.from(text, wide ? 'utf16le' : 'latin1');
    const bytes = deflateRawSync(raw, { level: 1 });
    const run = { at: this.length, bytes: bytes.length, size: raw.length, wide };
    this.parts.push(bytes);
    this.length += bytes.length;
    return run;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** undefined when some record cannot be carried exactly. */
function tableOf(records: Array<Record<string, unknown>>, body: Body): Table | undefined {
  const shapes: Table['shapes'] = [];
  const shapeIds = new Map<string, number>();
  // For each shape, the column each of its keys' values go to (none where the value is undefined).
  const shapeColumns: Array<Array<unknown[] | undefined>> = [];
  const shapeOf: number[] = [];
  const values = new Map<string, unknown[]>();
  for (const r of records) {
    const keys = Object.keys(r);
    let name = keys.join(SEP);
    for (let j = 0; j < keys.length; j++) if (r[keys[j] as string] === undefined) name += `${SEP}${SEP}${j}`;
    let id = shapeIds.get(name);
    if (id === undefined) {
      if (keys.includes('__proto__')) return undefined;
      id = shapes.length;
      shapes.push(keys.map((k): [string, 0 | 1] => [k, r[k] === undefined ? 1 : 0]));
      shapeColumns.push(
        keys.map((k) => {
          if (r[k] === undefined) return undefined;
          let column = values.get(k);
          if (!column) {
            column = [];
            values.set(k, column);
          }
          return column;
        }),
      );
      shapeIds.set(name, id);
    } else {
      // Keys holding a NUL could make two key lists one name: never take another shape's columns.
      const shape = shapes[id] as Array<[string, 0 | 1]>;
      if (shape.length !== keys.length || shape.some(([k], j) => k !== keys[j])) return undefined;
    }
    shapeOf.push(id);
    const columns = shapeColumns[id] as Array<unknown[] | undefined>;
    for (let j = 0; j < keys.length; j++) columns[j]?.push(r[keys[j] as string]);
  }
  const columns: Record<string, Column> = {};
  for (const [k, column] of values) {
    if (joinable(column)) columns[k] = { strings: body.add(column.join(SEP)) };
    else if (column.every(jsonExact)) columns[k] = { json: body.add(JSON.stringify(column)) };
    else return undefined;
  }
  return { count: records.length, shapes, shapeOf: body.add(JSON.stringify(shapeOf)), columns };
}

function columnsOf(value: unknown): Buffer | undefined {
  if (!isPlainObject(value)) return undefined;
  const body = new Body();
  const entries: Header['entries'] = [];
  for (const k in value) {
    const v = value[k];
    if (k === '__proto__') return undefined;
    if (Array.isArray(v) && v.length > 0 && v.every(isPlainObject)) {
      const table = tableOf(v as Array<Record<string, unknown>>, body);
      if (!table) return undefined;
      entries.push([k, { table }]);
    } else if (Array.isArray(v) && v.length > 0 && joinable(v)) {
      entries.push([k, { strings: body.add(v.join(SEP)) }]);
    } else if (jsonExact(v)) {
      entries.push([k, { json: body.add(JSON.stringify(v)) }]);
    } else {
      return undefined;
    }
  }
  const header = Buffer.from(JSON.stringify({ entries } satisfies Header));
  const start = Buffer.alloc(5);
  start[0] = COLUMNS;
  start.writeUInt32LE(header.length, 1);
  return Buffer.concat([start, header, body.bytes()]);
}

/** A value as bytes to keep: columns where it is an object of record arrays and JSON, V8's format otherwise. */
export function pack(value: unknown): Buffer {
  return columnsOf(value) ?? packWhole(value);
}

/**
 * V8's format, for a value always read whole: V8's serializer writes and reads it in one native
 * pass. A scan snapshot's inputs (3,400 paths and times for 2,000 pages): 3 ms to write and 1 ms
 * to read, against 8-15 ms and 3-5 ms as columns, in a fresh process.
 */
export function packWhole(value: unknown): Buffer {
  return Buffer.concat([Buffer.of(V8), deflateRawSync(serialize(value), { level: 1 })]);
}

function text(body: Buffer, run: Run): string {
  const raw = inflateRawSync(body.subarray(run.at, run.at + run.bytes), { chunkSize: Math.max(64, run.size) });
  return raw.toString(run.wide ? 'utf16le' : 'latin1');
}

function fromTable(t: Table, body: Buffer, only: ReadonlySet<string> | undefined): Array<Record<string, unknown>> {
  const columns = new Map<string, { values: unknown[]; next: number }>();
  for (const k in t.columns) {
    const c = t.columns[k] as Column;
    // A field not picked is neither decoded nor set (the shapes below leave it out).
    const values = only && !only.has(k) ? [] : 'strings' in c ? text(body, c.strings).split(SEP) : (JSON.parse(text(body, c.json)) as unknown[]);
    columns.set(k, { values, next: 0 });
  }
  const shapeOf = JSON.parse(text(body, t.shapeOf)) as number[];
  const shapes = only ? t.shapes.map((s) => s.filter(([k]) => only.has(k))) : t.shapes;
  const records = new Array<Record<string, unknown>>(t.count);
  for (let i = 0; i < t.count; i++) {
    const r: Record<string, unknown> = {};
    for (const [k, absent] of shapes[shapeOf[i] as number] as Array<[string, 0 | 1]>) {
      if (absent) {
        r[k] = undefined;
      } else {
        const c = columns.get(k) as { values: unknown[]; next: number };
        r[k] = c.values[c.next++];
      }
    }
    records[i] = r;
  }
  return records;
}

/**
 * What `pack` was given; throws on bytes it did not make. `pick` names, for a top-level array
 * of records, the only fields to read back (records from V8's format come back whole).
 */
export function unpack(bytes: Uint8Array, pick: Readonly<Record<string, ReadonlySet<string>>> = {}): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] === V8) {
    const body = buf.subarray(1);
    // One output chunk about the size it inflates to (~9×), not 16 KB pieces copied together afterwards.
    return deserialize(inflateRawSync(body, { chunkSize: Math.min(32 << 20, Math.max(64 << 10, body.length * 12)) }));
  }
  if (buf[0] !== COLUMNS || buf.length < 5) throw new Error('not a packed snapshot');
  const headerEnd = 5 + buf.readUInt32LE(1);
  const header = JSON.parse(buf.toString('utf8', 5, headerEnd)) as Header;
  const body = buf.subarray(headerEnd);
  const value: Record<string, unknown> = {};
  for (const [k, e] of header.entries) {
    value[k] = 'table' in e ? fromTable(e.table, body, Object.hasOwn(pick, k) ? pick[k] : undefined) : 'strings' in e ? text(body, e.strings).split(SEP) : JSON.parse(text(body, e.json));
  }
  return value;
}

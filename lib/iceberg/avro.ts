/**
 * A small Avro binary encoder and object-container-file writer (null codec), and the matching reader, enough for
 * Iceberg manifests and manifest lists. The schema is written into the header verbatim as JSON, so Iceberg's custom
 * attributes ("field-id", "element-id", "logicalType": "map") survive; readers resolve fields by those ids.
 *
 * Supported types: null, boolean, int, long, double, bytes, string, record, array, and unions of "null" and one other
 * type (the only unions Iceberg metadata uses). Values: long as bigint or a safe-integer number; bytes as Uint8Array;
 * record as an object keyed by field name; a missing (undefined) value is written as null in a union.
 */
import { randomBytes } from 'node:crypto';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'double' | 'bytes' | 'string';
export interface AvroField { name: string; type: AvroType; 'field-id'?: number; default?: null; doc?: string }
export interface AvroRecord { type: 'record'; name: string; fields: AvroField[] }
export interface AvroArray { type: 'array'; items: AvroType; 'element-id'?: number; logicalType?: 'map' }
/** A primitive with a logical type, e.g. {type: 'int', logicalType: 'date'}: encoded as its primitive. */
export interface AvroLogical { type: AvroPrimitive; logicalType: string }
export type AvroType = AvroPrimitive | AvroLogical | AvroRecord | AvroArray | AvroType[];

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Appends Avro binary values to a growing buffer. */
export class AvroEncoder {
  private buf = Buffer.alloc(1024);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  raw(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; }
  long(v: bigint | number): void {
    let n = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n)); // zigzag
    this.room(10);
    while (n >= 0x80n) { this.buf[this.len++] = Number(n & 0x7fn) | 0x80; n >>= 7n; }
    this.buf[this.len++] = Number(n);
  }
  int(v: number): void {
    if (!Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw new RangeError(`Avro int out of range: ${v}`);
    this.long(v);
  }
  double(v: number): void { this.room(8); this.buf.writeDoubleLE(v, this.len); this.len += 8; }
  boolean(v: boolean): void { this.room(1); this.buf[this.len++] = v ? 1 : 0; }
  bytes(b: Uint8Array): void { this.long(b.length); this.raw(b); }
  string(s: string): void { this.bytes(Buffer.from(s, 'utf8')); }
  result(): Buffer { return this.buf.subarray(0, this.len); }

  /** Encodes one value of the given schema. */
  value(t: AvroType, v: unknown, path = '$'): void {
    if (Array.isArray(t)) {
      const nullAt = t.indexOf('null');
      if (v === null || v === undefined) {
        if (nullAt < 0) throw new TypeError(`${path}: null for a union without null`);
        this.long(nullAt);
        return;
      }
      const at = t.findIndex((b) => b !== 'null');
      if (at < 0 || t.length > 2) throw new TypeError(`${path}: only unions of null and one type are supported`);
      this.long(at);
      this.value(t[at]!, v, path);
      return;
    }
    if (typeof t === 'object') {
      if (t.type !== 'record' && t.type !== 'array') { this.value(t.type, v, path); return; }
      if (t.type === 'record') {
        if (typeof v !== 'object' || v === null) throw new TypeError(`${path}: expected a record`);
        for (const f of t.fields) this.value(f.type, (v as Record<string, unknown>)[f.name], `${path}.${f.name}`);
        return;
      }
      if (!Array.isArray(v)) throw new TypeError(`${path}: expected an array`);
      if (v.length > 0) {
        this.long(v.length);
        v.forEach((item, i) => this.value(t.items, item, `${path}[${i}]`));
      }
      this.long(0);
      return;
    }
    switch (t) {
      case 'null': if (v !== null && v !== undefined) throw new TypeError(`${path}: expected null`); return;
      case 'boolean': if (typeof v !== 'boolean') throw new TypeError(`${path}: expected a boolean`); this.boolean(v); return;
      case 'int': if (typeof v !== 'number') throw new TypeError(`${path}: expected an int`); this.int(v); return;
      case 'long':
        if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${path}: not a safe integer: ${v}`);
        if (typeof v !== 'bigint' && typeof v !== 'number') throw new TypeError(`${path}: expected a long`);
        if (BigInt(v) !== BigInt.asIntN(64, BigInt(v))) throw new RangeError(`${path}: long out of range: ${v}`);
        this.long(v);
        return;
      case 'double': if (typeof v !== 'number') throw new TypeError(`${path}: expected a double`); this.double(v); return;
      case 'bytes': if (!(v instanceof Uint8Array)) throw new TypeError(`${path}: expected bytes`); this.bytes(v); return;
      case 'string': if (typeof v !== 'string') throw new TypeError(`${path}: expected a string`); this.string(v); return;
    }
  }
}

/**
 * An Avro object container file: header (magic, metadata map with avro.schema and avro.codec "null", sync marker),
 * then one data block holding every record. `sync` may be fixed for reproducible output (tests); it is random otherwise.
 */
export function writeContainer(schema: AvroRecord, metadata: Record<string, string>, records: unknown[], sync?: Uint8Array): Buffer {
  const marker = sync ?? randomBytes(16);
  if (marker.length !== 16) throw new RangeError('the Avro sync marker is 16 bytes');
  const e = new AvroEncoder();
  e.raw(MAGIC);
  const meta: [string, string][] = [...Object.entries(metadata), ['avro.schema', JSON.stringify(schema)], ['avro.codec', 'null']];
  e.long(meta.length);
  for (const [k, v] of meta) { e.string(k); e.bytes(Buffer.from(v, 'utf8')); }
  e.long(0);
  e.raw(marker);
  if (records.length > 0) {
    const block = new AvroEncoder();
    records.forEach((r, i) => block.value(schema, r, `record ${i}`));
    const data = block.result();
    e.long(records.length);
    e.long(data.length);
    e.raw(data);
    e.raw(marker);
  }
  return e.result();
}

/** Reads Avro binary values; longs come back as bigint, bytes as Buffer, maps-as-arrays as arrays of {key, value}. */
export class AvroDecoder {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean { return this.pos >= this.buf.length; }
  raw(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new RangeError('Avro data ends early');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  long(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.raw(1)[0]!;
      n |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new RangeError('Avro varint too long');
    }
    return BigInt.asIntN(64, (n >> 1n) ^ -(n & 1n));
  }
  value(t: AvroType): unknown {
    if (Array.isArray(t)) {
      const branch = t[Number(this.long())];
      if (branch === undefined) throw new RangeError('Avro union index out of range');
      return this.value(branch);
    }
    if (typeof t === 'object') {
      if (t.type !== 'record' && t.type !== 'array') return this.value(t.type);
      if (t.type === 'record') return Object.fromEntries(t.fields.map((f) => [f.name, this.value(f.type)]));
      const out: unknown[] = [];
      for (let n = this.long(); n !== 0n; n = this.long()) {
        if (n < 0n) { n = -n; this.long(); } // a negative count is followed by the block's byte size
        for (let i = 0n; i < n; i++) out.push(this.value(t.items));
      }
      return out;
    }
    switch (t) {
      case 'null': return null;
      case 'boolean': return this.raw(1)[0] !== 0;
      case 'int': return Number(this.long());
      case 'long': return this.long();
      case 'double': return this.raw(8).readDoubleLE(0);
      case 'bytes': return Buffer.from(this.raw(Number(this.long())));
      case 'string': return this.raw(Number(this.long())).toString('utf8');
    }
  }
}

/** Reads an object container file (null codec only): its metadata, writer schema and records. */
export function readContainer(file: Buffer): { metadata: Record<string, string>; schema: AvroType; records: unknown[] } {
  const d = new AvroDecoder(file);
  if (!d.raw(4).equals(MAGIC)) throw new Error('not an Avro object container file');
  const metadata: Record<string, string> = {};
  for (let n = d.long(); n !== 0n; n = d.long()) {
    if (n < 0n) { n = -n; d.long(); }
    for (let i = 0n; i < n; i++) { const k = d.value('string') as string; metadata[k] = (d.value('bytes') as Buffer).toString('utf8'); }
  }
  const sync = d.raw(16);
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null') throw new Error(`unsupported Avro codec ${codec}`);
  const schema = JSON.parse(metadata['avro.schema'] ?? 'null') as AvroType;
  const records: unknown[] = [];
  while (!d.done) {
    const count = d.long();
    d.long(); // block byte size
    for (let i = 0n; i < count; i++) records.push(d.value(schema));
    if (!d.raw(16).equals(sync)) throw new Error('Avro sync marker mismatch');
  }
  return { metadata, schema, records };
}

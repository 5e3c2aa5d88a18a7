import type { ByteWriter } from 'hyparquet-writer';
import type { ColumnChunk, Encoding, PageHeader, ParquetType, Statistics } from 'hyparquet';
import { ownString } from '../record/columns';

/**
 * One column of one Parquet row group, encoded as its values arrive: definition (and, in a list, repetition)
 * levels one byte per slot, values straight into bytes as the Parquet page holds them (text as UTF-8 in a
 * dictionary or PLAIN, numbers little-endian). A row group thus costs its encoded bytes in Buffers, which the
 * garbage collector never walks, instead of a JavaScript value per cell; at the end each column is one
 * dictionary page (when it pays) and one data page (v2), zstd-compressed. The page and footer structures are
 * hyparquet-writer's (writePageHeader, writeRleBitPackedHybrid, the footer); only the filling of the pages is ours:
 * its own column writer takes a JavaScript array of values per column, which costs a row group more memory and time
 * than the rows' text (bench/README.md, "Parquet").
 */

/** hyparquet-writer's page header and RLE encoder, loaded with the first Parquet file (an NDJSON lake never loads them). */
interface PageEncoders {
  writePageHeader(writer: ByteWriter, header: PageHeader): void;
  writeRleBitPackedHybrid(writer: ByteWriter, values: ArrayLike<number>, bitWidth: number): number;
  ByteWriter: new () => ByteWriter;
}
let encoders: PageEncoders | undefined;
function pages(): PageEncoders {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return (encoders ??= {
    ...(require('hyparquet-writer/src/datapage.js') as Pick<PageEncoders, 'writePageHeader'>),
    ...(require('hyparquet-writer/src/encoding.js') as Pick<PageEncoders, 'writeRleBitPackedHybrid'>),
    ByteWriter: (require('hyparquet-writer') as { ByteWriter: PageEncoders['ByteWriter'] }).ByteWriter,
  });
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * Buffers of written row groups, kept for the next row group of any file: a row group's columns need tens of
 * megabytes of room, and allocating it afresh for each one (the garbage collector counts it as external memory and
 * runs full collections for it) cost a tenth of Parquet's throughput, where a file keeping its own room between row
 * groups would hold a row group's room for every open file. Sizes are powers of two; the pool holds 8 MiB at most.
 */
class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooled = 0;
  constructor(private readonly max: number) {}

  /** A buffer of at least `min` bytes (its size class). */
  take(min: number): Buffer {
    // Small ones from Node's own slabs: a column with a value or two (a partition waiting with a row) stays small.
    if (min < MIN_BUFFER) return Buffer.allocUnsafe(Math.max(FIRST_BUFFER, 2 ** Math.ceil(Math.log2(min))));
    const size = 2 ** Math.ceil(Math.log2(min));
    const b = this.free.get(size)?.pop();
    if (b === undefined) return Buffer.allocUnsafe(size);
    this.pooled -= size;
    return b;
  }

  give(b: Buffer): void {
    const size = b.length;
    if (size < MIN_BUFFER || (size & (size - 1)) !== 0 || this.pooled + size > this.max) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(b);
    this.pooled += size;
  }
}

/** Buffers from this size up are pooled. */
const MIN_BUFFER = 4096;
const FIRST_BUFFER = 256;
const EMPTY = Buffer.alloc(0);
const POOL = new BufferPool(8 * 1024 * 1024);

/**
 * Where a column chunk's pages go: headers into `writer` (whose `offset` is the file's), page bytes handed on as they
 * are with `append`, which counts them in the offset; no copy of the compressed pages into one buffer.
 */
export interface PageOut {
  readonly writer: ByteWriter;
  append(bytes: Uint8Array): void;
}

/**
 * The memory one set of columns holds (its buffers, its dictionaries' text), kept up to date as they grow: what the
 * lake writer counts for rows that wait for a file.
 */
export interface Meter {
  bytes: number;
}

/**
 * A byte buffer that grows by doubling, its room taken from and given back to the pool. It holds nothing until its
 * first byte: a column that stays empty (most of a wide schema's, in a partition that waits with a row or two) costs
 * no room.
 */
class Bytes {
  buf: Buffer = EMPTY;
  len = 0;
  /** The room the last row group ended with: the next one starts there (from the pool) instead of growing again. */
  private last = 0;
  constructor(private readonly meter: Meter) {}

  /** Makes room for n more bytes. */
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = POOL.take(Math.max(this.buf.length * 2, this.len + n, this.last));
    this.last = 0;
    this.buf.copy(next, 0, 0, this.len);
    this.meter.bytes += next.length - this.buf.length;
    POOL.give(this.buf);
    this.buf = next;
  }

  push(b: number): void {
    if (this.len === this.buf.length) this.room(1);
    this.buf[this.len++] = b;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Empties the buffer; its room goes back to the pool, for whichever file fills next. */
  reset(): void {
    this.meter.bytes -= this.buf.length;
    this.last = this.buf.length;
    POOL.give(this.buf);
    this.buf = EMPTY;
    this.len = 0;
  }
}

const TWO_32 = 4294967296;

/** Writes a 32-bit integer little-endian at `at` (room checked by the caller): cheaper than Buffer's checked writers per value. */
function u32(buf: Buffer, at: number, v: number): void {
  buf[at] = v;
  buf[at + 1] = v >>> 8;
  buf[at + 2] = v >>> 16;
  buf[at + 3] = v >>> 24;
}

/** The values of one leaf column, as its page holds them. */
export abstract class Leaf {
  /** Definition level per slot; repetition level per slot in a list. */
  private readonly defs: Bytes;
  private reps: Bytes | undefined;
  slots = 0;
  nulls = 0;

  constructor(
    readonly type: ParquetType,
    /** The definition level of a present value: 1 for a column, 3 for a list's element. */
    readonly maxDef: number,
    repeated: boolean,
    readonly statistics: boolean,
    /** What the leaf's buffers hold, counted with its column set's. */
    protected readonly meter: Meter,
  ) {
    this.defs = new Bytes(meter);
    if (repeated) this.reps = new Bytes(meter);
  }

  /** A slot without a value, at definition level `def` (below maxDef). */
  empty(def: number, rep: number): void {
    this.defs.push(def);
    this.reps?.push(rep);
    this.slots++;
    this.nulls++;
  }

  /** A slot with a value (the subclass stores it). */
  protected present(rep: number): void {
    this.defs.push(this.maxDef);
    this.reps?.push(rep);
    this.slots++;
  }

  /** A value as the row has it (the subclass says which kinds it takes). */
  abstract put(v: unknown, rep: number): void;

  /** The values' encoding and bytes, and the dictionary's when there is one. */
  protected abstract values(): { encoding: Encoding; data: Buffer; dictionary?: { data: Buffer; count: number } };

  protected abstract minMax(): { min_value?: number | bigint; max_value?: number | bigint };

  protected abstract clear(): void;

  /**
   * Writes the column chunk (a dictionary page when the values have one, then one data page) at the writer's
   * offset; returns its footer entry. The leaf is empty again after.
   */
  write(out: PageOut, path: string[], rows: number, compress: (b: Buffer) => Buffer): ColumnChunk {
    const { writePageHeader, writeRleBitPackedHybrid, ByteWriter: Writer } = pages();
    const { writer } = out;
    const start = writer.offset;
    const { encoding, data, dictionary } = this.values();
    let uncompressed = 0;
    let dictionaryOffset: bigint | undefined;
    if (dictionary) {
      dictionaryOffset = BigInt(writer.offset);
      const packed = compress(dictionary.data);
      writePageHeader(writer, {
        type: 'DICTIONARY_PAGE',
        uncompressed_page_size: dictionary.data.length,
        compressed_page_size: packed.length,
        dictionary_page_header: { num_values: dictionary.count, encoding: 'PLAIN' },
      });
      uncompressed += writer.offset - Number(dictionaryOffset) + dictionary.data.length;
      out.append(packed);
    }
    // Data page v2: levels uncompressed and unprefixed, then the compressed values.
    const levels = new Writer();
    const repBytes = this.reps ? writeRleBitPackedHybrid(levels, this.reps.view(), 1) : 0;
    const defBytes = writeRleBitPackedHybrid(levels, this.defs.view(), bitWidth(this.maxDef));
    const dataOffset = writer.offset;
    const packed = compress(data);
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levels.offset + data.length,
      compressed_page_size: levels.offset + packed.length,
      data_page_header_v2: {
        num_values: this.slots,
        num_nulls: this.nulls,
        num_rows: rows,
        encoding,
        definition_levels_byte_length: defBytes,
        repetition_levels_byte_length: repBytes,
        is_compressed: true,
      },
    });
    uncompressed += writer.offset - dataOffset + levels.offset + data.length;
    out.append(levels.getBytes());
    out.append(packed);
    // NULLs for every column (what an Iceberg manifest counts), min and max where readers skip by them.
    const statistics: Statistics = { null_count: BigInt(this.nulls), ...(this.statistics ? this.minMax() : {}) };
    const chunk: ColumnChunk = {
      file_offset: BigInt(start),
      meta_data: {
        type: this.type,
        encodings: dictionary ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE'],
        path_in_schema: path,
        codec: 'ZSTD',
        num_values: BigInt(this.slots),
        total_uncompressed_size: BigInt(uncompressed),
        total_compressed_size: BigInt(writer.offset - start),
        data_page_offset: BigInt(dataOffset),
        ...(dictionaryOffset !== undefined ? { dictionary_page_offset: dictionaryOffset } : {}),
        statistics,
      },
    };
    this.defs.reset();
    this.reps?.reset();
    this.slots = 0;
    this.nulls = 0;
    this.clear();
    return chunk;
  }
}

function bitWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * A hash table over a text leaf's entries (their numbers; the texts are the leaf's), that finds a value by its
 * place in a longer string: a value still in its log line is looked up without a string of its own, which a Map
 * would need (and hash on every lookup, being new). Open addressing, at most half full. The hash (FNV-1a) is
 * seeded per process, so input is hard to shape into collisions; the entries' order, which is all the file shows,
 * does not depend on it.
 */
class TextDictionary {
  private slots = new Int32Array(64);
  private mask = 63;
  private hashes = new Int32Array(32);
  private count = 0;
  /** The hash of the text last looked for, and the empty slot where it would go. */
  private hash = 0;
  private free = 0;

  /** The number of the entry whose text is s[start, end), or -1 (then `add` puts it where it belongs). */
  find(entries: readonly string[], s: string, start: number, end: number): number {
    let h = HASH_SEED;
    for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    const { slots, hashes, mask } = this;
    const length = end - start;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = (slots[p] as number) - 1;
      if (e === -1) {
        this.hash = h;
        this.free = p;
        return -1;
      }
      if (hashes[e] === h) {
        const text = entries[e] as string;
        if (text.length === length && s.startsWith(text, start)) return e;
      }
    }
  }

  /** Entry i, the text `find` last looked for and did not find. */
  add(i: number): void {
    if (i === this.hashes.length) {
      const grown = new Int32Array(i * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[i] = this.hash;
    this.slots[this.free] = i + 1;
    if (++this.count * 2 > this.slots.length) this.grow();
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      let p = (this.hashes[e] as number) & mask;
      while (slots[p] !== 0) p = (p + 1) & mask;
      slots[p] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

const HASH_SEED = (Math.random() * 0x100000000) | 0;

/**
 * Text (UTF8 and JSON columns), dictionary-encoded while that pays: each row group starts with a dictionary, and
 * goes PLAIN (the dictionary's values written out, then every value as it comes) once the distinct values are more
 * than half of the values seen after the first 1,024, or pass 1 Mi characters (parquet-mr's dictionary page bound is
 * 1 MiB).
 */
export class TextLeaf extends Leaf {
  /** Dictionary-encoding: the distinct values in order of arrival, found by their text (undefined once PLAIN). */
  private dict: TextDictionary | undefined = new TextDictionary();
  private entries: string[] = [];
  private dictChars = 0;
  private indexes = NO_INDEXES;
  private count = 0;
  private plain: Bytes | undefined;
  /** The dictionary page being written. */
  private page: Bytes | undefined;

  constructor(maxDef: number, repeated: boolean, meter: Meter) {
    super('BYTE_ARRAY', maxDef, repeated, false, meter);
  }

  put(v: unknown, rep: number): void {
    const s = v as string;
    this.present(rep);
    const dict = this.dict;
    if (dict === undefined) this.append(s);
    else {
      const i = dict.find(this.entries, s, 0, s.length);
      if (i !== -1) this.index(i);
      else this.addEntry(dict, s);
    }
  }

  /**
   * The text at [start, end) of `line`, a value without escapes (Row#textSpan): looked up in the dictionary
   * without cutting it from the line, which only a new value needs.
   */
  putSpan(line: string, start: number, end: number, rep: number): void {
    this.present(rep);
    const dict = this.dict;
    if (dict === undefined) this.append(line.slice(start, end));
    else {
      const i = dict.find(this.entries, line, start, end);
      if (i !== -1) this.index(i);
      else this.addEntry(dict, line.slice(start, end));
    }
  }

  /** A value the dictionary does not have: a new entry, or the end of dictionary encoding for this row group. */
  private addEntry(dict: TextDictionary, s: string): void {
    const i = this.entries.length;
    if ((i >= 1024 && 2 * i > this.count) || this.dictChars + s.length > DICTIONARY_CHARS) {
      this.toPlain();
      this.append(s);
      return;
    }
    // Kept for the row group: not a view of the line it came from.
    const own = ownString(s);
    dict.add(i);
    this.entries.push(own);
    this.dictChars += s.length;
    // The entry's text and its place in the table, about.
    this.meter.bytes += s.length + 48;
    this.index(i);
  }

  private index(i: number): void {
    if (this.count === this.indexes.length) {
      const next = new Int32Array(Math.max(1024, this.count * 2));
      this.meter.bytes += next.byteLength - this.indexes.byteLength;
      next.set(this.indexes);
      this.indexes = next;
    }
    this.indexes[this.count++] = i;
  }

  /** A value in PLAIN: its UTF-8 length, then its bytes. */
  private append(s: string): void {
    const p = this.plain as Bytes;
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    p.room(4 + s.length * 3);
    const n = p.buf.write(s, p.len + 4, 'utf8');
    u32(p.buf, p.len, n);
    p.len += 4 + n;
  }

  private toPlain(): void {
    this.plain = new Bytes(this.meter);
    const { entries, indexes } = this;
    for (let k = 0; k < this.count; k++) this.append(entries[indexes[k] as number] as string);
    this.dict = undefined;
  }

  protected values(): { encoding: Encoding; data: Buffer; dictionary?: { data: Buffer; count: number } } {
    if (this.plain !== undefined) return { encoding: 'PLAIN', data: this.plain.view() };
    const { entries } = this;
    const dictionary = (this.page = new Bytes(this.meter));
    dictionary.room(this.dictChars * 3 + 4 * entries.length);
    for (const s of entries) {
      const n = dictionary.buf.write(s, dictionary.len + 4, 'utf8');
      dictionary.buf.writeUInt32LE(n, dictionary.len);
      dictionary.len += 4 + n;
    }
    // The indexes: their bit width in a byte, then RLE / bit-packed.
    const { ByteWriter: Writer, writeRleBitPackedHybrid } = pages();
    const w = new Writer();
    const width = bitWidth(Math.max(0, entries.length - 1));
    w.appendUint8(width);
    writeRleBitPackedHybrid(w, this.indexes.subarray(0, this.count), width);
    return { encoding: 'RLE_DICTIONARY', data: Buffer.from(w.getBytes()), dictionary: { data: dictionary.view(), count: entries.length } };
  }

  protected minMax(): object {
    return {};
  }

  protected clear(): void {
    this.meter.bytes -= this.indexes.byteLength + this.dictChars + 48 * this.entries.length;
    this.indexes = NO_INDEXES;
    this.dict = new TextDictionary();
    this.entries = [];
    this.dictChars = 0;
    this.count = 0;
    this.plain?.reset();
    this.plain = undefined;
    this.page?.reset();
    this.page = undefined;
  }
}

const NO_INDEXES = new Int32Array(0);

/** Dictionary text of a column chunk at most, in UTF-16 code units, before it goes PLAIN. */
const DICTIONARY_CHARS = 1024 * 1024;

/** INT64 values (bigint and timestamp columns), PLAIN: a safe integer as a number, anything larger as a bigint. */
export class Int64Leaf extends Leaf {
  private readonly data = new Bytes(this.meter);
  private min = Infinity;
  private max = -Infinity;
  private bigMin: bigint | undefined;
  private bigMax: bigint | undefined;

  constructor(maxDef: number, repeated: boolean, statistics: boolean, meter: Meter) {
    super('INT64', maxDef, repeated, statistics, meter);
  }

  /** A safe integer or a bigint. */
  put(v: unknown, rep: number): void {
    this.present(rep);
    const d = this.data;
    d.room(8);
    if (typeof v === 'number') {
      const hi = Math.floor(v / TWO_32);
      u32(d.buf, d.len, v - hi * TWO_32);
      u32(d.buf, d.len + 4, hi);
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    } else {
      const b = v as bigint;
      d.buf.writeBigInt64LE(b, d.len);
      if (this.bigMin === undefined || b < this.bigMin) this.bigMin = b;
      if (this.bigMax === undefined || b > this.bigMax) this.bigMax = b;
    }
    d.len += 8;
  }

  protected values(): { encoding: Encoding; data: Buffer } {
    return { encoding: 'PLAIN', data: this.data.view() };
  }

  protected minMax(): { min_value?: number | bigint; max_value?: number | bigint } {
    if (this.slots === this.nulls) return {};
    let min: number | bigint = this.min;
    let max: number | bigint = this.max;
    if (this.bigMin !== undefined && (min === Infinity || this.bigMin < BigInt(min))) min = this.bigMin;
    if (this.bigMax !== undefined && (max === -Infinity || this.bigMax > BigInt(max))) max = this.bigMax;
    return { min_value: min, max_value: max };
  }

  protected clear(): void {
    this.data.reset();
    this.min = Infinity;
    this.max = -Infinity;
    this.bigMin = undefined;
    this.bigMax = undefined;
  }
}

/** INT32 (int and smallint columns) and DOUBLE (float columns), PLAIN. */
export class NumberLeaf extends Leaf {
  private readonly data = new Bytes(this.meter);
  private readonly width: number;
  private min = Infinity;
  private max = -Infinity;

  constructor(type: 'INT32' | 'DOUBLE', maxDef: number, repeated: boolean, statistics: boolean, meter: Meter) {
    super(type, maxDef, repeated, statistics, meter);
    this.width = type === 'INT32' ? 4 : 8;
  }

  put(v: unknown, rep: number): void {
    const n = v as number;
    this.present(rep);
    const d = this.data;
    d.room(8);
    if (this.width === 4) u32(d.buf, d.len, n);
    else d.buf.writeDoubleLE(n, d.len);
    d.len += this.width;
    if (n < this.min) this.min = n;
    if (n > this.max) this.max = n;
  }

  protected values(): { encoding: Encoding; data: Buffer } {
    return { encoding: 'PLAIN', data: this.data.view() };
  }

  protected minMax(): { min_value?: number; max_value?: number } {
    // Signed zero as the spec asks: a minimum of 0 is -0, a maximum is +0.
    return this.slots === this.nulls ? {} : { min_value: this.min === 0 ? -0 : this.min, max_value: this.max === 0 ? 0 : this.max };
  }

  protected clear(): void {
    this.data.reset();
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/** BOOLEAN, PLAIN: one bit per value, the first in the lowest bit. */
export class BooleanLeaf extends Leaf {
  private readonly bits = new Bytes(this.meter);
  private count = 0;

  constructor(maxDef: number, repeated: boolean, meter: Meter) {
    super('BOOLEAN', maxDef, repeated, false, meter);
  }

  put(v: unknown, rep: number): void {
    this.present(rep);
    const at = this.count >> 3;
    if ((this.count & 7) === 0) this.bits.push(0);
    if (v === true) this.bits.buf[at] = (this.bits.buf[at] as number) | (1 << (this.count & 7));
    this.count++;
  }

  protected values(): { encoding: Encoding; data: Buffer } {
    return { encoding: 'PLAIN', data: this.bits.view() };
  }

  protected minMax(): object {
    return {};
  }

  protected clear(): void {
    this.bits.reset();
    this.count = 0;
  }
}

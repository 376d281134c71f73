import { DecodeError } from './errors.js';

/**
 * Bounds-checked big-endian reader over a Buffer slice [offset, end).
 *
 * Hot path (every request is decoded through it): reads are hand-inlined byte math rather
 * than Buffer#readInt32BE so the only bounds check is ours, against `end` (which may be
 * narrower than the buffer — e.g. a tagged field). Every length and count read from the
 * wire is checked against the bytes remaining *before* anything is allocated, so a hostile
 * 20-byte frame claiming 2^31 elements fails immediately with a DecodeError.
 *
 * Bytes and records are returned as `buf.subarray` views: never copied.
 */

const TWO_32 = 4294967296;

function truncated(need: number, have: number): DecodeError {
  return new DecodeError(`truncated input: need ${need} bytes, ${have} remaining`);
}

/**
 * Short strings (topic names, client ids, group ids) are looked up in a small table of strings
 * decoded before, so the same name in every request is one string, not a fresh one per request
 * (issue 14: per-request garbage at 40,000 requests/s). A slot is chosen by a hash of the bytes
 * and checked byte for byte; a miss decodes and replaces the slot. Only ASCII is interned.
 */
const INTERN_MAX_LENGTH = 24;
const INTERN_SLOTS = 512;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill('');

function shortString(b: Buffer, o: number, len: number): string {
  let h = len;
  for (let i = o; i < o + len; i++) {
    const c = b[i]!;
    if (c >= 0x80) return b.toString('utf8', o, o + len);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const cached = interned[slot]!;
  if (cached.length === len) {
    let i = 0;
    while (i < len && cached.charCodeAt(i) === b[o + i]) i++;
    if (i === len) return cached;
  }
  const s = b.toString('latin1', o, o + len);
  interned[slot] = s;
  return s;
}

export class Reader {
  buf: Buffer;
  offset: number;
  end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new DecodeError(`invalid reader bounds [${offset}, ${end}) over ${buf.length} bytes`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Advances past `n` bytes, returning the offset they start at. */
  private take(n: number): number {
    const o = this.offset;
    if (n > this.end - o) throw truncated(n, this.end - o);
    this.offset = o + n;
    return o;
  }

  // ---- fixed-width integers -------------------------------------------------------------

  readInt8(): number {
    const o = this.take(1);
    return (this.buf[o] << 24) >> 24;
  }

  readUInt8(): number {
    return this.buf[this.take(1)];
  }

  readBool(): boolean {
    return this.buf[this.take(1)] !== 0;
  }

  readInt16(): number {
    const o = this.take(2);
    const b = this.buf;
    return ((b[o] << 24) | (b[o + 1] << 16)) >> 16;
  }

  readUInt16(): number {
    const o = this.take(2);
    const b = this.buf;
    return (b[o] << 8) | b[o + 1];
  }

  readInt32(): number {
    const o = this.take(4);
    const b = this.buf;
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  }

  readUInt32(): number {
    return this.readInt32() >>> 0;
  }

  /**
   * int64 as a JS number. hi * 2^32 is exact and the one addition is correctly rounded, so
   * values within ±2^53 are exact and larger ones come back as the nearest double
   * (Long.MAX_VALUE → 9223372036854775808) — never a throw, never a BigInt.
   */
  readInt64(): number {
    const o = this.take(8);
    const b = this.buf;
    const hi = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
    const lo = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
    return hi * TWO_32 + lo;
  }

  readFloat64(): number {
    return this.buf.readDoubleBE(this.take(8));
  }

  /** 16 bytes, returned in Kafka's display form: base64url without padding (22 chars). */
  readUuid(): string {
    const o = this.take(16);
    return this.buf.toString('base64url', o, o + 16);
  }

  // ---- varints (protobuf style; zigzag for the signed ones) ----------------------------

  /** Up to 5 bytes, like Kafka's ByteUtils.readUnsignedVarint; result is 0..2^32-1. */
  readUnsignedVarint(): number {
    const b = this.buf;
    const end = this.end;
    let o = this.offset;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (o >= end) throw truncated(1, 0);
      const byte = b[o++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = o;
        return value >>> 0;
      }
    }
    throw new DecodeError('unsigned varint longer than 5 bytes');
  }

  readVarint(): number {
    const v = this.readUnsignedVarint();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Up to 10 bytes. Small values (the common case: record deltas) avoid BigInt. */
  readVarlong(): number {
    const b = this.buf;
    const end = this.end;
    let o = this.offset;
    let low = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (o >= end) throw truncated(1, 0);
      const byte = b[o++];
      low |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = o;
        return (low >>> 1) ^ -(low & 1);
      }
    }
    // Slow path: more than 28 bits of payload.
    let value = BigInt(low >>> 0);
    for (let shift = 28n; shift < 70n; shift += 7n) {
      if (o >= end) throw truncated(1, 0);
      const byte = b[o++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = o;
        value = BigInt.asUintN(64, value);
        return Number((value >> 1n) ^ -(value & 1n));
      }
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  // ---- strings ----------------------------------------------------------------------------

  private utf8(len: number): string {
    const o = this.take(len);
    const b = this.buf;
    if (len < INTERN_MAX_LENGTH) return shortString(b, o, len);
    return b.toString('utf8', o, o + len);
  }

  /** int16 length; -1 (null) is an error here. */
  readString(): string {
    const len = this.readInt16();
    if (len < 0) throw new DecodeError(`non-nullable string has length ${len}`);
    return this.utf8(len);
  }

  readNullableString(): string | null {
    const len = this.readInt16();
    return len < 0 ? null : this.utf8(len);
  }

  /** unsigned varint length + 1; 0 (null) is an error here. */
  readCompactString(): string {
    const len = this.readUnsignedVarint() - 1;
    if (len < 0) throw new DecodeError('non-nullable compact string is null');
    return this.utf8(len);
  }

  readCompactNullableString(): string | null {
    const len = this.readUnsignedVarint() - 1;
    return len < 0 ? null : this.utf8(len);
  }

  // ---- bytes (views, never copies) -------------------------------------------------------

  private view(len: number): Buffer {
    const o = this.take(len);
    return this.buf.subarray(o, o + len);
  }

  readBytes(): Buffer {
    const len = this.readInt32();
    if (len < 0) throw new DecodeError(`non-nullable bytes has length ${len}`);
    return this.view(len);
  }

  readNullableBytes(): Buffer | null {
    const len = this.readInt32();
    return len < 0 ? null : this.view(len);
  }

  readCompactBytes(): Buffer {
    const len = this.readUnsignedVarint() - 1;
    if (len < 0) throw new DecodeError('non-nullable compact bytes is null');
    return this.view(len);
  }

  readCompactNullableBytes(): Buffer | null {
    const len = this.readUnsignedVarint() - 1;
    return len < 0 ? null : this.view(len);
  }

  /** A raw slice of `len` bytes (no length prefix). */
  readRaw(len: number): Buffer {
    if (len < 0) throw new DecodeError(`negative length ${len}`);
    return this.view(len);
  }

  // ---- array counts ------------------------------------------------------------------------
  // `minElementSize` is the smallest encoding of one element in this version (computed by the
  // generator); a count whose elements could not possibly fit is rejected before any loop runs.

  private checkCount(count: number, minElementSize: number): number {
    if (count * minElementSize > this.end - this.offset) {
      throw new DecodeError(`array of ${count} elements cannot fit in ${this.end - this.offset} bytes`);
    }
    return count;
  }

  /** int32 count; negative (null) is an error. */
  readArrayLength(minElementSize = 1): number {
    const n = this.readInt32();
    if (n < 0) throw new DecodeError(`non-nullable array has length ${n}`);
    return this.checkCount(n, minElementSize);
  }

  /** int32 count; returns -1 for null. */
  readNullableArrayLength(minElementSize = 1): number {
    const n = this.readInt32();
    return n < 0 ? -1 : this.checkCount(n, minElementSize);
  }

  /** unsigned varint count + 1; 0 (null) is an error. */
  readCompactArrayLength(minElementSize = 1): number {
    const n = this.readUnsignedVarint() - 1;
    if (n < 0) throw new DecodeError('non-nullable compact array is null');
    return this.checkCount(n, minElementSize);
  }

  /** unsigned varint count + 1; returns -1 for null. */
  readCompactNullableArrayLength(minElementSize = 1): number {
    const n = this.readUnsignedVarint() - 1;
    return n < 0 ? -1 : this.checkCount(n, minElementSize);
  }

  // ---- tagged fields -----------------------------------------------------------------------
  //   tagged fields := count:uvarint { tag:uvarint size:uvarint data:size bytes }*

  skipTaggedFields(): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      this.readUnsignedVarint(); // tag
      this.take(this.readUnsignedVarint());
    }
  }

  /**
   * Narrows `end` to a tagged field of `size` bytes so a known tag cannot read past its own
   * data. Returns the previous end, to hand to endTaggedField.
   */
  beginTaggedField(size: number): number {
    if (size > this.end - this.offset) throw truncated(size, this.end - this.offset);
    const saved = this.end;
    this.end = this.offset + size;
    return saved;
  }

  /** Skips whatever of the tagged field was not read (unknown tags) and restores `end`. */
  endTaggedField(savedEnd: number): void {
    this.offset = this.end;
    this.end = savedEnd;
  }
}

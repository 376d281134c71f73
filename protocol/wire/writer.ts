/**
 * Growable big-endian writer that produces a list of chunks for `socket.writev`.
 *
 * Hot path (every response is encoded through it). Layout of the state:
 *
 *   chunks: [ own-bytes view | big external buffer (by reference) | own-bytes view | ... ]
 *   buf:    [ ...bytes already pushed as views... | start .. pos = current segment | free ]
 *
 * Small writes are copied into `buf`, which doubles when full (Buffer.allocUnsafe). A raw
 * buffer of RAW_REFERENCE_THRESHOLD bytes or more (Fetch records) closes the current
 * segment and is appended as its own chunk without a copy. Values are written with inlined
 * byte math; out-of-range integers wrap like a C cast instead of throwing.
 */

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** writeRaw buffers at least this large are kept by reference, not copied. */
export const RAW_REFERENCE_THRESHOLD = 4096;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start of the current (not yet pushed) segment within `buf`. */
  private start = 0;
  private readonly chunks: Buffer[] = [];
  /** Parallel to `chunks`: true for caller-owned buffers kept by reference. */
  private readonly external: boolean[] = [];
  private flushed = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.flushed + (this.pos - this.start);
  }

  /** Makes room for `n` more bytes in the current segment; returns the write position. */
  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) this.grow(n);
    return this.pos;
  }

  private grow(n: number): void {
    const used = this.pos - this.start;
    let cap = this.buf.length * 2;
    while (cap < used + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  // ---- fixed-width -----------------------------------------------------------------------

  writeInt8(v: number): void {
    const p = this.ensure(1);
    this.buf[p] = v;
    this.pos = p + 1;
  }

  writeBool(v: boolean): void {
    const p = this.ensure(1);
    this.buf[p] = v ? 1 : 0;
    this.pos = p + 1;
  }

  writeInt16(v: number): void {
    const p = this.ensure(2);
    const b = this.buf;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  writeUInt16(v: number): void {
    this.writeInt16(v);
  }

  writeInt32(v: number): void {
    const p = this.ensure(4);
    const b = this.buf;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  writeUInt32(v: number): void {
    this.writeInt32(v);
  }

  /** Safe integers take the fast path; anything else goes through BigInt, clamped to int64. */
  writeInt64(v: number): void {
    const p = this.ensure(8);
    if (Number.isSafeInteger(v)) {
      const b = this.buf;
      const hi = Math.floor(v / TWO_32);
      const lo = v - hi * TWO_32;
      b[p] = hi >>> 24;
      b[p + 1] = hi >>> 16;
      b[p + 2] = hi >>> 8;
      b[p + 3] = hi;
      b[p + 4] = lo >>> 24;
      b[p + 5] = lo >>> 16;
      b[p + 6] = lo >>> 8;
      b[p + 7] = lo;
      this.pos = p + 8;
      return;
    }
    let big: bigint;
    if (Number.isNaN(v) || typeof v !== 'number') big = 0n;
    else if (v >= 9223372036854775807) big = INT64_MAX;
    else if (v <= -9223372036854775808) big = INT64_MIN;
    else big = BigInt(Math.trunc(v));
    this.buf.writeBigInt64BE(big, p);
    this.pos = p + 8;
  }

  writeFloat64(v: number): void {
    const p = this.ensure(8);
    this.buf.writeDoubleBE(v, p);
    this.pos = p + 8;
  }

  /** Kafka display form (base64url, 22 chars) → 16 bytes. */
  writeUuid(s: string): void {
    const p = this.ensure(16);
    const n = s.length === 22 ? this.buf.write(s, p, 16, 'base64url') : 0;
    if (n !== 16) throw new Error(`invalid uuid ${JSON.stringify(s)}: expected 22 base64url chars`);
    this.pos = p + 16;
  }

  // ---- varints ---------------------------------------------------------------------------

  writeUnsignedVarint(v: number): void {
    let p = this.ensure(5);
    const b = this.buf;
    v >>>= 0;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  writeVarint(v: number): void {
    this.writeUnsignedVarint((v << 1) ^ (v >> 31));
  }

  writeVarlong(v: number): void {
    if (v >= -0x40000000 && v < 0x40000000 && Number.isInteger(v)) {
      this.writeUnsignedVarint((v << 1) ^ (v >> 31));
      return;
    }
    let big: bigint;
    if (!Number.isFinite(v)) big = Number.isNaN(v) ? 0n : v > 0 ? INT64_MAX : INT64_MIN;
    else big = BigInt(Math.trunc(v));
    if (big > INT64_MAX) big = INT64_MAX;
    if (big < INT64_MIN) big = INT64_MIN;
    let z = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    let p = this.ensure(10);
    const b = this.buf;
    while (z >= 0x80n) {
      b[p++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    b[p++] = Number(z);
    this.pos = p;
  }

  // ---- strings ---------------------------------------------------------------------------

  /**
   * Writes `s` as UTF-8 after a length prefix of `prefixBytes` (2 = int16, 1 = one-byte
   * uvarint of length+1). Short ASCII strings (topic names, client ids) are written with a
   * byte loop, avoiding two native calls; returns false (nothing written) if `s` is not short
   * ASCII so the caller takes the general path.
   */
  private shortAscii(s: string, prefixBytes: 1 | 2): boolean {
    const len = s.length;
    if (len > 126) return false;
    const p = this.ensure(len + prefixBytes);
    const b = this.buf;
    const q = p + prefixBytes;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      b[q + i] = c;
    }
    if (prefixBytes === 2) {
      b[p] = 0;
      b[p + 1] = len;
    } else {
      b[p] = len + 1;
    }
    this.pos = q + len;
    return true;
  }

  private utf8(s: string, len: number): void {
    const p = this.ensure(len);
    this.buf.write(s, p, len, 'utf8');
    this.pos = p + len;
  }

  writeString(s: string): void {
    if (this.shortAscii(s, 2)) return;
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new Error(`string of ${len} bytes exceeds the int16 length limit`);
    this.writeInt16(len);
    this.utf8(s, len);
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  writeCompactString(s: string): void {
    if (this.shortAscii(s, 1)) return;
    const len = Buffer.byteLength(s, 'utf8');
    this.writeUnsignedVarint(len + 1);
    this.utf8(s, len);
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(s);
  }

  // ---- bytes (through writeRaw: big payloads are referenced, not copied) -----------------

  writeBytes(b: Buffer): void {
    this.writeInt32(b.length);
    this.writeRaw(b);
  }

  writeNullableBytes(b: Buffer | null): void {
    if (b === null) this.writeInt32(-1);
    else this.writeBytes(b);
  }

  writeCompactBytes(b: Buffer): void {
    this.writeUnsignedVarint(b.length + 1);
    this.writeRaw(b);
  }

  writeCompactNullableBytes(b: Buffer | null): void {
    if (b === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(b);
  }

  // ---- array counts ----------------------------------------------------------------------

  /** int32 count; pass -1 for a null array. */
  writeArrayLength(n: number): void {
    this.writeInt32(n);
  }

  /** unsigned varint count + 1; pass -1 for a null array. */
  writeCompactArrayLength(n: number): void {
    this.writeUnsignedVarint(n + 1);
  }

  // ---- raw bytes, tagged fields, patching ------------------------------------------------

  writeRaw(src: Buffer): void {
    const len = src.length;
    if (len >= RAW_REFERENCE_THRESHOLD) {
      if (this.pos > this.start) {
        this.chunks.push(this.buf.subarray(this.start, this.pos));
        this.external.push(false);
        this.flushed += this.pos - this.start;
        this.start = this.pos;
      }
      this.chunks.push(src);
      this.external.push(true);
      this.flushed += len;
      return;
    }
    const p = this.ensure(len);
    const b = this.buf;
    if (len < 16) for (let i = 0; i < len; i++) b[p + i] = src[i];
    else b.set(src, p); // TypedArray#set: a plain memcpy, cheaper than Buffer#copy's checks
    this.pos = p + len;
  }

  /** Appends everything written to `other` (its chunks are referenced/copied as by writeRaw). */
  writeWriter(other: Writer): void {
    for (const c of other.toChunks()) this.writeRaw(c);
  }

  /** One tagged field: tag:uvarint, size:uvarint, then the bytes encoded into `body`. */
  writeTaggedField(tag: number, body: Writer): void {
    this.writeUnsignedVarint(tag);
    this.writeUnsignedVarint(body.length);
    this.writeWriter(body);
  }

  /** Overwrites 4 bytes at `position` (e.g. the size prefix); must lie in our own bytes. */
  setInt32At(position: number, value: number): void {
    let b: Buffer;
    let p: number;
    if (position >= this.flushed) {
      b = this.buf;
      p = this.start + (position - this.flushed);
      if (p + 4 > this.pos) throw new RangeError(`setInt32At(${position}) beyond length ${this.length}`);
    } else {
      let base = 0;
      let i = 0;
      while (base + this.chunks[i].length <= position) base += this.chunks[i++].length;
      b = this.chunks[i];
      p = position - base;
      if (this.external[i] || p + 4 > b.length) {
        throw new RangeError(`setInt32At(${position}) does not address writer-owned bytes`);
      }
    }
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
  }

  /**
   * Empties the writer for the next message, keeping its buffer. Only for a writer whose bytes
   * were copied out (copyOut), never one whose chunks were handed out as views.
   */
  reset(): void {
    this.pos = 0;
    this.start = 0;
    this.flushed = 0;
    this.chunks.length = 0;
    this.external.length = 0;
  }

  /** True when everything written is one run of the writer's own bytes (no buffer kept by reference). */
  get contiguous(): boolean {
    return this.chunks.length === 0;
  }

  /** A copy of the encoded bytes, exactly their size (contiguous writers only). */
  copyOut(): Buffer {
    if (this.chunks.length !== 0) throw new Error('Writer.copyOut: bytes are in several chunks');
    const n = this.pos - this.start;
    const out = Buffer.allocUnsafe(n);
    const b = this.buf;
    // Most responses are tens of bytes: a byte loop allocates nothing (Buffer#copy makes a view).
    if (n <= 128) for (let i = 0, p = this.start; i < n; i++) out[i] = b[p + i]!;
    else b.copy(out, 0, this.start, this.pos);
    return out;
  }

  /** The encoded bytes as a list of buffers for writev (views; not copied). */
  toChunks(): Buffer[] {
    if (this.pos === this.start) return this.chunks.slice();
    const out = this.chunks.slice();
    out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  /**
   * The encoded bytes as chunks for writev that do not depend on this writer: buffers kept by
   * reference stay as they are, the writer's own bytes (a Fetch response's headers around its
   * records) are copied into one new buffer of their exact size. The writer can then be reset and
   * reused (toChunks hands out views of its buffer, so a writer used that way must be dropped).
   * Null when its own bytes exceed `maxOwnBytes` (not worth copying).
   */
  detachChunks(maxOwnBytes: number): Buffer[] | null {
    const chunks = this.chunks;
    const external = this.external;
    const tail = this.pos - this.start;
    let own = tail;
    for (let i = 0; i < chunks.length; i++) if (!external[i]) own += chunks[i]!.length;
    if (own > maxOwnBytes) return null;
    const copy = Buffer.allocUnsafe(own);
    const out: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (external[i]) {
        out.push(c);
        continue;
      }
      c.copy(copy, at);
      out.push(copy.subarray(at, at + c.length));
      at += c.length;
    }
    if (tail > 0) {
      this.buf.copy(copy, at, this.start, this.pos);
      out.push(copy.subarray(at, at + tail));
    }
    return out;
  }

  /** The encoded bytes as one buffer (a view when there is a single chunk). */
  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(this.start, this.pos);
    return Buffer.concat(this.toChunks(), this.length);
  }
}

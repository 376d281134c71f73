// Zig-zag varints as used inside v2 records (Kafka's ByteUtils.readVarint/readVarlong).
// Values are JS numbers: int32 varints are exact; varlongs are limited to [-2^52, 2^52 - 1] (zig-zag
// value below 2^53), far beyond any timestamp delta; anything larger is rejected, never rounded.
import { corrupt } from './records-error.js';

/** A read position inside `buf`, never allowed past `end`. */
export interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
}

export function readVarint(c: Cursor): number {
  let u = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (c.pos >= c.end) throw corrupt('varint runs past the end of the record');
    const b = c.buf[c.pos++]!;
    u |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
  }
  throw corrupt('varint longer than 5 bytes');
}

const MAX_EXACT = 2 ** 53;

export function readVarlong(c: Cursor): number {
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= c.end) throw corrupt('varlong runs past the end of the record');
    const b = c.buf[c.pos++]!;
    u += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      if (u >= MAX_EXACT) throw corrupt('varlong outside the exactly representable range');
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
  }
  throw corrupt('varlong longer than 10 bytes');
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

export function sizeOfVarint(v: number): number {
  let u = zigzag32(v);
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

/** Writes `v` (int32) at `pos`, returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let u = zigzag32(v);
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

function zigzag64(v: number): number {
  if (!Number.isInteger(v) || v > 2 ** 52 - 1 || v < -(2 ** 52)) throw new RangeError(`varlong value out of range: ${v}`);
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function sizeOfVarlong(v: number): number {
  let u = zigzag64(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let u = zigzag64(v);
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

import { describe, expect, it } from 'vitest';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../../protocol/records/varint.js';
import { RecordsError } from '../../../protocol/records/records-error.js';

const cursor = (buf: Buffer) => ({ buf, pos: 0, end: buf.length });

describe('zig-zag varints', () => {
  it('int32 round trips at the edges with Kafka’s encodings', () => {
    // Known encodings from the Kafka protocol guide / protobuf zig-zag.
    const known: [number, string][] = [[0, '00'], [-1, '01'], [1, '02'], [63, '7e'], [-64, '7f'], [64, '8001'], [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f']];
    for (const [v, hex] of known) {
      const b = Buffer.alloc(5);
      const n = writeVarint(b, 0, v);
      expect(b.subarray(0, n).toString('hex')).toBe(hex);
      expect(sizeOfVarint(v)).toBe(n);
      expect(readVarint(cursor(b.subarray(0, n)))).toBe(v);
    }
  });

  it('varlong round trips timestamps and large deltas', () => {
    for (const v of [0, -1, 1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 52 - 1, -(2 ** 52)]) {
      const b = Buffer.alloc(10);
      const n = writeVarlong(b, 0, v);
      expect(sizeOfVarlong(v)).toBe(n);
      expect(readVarlong(cursor(b.subarray(0, n)))).toBe(v);
    }
  });

  it('rejects truncated and over-long encodings as corrupt', () => {
    expect(() => readVarint(cursor(Buffer.from([0x80])))).toThrow(RecordsError);
    expect(() => readVarint(cursor(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])))).toThrow(RecordsError);
    expect(() => readVarlong(cursor(Buffer.alloc(11, 0x80)))).toThrow(RecordsError);
    // 2^62 is not exactly representable as a JS number: refused rather than rounded.
    expect(() => readVarlong(cursor(Buffer.from('80808080808080808001', 'hex')))).toThrow(RecordsError);
    expect(() => writeVarlong(Buffer.alloc(10), 0, 2 ** 52)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../protocol/wire/errors.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { RAW_REFERENCE_THRESHOLD, Writer } from '../../../protocol/wire/writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const bytesOf = (f: (w: Writer) => void): string => {
  const w = new Writer(16);
  f(w);
  return w.toBuffer().toString('hex');
};

describe('varints', () => {
  const unsigned: [number, string][] = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
    [2 ** 31 - 1, 'ffffffff07'], [2 ** 32 - 1, 'ffffffff0f'],
  ];
  it.each(unsigned)('unsigned %d <-> %s', (n, h) => {
    expect(bytesOf((w) => w.writeUnsignedVarint(n))).toBe(h);
    const r = new Reader(hex(h));
    expect(r.readUnsignedVarint()).toBe(n);
    expect(r.remaining()).toBe(0);
  });

  const signed: [number, string][] = [
    [0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [63, '7e'], [-64, '7f'], [64, '8001'],
    [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
  ];
  it.each(signed)('zigzag varint %d <-> %s', (n, h) => {
    expect(bytesOf((w) => w.writeVarint(n))).toBe(h);
    expect(new Reader(hex(h)).readVarint()).toBe(n);
  });

  const longs: [number, string][] = [
    [0, '00'], [-1, '01'], [1, '02'], [2 ** 31, '8080808010'], [-(2 ** 31) - 1, '8180808010'],
    [2 ** 53 - 1, 'feffffffffffff1f'], [-(2 ** 53) + 1, 'fdffffffffffff1f'],
    [-9223372036854775808, 'ffffffffffffffffff01'],
  ];
  it.each(longs)('zigzag varlong %d <-> %s', (n, h) => {
    expect(bytesOf((w) => w.writeVarlong(n))).toBe(h);
    expect(new Reader(hex(h)).readVarlong()).toBe(n);
  });

  it('clamps varlongs beyond int64 and rejects over-long encodings', () => {
    expect(bytesOf((w) => w.writeVarlong(1e30))).toBe('feffffffffffffffff01');
    expect(() => new Reader(hex('ffffffffff01')).readUnsignedVarint()).toThrow(DecodeError);
    expect(() => new Reader(hex('ffffffffffffffffffff01')).readVarlong()).toThrow(DecodeError);
    expect(() => new Reader(hex('8080')).readUnsignedVarint()).toThrow(DecodeError);
  });
});

describe('int64', () => {
  const cases: [number, string][] = [
    [0, '0000000000000000'], [-1, 'ffffffffffffffff'], [1, '0000000000000001'],
    [2 ** 32, '0000000100000000'], [-(2 ** 32), 'ffffffff00000000'],
    [2 ** 53, '0020000000000000'], [-(2 ** 53), 'ffe0000000000000'],
    [2 ** 53 - 1, '001fffffffffffff'], [-(2 ** 53) + 1, 'ffe0000000000001'],
    [-9223372036854775808, '8000000000000000'],
  ];
  it.each(cases)('%d <-> %s', (n, h) => {
    expect(bytesOf((w) => w.writeInt64(n))).toBe(h);
    expect(new Reader(hex(h)).readInt64()).toBe(n);
  });

  it('Long.MAX_VALUE decodes to the nearest double and re-encodes as Long.MAX_VALUE', () => {
    const max = new Reader(hex('7fffffffffffffff')).readInt64();
    expect(max).toBe(9223372036854775807); // i.e. 2^63 as a double
    expect(bytesOf((w) => w.writeInt64(max))).toBe('7fffffffffffffff');
  });

  it('beyond ±2^53 decodes to the nearest double; out-of-range encodes clamp', () => {
    expect(new Reader(hex('0020000000000001')).readInt64()).toBe(2 ** 53); // 2^53 + 1 rounds to even
    expect(bytesOf((w) => w.writeInt64(2 ** 60))).toBe('1000000000000000');
    expect(bytesOf((w) => w.writeInt64(1e300))).toBe('7fffffffffffffff');
    expect(bytesOf((w) => w.writeInt64(-Infinity))).toBe('8000000000000000');
    expect(bytesOf((w) => w.writeInt64(NaN))).toBe('0000000000000000');
  });
});

describe('fixed-width and strings', () => {
  it('round-trips every fixed-width type', () => {
    const w = new Writer(4); // forces several doublings
    w.writeInt8(-128); w.writeBool(true); w.writeInt16(-2); w.writeUInt16(65535);
    w.writeInt32(-2147483648); w.writeUInt32(4294967295); w.writeFloat64(-1.5);
    const r = new Reader(w.toBuffer());
    expect([r.readInt8(), r.readBool(), r.readInt16(), r.readUInt16(), r.readInt32(), r.readUInt32(), r.readFloat64()])
      .toEqual([-128, true, -2, 65535, -2147483648, 4294967295, -1.5]);
    expect(r.remaining()).toBe(0);
  });

  it('compact nullable strings: null, empty, ascii, utf-8', () => {
    expect(bytesOf((w) => w.writeCompactNullableString(null))).toBe('00');
    expect(bytesOf((w) => w.writeCompactNullableString(''))).toBe('01');
    expect(bytesOf((w) => w.writeCompactNullableString('ab'))).toBe('036162');
    expect(bytesOf((w) => w.writeCompactString('é'))).toBe('03c3a9');
    const r = new Reader(hex('00 01 036162 03c3a9'));
    expect([r.readCompactNullableString(), r.readCompactNullableString(), r.readCompactNullableString(), r.readCompactString()])
      .toEqual([null, '', 'ab', 'é']);
    expect(() => new Reader(hex('00')).readCompactString()).toThrow(DecodeError);
  });

  it('short strings decoded again (interned) are always the bytes just read, whatever was decoded before', () => {
    // Many distinct short names, including ones that differ in one byte, non-ASCII ones and
    // lengths around the interning limit, decoded over and over in a shuffled order.
    const names: string[] = [];
    for (let i = 0; i < 1500; i++) names.push(`t${i}`, `topic-${i}`.padEnd(23, 'x'), `topic-${i}`.padEnd(24, 'y'), `tópic-${i}`);
    names.push('', 'a', 'b', 'ab', 'ba');
    const w = new Writer(16);
    let state = 1;
    const order: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const n = names[state % names.length]!;
      order.push(n);
      w.writeString(n);
    }
    const r = new Reader(w.toBuffer());
    for (const n of order) expect(r.readString()).toBe(n);
  });

  it('classic strings and bytes: int16/int32 lengths, -1 for null', () => {
    expect(bytesOf((w) => w.writeNullableString(null))).toBe('ffff');
    expect(bytesOf((w) => w.writeString('a'.repeat(40)))).toBe('0028' + '61'.repeat(40));
    expect(bytesOf((w) => w.writeNullableBytes(null))).toBe('ffffffff');
    expect(bytesOf((w) => w.writeCompactNullableBytes(null))).toBe('00');
    expect(new Reader(hex('ffff')).readNullableString()).toBeNull();
    expect(() => new Reader(hex('ffff')).readString()).toThrow(DecodeError);
    expect(() => new Reader(hex('ffffffff')).readBytes()).toThrow(DecodeError);
    expect(() => new Writer().writeString('x'.repeat(40000))).toThrow(/int16/);
  });

  it('bytes are views into the input, not copies', () => {
    const buf = hex('00000003 aabbcc');
    const b = new Reader(buf).readBytes();
    expect(b.toString('hex')).toBe('aabbcc');
    expect(b.buffer).toBe(buf.buffer);
    expect(b.byteOffset).toBe(buf.byteOffset + 4);
  });

  it('uuids round-trip in base64url display form', () => {
    const raw = hex('0123456789abcdeffedcba9876543210');
    const id = raw.toString('base64url');
    expect(id).toHaveLength(22);
    expect(bytesOf((w) => w.writeUuid(id))).toBe(raw.toString('hex'));
    expect(new Reader(raw).readUuid()).toBe(id);
    expect(new Reader(Buffer.alloc(16)).readUuid()).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(() => new Writer().writeUuid('short')).toThrow(/uuid/);
  });
});

describe('Reader bounds', () => {
  it('throws DecodeError on truncation, honouring a narrowed end', () => {
    expect(() => new Reader(hex('000000')).readInt32()).toThrow(DecodeError);
    const r = new Reader(hex('0000000100000002'), 0, 6);
    expect(r.readInt32()).toBe(1);
    expect(() => r.readInt32()).toThrow(DecodeError);
    expect(() => new Reader(hex('00000010 0102')).readBytes()).toThrow(DecodeError);
    expect(() => new Reader(Buffer.alloc(4), 2, 8)).toThrow(DecodeError);
  });

  it('rejects array counts that cannot fit before allocating anything', () => {
    const frame = Buffer.alloc(20);
    frame.writeInt32BE(0x7fffffff, 0);
    expect(() => new Reader(frame).readArrayLength(1)).toThrow(DecodeError);
    frame.writeInt32BE(5, 0);
    expect(() => new Reader(frame).readArrayLength(4)).toThrow(DecodeError); // 20 bytes > 16 remaining
    expect(new Reader(frame).readArrayLength(2)).toBe(5);
    expect(new Reader(hex('ffffffff')).readNullableArrayLength(4)).toBe(-1);
    expect(() => new Reader(hex('ffffffff')).readArrayLength(4)).toThrow(DecodeError);
    expect(() => new Reader(hex('ffffffff0f')).readCompactArrayLength(1)).toThrow(DecodeError);
    expect(new Reader(hex('00')).readCompactNullableArrayLength(1)).toBe(-1);
  });

  it('tagged fields: skip all, or narrow to one and skip the rest of it', () => {
    const buf = hex('02 00 02 aabb 07 01 cc 99');
    const r = new Reader(buf);
    r.skipTaggedFields();
    expect(r.readUInt8()).toBe(0x99);
    const t = new Reader(buf, 1);
    expect(t.readUnsignedVarint()).toBe(0);
    const saved = t.beginTaggedField(t.readUnsignedVarint());
    expect(t.readInt8()).toBe(-86);
    expect(() => t.readInt16()).toThrow(DecodeError); // cannot read past the field
    t.endTaggedField(saved);
    expect(t.offset).toBe(5);
    expect(t.end).toBe(buf.length);
  });
});

describe('Writer chunks', () => {
  it('keeps large raw buffers by reference and patches the size prefix', () => {
    const big = Buffer.alloc(10000, 1);
    const w = new Writer(8);
    w.writeInt32(0);
    w.writeInt16(7);
    w.writeRaw(big);
    w.writeInt8(9);
    w.writeRaw(Buffer.from([1, 2, 3])); // small: copied
    w.setInt32At(0, w.length - 4);
    const chunks = w.toChunks();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(w.length).toBe(4 + 2 + 10000 + 1 + 3);
    const all = w.toBuffer();
    expect(all.length).toBe(w.length);
    expect(all.readInt32BE(0)).toBe(w.length - 4);
    expect(all.readInt16BE(4)).toBe(7);
    expect(all.subarray(6 + 10000).toString('hex')).toBe('09010203');
    expect(() => w.setInt32At(10, 0)).toThrow(RangeError); // inside the referenced buffer
  });

  it('grows from a tiny capacity without losing bytes', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    const r = new Reader(w.toBuffer());
    for (let i = 0; i < 1000; i++) expect(r.readInt32()).toBe(i);
  });

  it('writes a tagged field as tag, size, then the body bytes', () => {
    const body = new Writer();
    body.writeInt32(5);
    expect(bytesOf((w) => w.writeTaggedField(3, body))).toBe('030400000005');
  });
});

describe('Writer.detachChunks', () => {
  it('keeps large raw buffers by reference, copies its own bytes, and stays reusable', () => {
    const w = new Writer(64);
    const records = Buffer.alloc(RAW_REFERENCE_THRESHOLD + 10, 7);
    w.writeInt32(11);
    w.writeCompactBytes(records);
    w.writeInt16(-2);
    w.writeCompactBytes(Buffer.from('tail'));
    const expected = Buffer.from(w.toBuffer());
    const chunks = w.detachChunks(1024)!;
    expect(Buffer.concat(chunks)).toEqual(expected);
    expect(chunks.some((c) => c === records)).toBe(true); // not copied
    // The writer is reused: the detached chunks do not change.
    w.reset();
    w.writeInt32(0x7fffffff);
    w.writeInt32(0x7fffffff);
    expect(Buffer.concat(chunks)).toEqual(expected);
    // Own bytes above the limit: not detached.
    expect(w.detachChunks(4)).toBeNull();
  });
});

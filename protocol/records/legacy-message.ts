// Magic 0/1 messages ("message sets"), the format Produce v0-2 sends and Fetch v0-3 expects.
//
// Entry layout, big endian:
//   0  offset      int64
//   8  size        int32   bytes after this field
//  12  crc         uint32  CRC-32 (IEEE, not Castagnoli) of magic..end
//  16  magic       int8    0 or 1
//  17  attributes  int8    bits 0-2 codec, bit 3 timestamp type (magic 1 only, 1 = LogAppendTime)
//  18  timestamp   int64   magic 1 only
//   .  keyLength   int32   -1 = null
//   .  key
//   .  valueLength int32   -1 = null
//   .  value               for a compressed wrapper: a whole inner message set, compressed
import { crc32 } from '@node-rs/crc32';
import { LOG_OVERHEAD, MAGIC_OFFSET, readInt64, writeInt64 } from './batch-header.js';
import { RecordsError, corrupt } from './records-error.js';

export const LEGACY_ATTR_TIMESTAMP_TYPE = 0x08;
export const LEGACY_CODEC_MASK = 0x07;
/** Bytes after `size` for an empty key and value: crc + magic + attributes [+ timestamp] + 2 lengths. */
const RECORD_OVERHEAD = [14, 22] as const;
export const NO_TIMESTAMP = -1;

export interface LegacyMessage {
  offset: number;
  magic: 0 | 1;
  attributes: number;
  /** NO_TIMESTAMP (-1) for magic 0. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function readLengthPrefixed(buf: Buffer, pos: number, end: number): [Buffer | null, number] {
  if (end - pos < 4) throw corrupt('message truncated inside a length field');
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len === -1) return [null, pos];
  if (len < 0 || len > end - pos) throw corrupt(`invalid key/value length ${len}`);
  return [buf.subarray(pos, pos + len), pos + len];
}

/**
 * Parses a whole magic 0/1 message set (shallowly: compressed wrappers are returned as-is) and
 * verifies every entry's CRC. A trailing partial entry is an error, not silently dropped.
 */
export function readLegacyMessageSet(buf: Buffer): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < LOG_OVERHEAD + 6) throw corrupt('message set ends with a partial message');
    const size = buf.readInt32BE(pos + 8);
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 0 && magic !== 1) {
      if (magic === 2) throw new RecordsError('INVALID_RECORD', 'message set mixes magic 2 with magic 0/1');
      throw corrupt(`invalid message magic ${magic}`);
    }
    if (size < RECORD_OVERHEAD[magic]) throw corrupt(`message size ${size} below the minimum`);
    const end = pos + LOG_OVERHEAD + size;
    if (end > buf.length) throw corrupt('message set ends with a partial message');
    const crc = buf.readUInt32BE(pos + 12);
    if (crc32(buf.subarray(pos + MAGIC_OFFSET, end)) >>> 0 !== crc) throw corrupt('message CRC mismatch');
    const attributes = buf.readInt8(pos + 17);
    let p = pos + 18;
    let timestamp = NO_TIMESTAMP;
    if (magic === 1) {
      timestamp = readInt64(buf, p);
      p += 8;
    }
    const [key, afterKey] = readLengthPrefixed(buf, p, end);
    const [value, afterValue] = readLengthPrefixed(buf, afterKey, end);
    if (afterValue !== end) throw corrupt('message size does not match its key and value');
    out.push({ offset: readInt64(buf, pos), magic, attributes, timestamp, key, value });
    pos = end;
  }
  return out;
}

export function legacyMessageSize(magic: 0 | 1, key: Buffer | null, value: Buffer | null): number {
  return LOG_OVERHEAD + RECORD_OVERHEAD[magic] + (key?.length ?? 0) + (value?.length ?? 0);
}

/** Writes one entry at `pos` (CRC included), returns the position after it. */
export function writeLegacyMessage(buf: Buffer, pos: number, m: LegacyMessage): number {
  const start = pos;
  const size = legacyMessageSize(m.magic, m.key, m.value);
  writeInt64(buf, pos, m.offset);
  buf.writeInt32BE(size - LOG_OVERHEAD, pos + 8);
  buf.writeInt8(m.magic, pos + MAGIC_OFFSET);
  buf.writeInt8(m.attributes, pos + 17);
  pos += 18;
  if (m.magic === 1) {
    writeInt64(buf, pos, m.timestamp);
    pos += 8;
  }
  for (const field of [m.key, m.value]) {
    if (field === null) {
      buf.writeInt32BE(-1, pos);
      pos += 4;
    } else {
      buf.writeInt32BE(field.length, pos);
      field.copy(buf, pos + 4);
      pos += 4 + field.length;
    }
  }
  buf.writeUInt32BE(crc32(buf.subarray(start + MAGIC_OFFSET, pos)) >>> 0, start + 12);
  return pos;
}

export function encodeLegacyMessageSet(messages: LegacyMessage[]): Buffer {
  let total = 0;
  for (const m of messages) total += legacyMessageSize(m.magic, m.key, m.value);
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const m of messages) pos = writeLegacyMessage(buf, pos, m);
  return buf;
}

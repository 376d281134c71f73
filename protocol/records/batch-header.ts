// Record batch (magic 2) header view. The hot path never decodes records: it reads these 61 bytes,
// checks the CRC and writes baseOffset / partitionLeaderEpoch in place.
//
// Layout (big endian):
//   0  baseOffset            int64   <- assigned by the broker, not covered by the CRC
//   8  batchLength           int32   bytes after this field
//  12  partitionLeaderEpoch  int32   <- assigned by the broker, not covered by the CRC
//  16  magic                 int8    = 2
//  17  crc                   uint32  CRC-32C of bytes [21, end)
//  21  attributes            int16   bits 0-2 codec, 3 timestampType, 4 transactional, 5 control
//  23  lastOffsetDelta       int32
//  27  baseTimestamp         int64
//  35  maxTimestamp          int64
//  43  producerId            int64
//  51  producerEpoch         int16
//  53  baseSequence          int32
//  57  recordsCount          int32
//  61  records...
import { crc32c } from '@node-rs/crc32';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before the magic byte that every message-set entry (magic 0, 1 and 2) shares. */
export const LOG_OVERHEAD = 12;
export const MAGIC_OFFSET = 16;
export const OFF_BASE_OFFSET = 0;
export const OFF_BATCH_LENGTH = 8;
export const OFF_LEADER_EPOCH = 12;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORDS_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08; // 1 = LogAppendTime
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** What the broker needs to know about one batch without touching its records. */
export interface BatchInfo {
  /** Byte position of the batch inside the buffer it was read from. */
  position: number;
  /** Total size in bytes, LOG_OVERHEAD + batchLength. */
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  magic: number;
  attributes: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Reads a signed int64 as a JS number (exact for |v| < 2^53, which offsets, ids and timestamps are). */
export function readInt64(buf: Buffer, pos: number): number {
  const hi = buf.readInt32BE(pos);
  const lo = buf.readUInt32BE(pos + 4);
  return hi * 0x1_0000_0000 + lo;
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * 0x1_0000_0000, pos + 4);
}

/** Reads the header of the v2 batch at `pos`. Caller guarantees BATCH_HEADER_SIZE bytes are there. */
export function readBatchHeader(buf: Buffer, pos: number): BatchInfo {
  return {
    position: pos,
    size: LOG_OVERHEAD + buf.readInt32BE(pos + OFF_BATCH_LENGTH),
    baseOffset: readInt64(buf, pos + OFF_BASE_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA),
    partitionLeaderEpoch: buf.readInt32BE(pos + OFF_LEADER_EPOCH),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    baseTimestamp: readInt64(buf, pos + OFF_BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, pos + OFF_MAX_TIMESTAMP),
    producerId: readInt64(buf, pos + OFF_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + OFF_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFF_BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + OFF_RECORDS_COUNT),
  };
}

export function batchLastOffset(b: BatchInfo): number {
  return b.baseOffset + b.lastOffsetDelta;
}

export function batchCompression(attributes: number): Compression {
  return (attributes & ATTR_COMPRESSION_MASK) as Compression;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}

/** CRC-32C over attributes..end, as stored in the header. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size)) >>> 0;
}

export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return buf.readUInt32BE(pos + OFF_CRC) === computeBatchCrc(buf, pos, size);
}

/** Assigns offsets in place; the CRC does not cover these fields so it stays valid. */
export function assignBaseOffset(buf: Buffer, pos: number, baseOffset: number, leaderEpoch: number): void {
  writeInt64(buf, pos + OFF_BASE_OFFSET, baseOffset);
  buf.writeInt32BE(leaderEpoch, pos + OFF_LEADER_EPOCH);
}

/** Outcome of scanning a buffer of v2 batches. `validBytes` < buffer length means a torn/corrupt tail. */
export interface BatchScan {
  batches: BatchInfo[];
  validBytes: number;
  /** Why scanning stopped before the end, or null if the whole buffer was valid. */
  error: null | 'truncated' | 'bad-magic' | 'bad-length' | 'bad-crc';
}

/**
 * Walks consecutive v2 batches. `checkCrc` is on for produce and recovery of the active segment,
 * off for trusted segment reads. Never reads past `end`, never allocates from a length field.
 */
export function scanBatches(buf: Buffer, start = 0, end = buf.length, checkCrc = true): BatchScan {
  const batches: BatchInfo[] = [];
  let pos = start;
  while (pos < end) {
    if (end - pos < LOG_OVERHEAD + 5) return { batches, validBytes: pos - start, error: 'truncated' };
    const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 2) return { batches, validBytes: pos - start, error: 'bad-magic' };
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return { batches, validBytes: pos - start, error: 'bad-length' };
    const size = LOG_OVERHEAD + batchLength;
    if (size > end - pos) return { batches, validBytes: pos - start, error: 'truncated' };
    if (checkCrc && !batchCrcMatches(buf, pos, size)) return { batches, validBytes: pos - start, error: 'bad-crc' };
    batches.push(readBatchHeader(buf, pos));
    pos += size;
  }
  return { batches, validBytes: pos - start, error: null };
}

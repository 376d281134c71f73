// Decodes the records inside v2 batches. Used by aggregation, compaction, format conversion and
// tests; never by the produce/fetch hot path, which only looks at the 61-byte header.
//
// Record layout (after the batch header, possibly compressed as one block):
//   length          varint   bytes after this field
//   attributes      int8     unused
//   timestampDelta  varlong  relative to baseTimestamp
//   offsetDelta     varint   relative to baseOffset
//   keyLength       varint   -1 = null
//   key             bytes
//   valueLength     varint   -1 = null
//   value           bytes
//   headerCount     varint
//   headers         [keyLength varint, key utf8, valueLength varint (-1 = null), value]
import {
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_SIZE,
  type BatchInfo,
  Compression,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_BATCH_LENGTH,
  batchCompression,
  batchCrcMatches,
  isControlBatch,
  isTransactionalBatch,
  readBatchHeader,
} from './batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression.js';
import { corrupt } from './records-error.js';
import { type Cursor, readVarint, readVarlong } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  /** Absolute offset: baseOffset + offsetDelta. */
  offset: number;
  /** CreateTime: baseTimestamp + delta. LogAppendTime: the batch's maxTimestamp (as Kafka reports it). */
  timestamp: number;
  /** Views into the input (or decompressed) buffer, not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface DecodedBatch extends BatchInfo {
  compression: Compression;
  timestampType: TimestampType;
  transactional: boolean;
  control: boolean;
  records: DecodedRecord[];
}

export interface DecodeOptions {
  /** Check the CRC-32C first (default true). */
  verifyCrc?: boolean;
  /** Decompression limit, see compression.ts. */
  maxBytes?: number;
  /**
   * Return the records that decode, stopping at the first malformed one or at the declared count,
   * instead of throwing (down-conversion: one bad stored batch must not fail a whole fetch).
   * Header, CRC and decompression errors still throw.
   */
  lenient?: boolean;
}

/** Decodes the single v2 batch starting at `pos`. Throws RecordsError (CORRUPT_MESSAGE etc.). */
export function decodeRecordBatch(buf: Buffer, pos = 0, opts: DecodeOptions = {}): DecodedBatch {
  if (buf.length - pos < BATCH_HEADER_SIZE) throw corrupt('record batch truncated');
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== 2) throw corrupt(`record batch magic ${magic}, expected 2`);
  const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) throw corrupt('record batch length too small');
  const size = LOG_OVERHEAD + batchLength;
  if (size > buf.length - pos) throw corrupt('record batch truncated');
  if (opts.verifyCrc !== false && !batchCrcMatches(buf, pos, size)) throw corrupt('record batch CRC mismatch');
  const info = readBatchHeader(buf, pos);
  const compression = batchCompression(info.attributes);
  const logAppendTime = (info.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  if (info.recordsCount < 0) throw corrupt('negative record count');

  let body = buf.subarray(pos + BATCH_HEADER_SIZE, pos + size);
  if (compression !== Compression.None) body = decompress(compression, body, opts.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  // Each record takes at least 7 bytes, so a count beyond that is a lie we must not allocate for.
  const plausible = info.recordsCount <= body.length / 7 + 1;
  if (!plausible && !opts.lenient) throw corrupt('record count larger than the batch can hold');

  const c: Cursor = { buf: body, pos: 0, end: body.length };
  const records: DecodedRecord[] = [];
  const count = plausible ? info.recordsCount : Math.floor(body.length / 7);
  for (let i = 0; i < count; i++) {
    if (!opts.lenient) {
      records.push(readRecord(c, info.baseOffset, info.baseTimestamp, logAppendTime ? info.maxTimestamp : null));
      continue;
    }
    const end = c.end;
    try {
      records.push(readRecord(c, info.baseOffset, info.baseTimestamp, logAppendTime ? info.maxTimestamp : null));
    } catch {
      c.end = end;
      break;
    }
  }
  if (c.pos !== c.end && !opts.lenient) throw corrupt('bytes left over after the last record');
  return {
    ...info,
    compression,
    timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
    transactional: isTransactionalBatch(info.attributes),
    control: isControlBatch(info.attributes),
    records,
  };
}

/** Decodes every batch of a buffer holding whole v2 batches (a segment slice or a fetch response). */
export function decodeRecordBatches(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const batch = decodeRecordBatch(buf, pos, opts);
    out.push(batch);
    pos += batch.size;
  }
  return out;
}

function readBytes(c: Cursor, len: number): Buffer | null {
  if (len < -1) throw corrupt(`invalid length ${len}`);
  if (len === -1) return null;
  if (len > c.end - c.pos) throw corrupt('record field runs past the end of the record');
  const b = c.buf.subarray(c.pos, c.pos + len);
  c.pos += len;
  return b;
}

function readRecord(c: Cursor, baseOffset: number, baseTimestamp: number, logAppendTime: number | null): DecodedRecord {
  const length = readVarint(c);
  if (length < 0 || length > c.end - c.pos) throw corrupt('record length out of bounds');
  const outerEnd = c.end;
  const recordEnd = c.pos + length;
  c.end = recordEnd; // no field may spill into the next record
  c.pos += 1; // attributes
  if (c.pos > c.end) throw corrupt('record truncated');
  const timestampDelta = readVarlong(c);
  const offsetDelta = readVarint(c);
  const key = readBytes(c, readVarint(c));
  const value = readBytes(c, readVarint(c));
  const headerCount = readVarint(c);
  if (headerCount < 0 || headerCount > c.end - c.pos) throw corrupt(`invalid header count ${headerCount}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const hk = readBytes(c, readVarint(c));
    if (hk === null) throw corrupt('null header key');
    headers.push({ key: hk.toString('utf8'), value: readBytes(c, readVarint(c)) });
  }
  if (c.pos !== recordEnd) throw corrupt('record length does not match its fields');
  c.end = outerEnd;
  return {
    offset: baseOffset + offsetDelta,
    timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

export type ControlType = 'ABORT' | 'COMMIT';

export interface ControlMarker {
  type: ControlType;
  coordinatorEpoch: number;
}

/**
 * Control record (transaction marker):
 *   key   = version int16 (0), type int16 (0 = ABORT, 1 = COMMIT)
 *   value = version int16 (0), coordinatorEpoch int32
 * Returns null for control types this broker does not know (Kafka skips those too).
 */
export function decodeControlRecord(record: DecodedRecord): ControlMarker | null {
  const { key, value } = record;
  if (key === null || key.length < 4) throw corrupt('control record key too short');
  const type = key.readInt16BE(2);
  if (type !== 0 && type !== 1) return null;
  if (value === null || value.length < 6) throw corrupt('control record value too short');
  return { type: type === 0 ? 'ABORT' : 'COMMIT', coordinatorEpoch: value.readInt32BE(2) };
}

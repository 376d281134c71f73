// Builds v2 record batches: for coordinators' internal topics, transaction markers, format
// up-conversion, compaction rewrites and tests. Header layout: see batch-header.ts; record layout:
// see record-codec.ts.
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  Compression,
  LOG_OVERHEAD,
  OFF_ATTRIBUTES,
  OFF_BASE_SEQUENCE,
  OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  OFF_RECORDS_COUNT,
  MAGIC_OFFSET,
  assignBaseOffset,
  computeBatchCrc,
  writeInt64,
} from './batch-header.js';
import { compress } from './compression.js';
import type { ControlType, RecordHeader, TimestampType } from './record-codec.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to opts.baseTimestamp, else Date.now(). */
  timestamp?: number;
  /** Defaults to the record's index; set explicitly for compacted batches with gaps. */
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  /** -1 (none) unless given; the broker overwrites it in place on append. */
  partitionLeaderEpoch?: number;
  compression?: Compression;
  /** gzip/zstd level, see compression.ts. */
  compressionLevel?: number;
  timestampType?: TimestampType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  records: RecordInput[];
  /** Defaults to the first record's timestamp (as Java's producer does), -1 for an empty batch. */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp; for LogAppendTime pass the append time. */
  maxTimestamp?: number;
  /** Defaults to the last record's offsetDelta; compaction keeps the original batch's value. */
  lastOffsetDelta?: number;
}

function bytesFieldSize(b: Buffer | null): number {
  return b === null ? sizeOfVarint(-1) : sizeOfVarint(b.length) + b.length;
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

interface Prepared {
  timestampDelta: number;
  offsetDelta: number;
  headerKeys: Buffer[];
  bodySize: number;
}

/** Encodes the records section (uncompressed). */
function encodeRecords(records: RecordInput[], timestamps: number[], baseTimestamp: number): Buffer {
  const prepared: Prepared[] = [];
  let total = 0;
  records.forEach((r, i) => {
    const timestampDelta = timestamps[i]! - baseTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    const headers = r.headers ?? [];
    const headerKeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
    let bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
    bodySize += bytesFieldSize(r.key) + bytesFieldSize(r.value) + sizeOfVarint(headers.length);
    headers.forEach((h, j) => (bodySize += bytesFieldSize(headerKeys[j]!) + bytesFieldSize(h.value)));
    prepared.push({ timestampDelta, offsetDelta, headerKeys, bodySize });
    total += sizeOfVarint(bodySize) + bodySize;
  });
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  records.forEach((r, i) => {
    const p = prepared[i]!;
    pos = writeVarint(out, pos, p.bodySize);
    out[pos++] = 0; // record attributes, unused
    pos = writeVarlong(out, pos, p.timestampDelta);
    pos = writeVarint(out, pos, p.offsetDelta);
    pos = writeBytesField(out, pos, r.key);
    pos = writeBytesField(out, pos, r.value);
    const headers = r.headers ?? [];
    pos = writeVarint(out, pos, headers.length);
    headers.forEach((h, j) => {
      pos = writeBytesField(out, pos, p.headerKeys[j]!);
      pos = writeBytesField(out, pos, h.value);
    });
  });
  return out;
}

export function buildRecordBatch(opts: BuildBatchOptions): Buffer {
  const records = opts.records;
  const only = records.length === 1 ? records[0]! : null;
  // One record without headers, uncompressed (every coordinator record, every marker): written
  // straight into the batch, no per-record arrays and no body buffer to copy. Byte-identical to
  // the general path below.
  if (only !== null && (only.headers === undefined || only.headers.length === 0) && (opts.compression ?? Compression.None) === Compression.None) {
    return buildOneRecordBatch(opts, only);
  }
  const now = opts.baseTimestamp ?? Date.now();
  const timestamps = records.map((r) => r.timestamp ?? now);
  const baseTimestamp = opts.baseTimestamp ?? (timestamps.length > 0 ? timestamps[0]! : -1);
  const maxTimestamp = opts.maxTimestamp ?? timestamps.reduce((m, t) => (t > m ? t : m), -1);
  const lastOffsetDelta =
    opts.lastOffsetDelta ?? (records.length > 0 ? (records[records.length - 1]!.offsetDelta ?? records.length - 1) : 0);
  const codec = opts.compression ?? Compression.None;

  let body = encodeRecords(records, timestamps, baseTimestamp);
  if (codec !== Compression.None) body = compress(codec, body, { level: opts.compressionLevel });

  const size = BATCH_HEADER_SIZE + body.length;
  const buf = Buffer.allocUnsafe(size);
  writeBatchHeader(buf, opts, codec, lastOffsetDelta, baseTimestamp, maxTimestamp, records.length);
  body.copy(buf, BATCH_HEADER_SIZE);
  buf.writeUInt32BE(computeBatchCrc(buf, 0, size), OFF_CRC);
  return buf;
}

/** Everything of a v2 batch header but the CRC, for a batch filling all of `buf`. */
function writeBatchHeader(buf: Buffer, opts: BuildBatchOptions, codec: Compression, lastOffsetDelta: number, baseTimestamp: number, maxTimestamp: number, recordCount: number): void {
  let attributes: number = codec;
  if (opts.timestampType === 'LogAppendTime') attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.transactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control) attributes |= ATTR_CONTROL;
  assignBaseOffset(buf, 0, opts.baseOffset ?? 0, opts.partitionLeaderEpoch ?? -1);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, OFF_BATCH_LENGTH);
  buf[MAGIC_OFFSET] = 2;
  buf.writeInt16BE(attributes, OFF_ATTRIBUTES);
  buf.writeInt32BE(lastOffsetDelta, OFF_LAST_OFFSET_DELTA);
  writeInt64(buf, OFF_BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, OFF_MAX_TIMESTAMP, maxTimestamp);
  writeInt64(buf, OFF_PRODUCER_ID, opts.producerId ?? -1);
  buf.writeInt16BE(opts.producerEpoch ?? -1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? -1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(recordCount, OFF_RECORDS_COUNT);
}

/** buildRecordBatch for exactly one record without headers, uncompressed. */
function buildOneRecordBatch(opts: BuildBatchOptions, r: RecordInput): Buffer {
  const timestamp = r.timestamp ?? opts.baseTimestamp ?? Date.now();
  const baseTimestamp = opts.baseTimestamp ?? timestamp;
  const maxTimestamp = opts.maxTimestamp ?? (timestamp > -1 ? timestamp : -1);
  const offsetDelta = r.offsetDelta ?? 0;
  const lastOffsetDelta = opts.lastOffsetDelta ?? offsetDelta;
  const timestampDelta = timestamp - baseTimestamp;
  const bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + bytesFieldSize(r.key) + bytesFieldSize(r.value) + 1;
  const size = BATCH_HEADER_SIZE + sizeOfVarint(bodySize) + bodySize;
  const buf = Buffer.allocUnsafe(size);
  writeBatchHeader(buf, opts, Compression.None, lastOffsetDelta, baseTimestamp, maxTimestamp, 1);
  let pos = writeVarint(buf, BATCH_HEADER_SIZE, bodySize);
  buf[pos++] = 0; // record attributes, unused
  pos = writeVarlong(buf, pos, timestampDelta);
  pos = writeVarint(buf, pos, offsetDelta);
  pos = writeBytesField(buf, pos, r.key);
  pos = writeBytesField(buf, pos, r.value);
  buf[pos] = 0; // no headers (varint 0)
  buf.writeUInt32BE(computeBatchCrc(buf, 0, size), OFF_CRC);
  return buf;
}

export interface ControlBatchOptions {
  type: ControlType;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

/**
 * A transaction marker batch, as Kafka's EndTransactionMarker writes it: transactional + control,
 * uncompressed, baseSequence -1, one record with
 *   key   = version int16 (0), type int16 (0 = ABORT, 1 = COMMIT)
 *   value = version int16 (0), coordinatorEpoch int32
 */
export function buildControlBatch(opts: ControlBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(opts.type === 'COMMIT' ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt32BE(opts.coordinatorEpoch, 2);
  return buildRecordBatch({
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    records: [{ key, value, timestamp: opts.timestamp }],
  });
}

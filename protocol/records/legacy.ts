// Old clients work unchanged: Produce v0-2 message sets (magic 0/1) are up-converted to one v2
// batch before they reach the log, and Fetch v0-3 gets the log's v2 batches down-converted.
// Entry layout: legacy-message.ts. Behaviour follows Kafka's LogValidator (up) and
// RecordsUtil.downConvert (down); differences are called out where they occur.
import { Compression, MAGIC_OFFSET, scanBatches } from './batch-header.js';
import { buildRecordBatch, type RecordInput } from './batch-builder.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, compress, decompress } from './compression.js';
import {
  LEGACY_ATTR_TIMESTAMP_TYPE,
  LEGACY_CODEC_MASK,
  NO_TIMESTAMP,
  type LegacyMessage,
  encodeLegacyMessageSet,
  legacyMessageSize,
  readLegacyMessageSet,
} from './legacy-message.js';
import { compressLz4, decompressLz4 } from './lz4-frame.js';
import { type DecodedRecord, type TimestampType, decodeRecordBatch } from './record-codec.js';
import { RecordsError, type RecordsErrorName } from './records-error.js';

/** True if the first entry's magic byte (offset 16, shared by all formats) is 0 or 1. */
export function isLegacyMessageSet(buf: Buffer): boolean {
  return buf.length > MAGIC_OFFSET && (buf[MAGIC_OFFSET] === 0 || buf[MAGIC_OFFSET] === 1);
}

export interface UpConvertOptions {
  /** Used as the append time when `timestampType` is 'LogAppendTime'. */
  now: number;
  /** The topic's message.timestamp.type; default CreateTime keeps the producer's timestamps. */
  timestampType?: TimestampType;
  /** The topic's max.message.bytes: checked per shallow entry and on the converted batch. */
  maxMessageBytes?: number;
  /** Decompression limit for a compressed wrapper. */
  maxDecompressedBytes?: number;
}

export type UpConvertResult =
  | { records: Buffer; recordCount: number; compression: Compression }
  | { error: RecordsErrorName; errorCode: number; message: string };

function failure(e: RecordsError): UpConvertResult {
  return { error: e.errorName, errorCode: e.errorCode, message: e.message };
}

function checkCodec(codec: number): void {
  if (codec === Compression.Zstd) {
    throw new RecordsError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd requires message format v2 (produce v7+)');
  }
  if (codec > Compression.Zstd) throw new RecordsError('CORRUPT_MESSAGE', `unknown compression codec ${codec}`);
}

function decompressLegacy(codec: Compression, magic: 0 | 1, data: Buffer, maxBytes: number): Buffer {
  // KAFKA-3160: magic-0 LZ4 frames carry a broken header checksum; fix it instead of rejecting.
  if (codec === Compression.Lz4 && magic === 0) return decompressLz4(data, maxBytes, true);
  return decompress(codec, data, maxBytes);
}

/**
 * Parses a magic 0/1 message set, validates it and builds one v2 batch (producerId -1, offsets
 * from 0 for the broker to assign) with the same compression codec the client used.
 *
 * - Magic 0 messages have no timestamp: records get NO_TIMESTAMP (-1), as in Kafka.
 * - A LogAppendTime attribute set by the producer is preserved (Kafka would reject it with
 *   INVALID_TIMESTAMP; validateProduceRecords does that on the converted batch).
 * - A compressed wrapper must be the only entry and its inner messages must be uncompressed and of
 *   the wrapper's magic (INVALID_RECORD otherwise). Inner offsets are ignored: the broker assigns.
 * - An empty input gives an empty `records` buffer and recordCount 0 (Kafka appends nothing).
 */
export function upConvertMessageSet(buf: Buffer, opts: UpConvertOptions): UpConvertResult {
  try {
    return upConvert(buf, opts);
  } catch (e) {
    if (e instanceof RecordsError) return failure(e);
    throw e;
  }
}

function upConvert(buf: Buffer, opts: UpConvertOptions): UpConvertResult {
  if (buf.length === 0) return { records: Buffer.alloc(0), recordCount: 0, compression: Compression.None };
  const shallow = readLegacyMessageSet(buf);
  const magic = shallow[0]!.magic;
  let compressed: LegacyMessage | null = null;
  for (const m of shallow) {
    const size = legacyMessageSize(m.magic, m.key, m.value);
    if (opts.maxMessageBytes !== undefined && size > opts.maxMessageBytes) {
      throw new RecordsError('MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
    }
    if (m.magic !== magic) throw new RecordsError('INVALID_RECORD', 'message set mixes magic 0 and magic 1');
    const codec = m.attributes & LEGACY_CODEC_MASK;
    checkCodec(codec);
    if (codec !== Compression.None) compressed = m;
  }
  if (compressed !== null && shallow.length > 1) {
    throw new RecordsError('INVALID_RECORD', 'a compressed message set must consist of exactly one wrapper message');
  }

  let codec = Compression.None;
  let messages = shallow;
  let logAppendTime = magic === 1 && shallow.some((m) => (m.attributes & LEGACY_ATTR_TIMESTAMP_TYPE) !== 0);
  let wrapperTimestamp = NO_TIMESTAMP;
  if (compressed !== null) {
    codec = (compressed.attributes & LEGACY_CODEC_MASK) as Compression;
    if (compressed.value === null) throw new RecordsError('CORRUPT_MESSAGE', 'compressed wrapper message has a null value');
    const inner = decompressLegacy(codec, magic, compressed.value, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    messages = readLegacyMessageSet(inner);
    if (messages.length === 0) throw new RecordsError('INVALID_RECORD', 'compressed wrapper message holds no messages');
    for (const m of messages) {
      if (m.magic !== magic) throw new RecordsError('INVALID_RECORD', "inner message magic differs from the wrapper's");
      if ((m.attributes & LEGACY_CODEC_MASK) !== 0) throw new RecordsError('INVALID_RECORD', 'inner message is compressed again');
    }
    // With magic 1 the wrapper's timestamp type decides; LogAppendTime stamps every inner message.
    logAppendTime = magic === 1 && (compressed.attributes & LEGACY_ATTR_TIMESTAMP_TYPE) !== 0;
    wrapperTimestamp = compressed.timestamp;
  }

  const records: RecordInput[] = messages.map((m) => ({
    key: m.key,
    value: m.value,
    timestamp: magic === 0 ? NO_TIMESTAMP : logAppendTime && compressed !== null ? wrapperTimestamp : m.timestamp,
  }));
  let maxTimestamp: number | undefined;
  let timestampType: TimestampType = logAppendTime ? 'LogAppendTime' : 'CreateTime';
  if (logAppendTime && compressed !== null) maxTimestamp = wrapperTimestamp;
  if (opts.timestampType === 'LogAppendTime') {
    timestampType = 'LogAppendTime';
    maxTimestamp = opts.now;
  }
  const batch = buildRecordBatch({
    baseOffset: 0,
    compression: codec,
    timestampType,
    maxTimestamp,
    baseTimestamp: records[0]!.timestamp,
    records,
  });
  if (opts.maxMessageBytes !== undefined && batch.length > opts.maxMessageBytes) {
    throw new RecordsError('MESSAGE_TOO_LARGE', `converted batch of ${batch.length} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
  }
  return { records: batch, recordCount: records.length, compression: codec };
}

export interface DownConvertOptions {
  /**
   * The fetch offset: records of *uncompressed* batches below it are dropped, since magic 0/1
   * uncompressed messages stand alone (Kafka does the same). Compressed batches stay whole.
   */
  firstOffset?: number;
  maxDecompressedBytes?: number;
}

/**
 * Converts whole v2 batches (as read from the log) to a magic 0/1 message set (`toMagic` 0 for
 * Fetch v0-1, 1 for Fetch v2-3).
 * - Uncompressed batch: one message per record with its absolute offset.
 * - Compressed batch: one wrapper message (same codec) whose offset is the last inner offset;
 *   inner offsets are relative to the first record for magic 1, absolute for magic 0.
 * - Magic 1 keeps timestamps (LogAppendTime batches: the batch's maxTimestamp, attribute bit set);
 *   magic 0 has none. Headers are dropped, control batches skipped (as Kafka does).
 * - A torn tail (partial batch) is ignored; everything before it is converted.
 * Throws RecordsError UNSUPPORTED_COMPRESSION_TYPE for zstd batches: Kafka answers Fetch < v10
 * with that error instead of recompressing.
 */
export function downConvertBatches(buf: Buffer, toMagic: number, opts: DownConvertOptions = {}): Buffer {
  if (toMagic !== 0 && toMagic !== 1) throw new RangeError(`down-conversion target magic must be 0 or 1, got ${toMagic}`);
  const magic: 0 | 1 = toMagic;
  const out: LegacyMessage[] = [];
  const maxBytes = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  for (const info of scanBatches(buf, 0, buf.length, false).batches) {
    if ((info.attributes & 0x20) !== 0) continue; // control batch (transaction marker)
    const codec = (info.attributes & 0x07) as Compression;
    if (codec === Compression.Zstd) {
      throw new RecordsError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd batches cannot be down-converted for Fetch < v10');
    }
    // Lenient: produce validates compressed batches fully but uncompressed ones only by header,
    // so a stored uncompressed batch may hold fewer or more records than it declares; convert what
    // decodes rather than failing the whole fetch.
    const batch = decodeRecordBatch(buf, info.position, { verifyCrc: false, maxBytes, lenient: true });
    const logAppend = batch.timestampType === 'LogAppendTime';
    const attrTs = magic === 1 && logAppend ? LEGACY_ATTR_TIMESTAMP_TYPE : 0;
    const ts = (r: DecodedRecord) => (magic === 0 ? NO_TIMESTAMP : r.timestamp);
    if (codec === Compression.None) {
      const lastOffset = info.baseOffset + info.lastOffsetDelta;
      for (const r of batch.records) {
        if (opts.firstOffset !== undefined && r.offset < opts.firstOffset) continue;
        if (r.offset < info.baseOffset || r.offset > lastOffset) continue; // a malformed record's delta
        out.push({ offset: r.offset, magic, attributes: attrTs, timestamp: ts(r), key: r.key, value: r.value });
      }
      continue;
    }
    if (batch.records.length === 0) continue;
    const first = batch.records[0]!.offset;
    const last = batch.records[batch.records.length - 1]!;
    const inner = batch.records.map<LegacyMessage>((r) => ({
      offset: magic === 1 ? r.offset - first : r.offset,
      magic,
      attributes: attrTs,
      timestamp: ts(r),
      key: r.key,
      value: r.value,
    }));
    const innerSet = encodeLegacyMessageSet(inner);
    const value = codec === Compression.Lz4 && magic === 0 ? compressLz4(innerSet, true) : compress(codec, innerSet);
    let wrapperTs = NO_TIMESTAMP;
    if (magic === 1) wrapperTs = logAppend ? batch.maxTimestamp : inner.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), NO_TIMESTAMP);
    out.push({ offset: last.offset, magic, attributes: codec | attrTs, timestamp: wrapperTs, key: null, value });
  }
  return encodeLegacyMessageSet(out);
}

// Produce-side validation of v2 batches, on the hot path: header fields and the CRC only, no record
// decoding, no decompression. Mirrors Kafka's ProduceRequest.validateRecords, UnifiedLog's
// analyzeAndValidateRecords and LogValidator.validateBatch, in that order. Per-record checks
// (compressed batches, timestamp range, keys on compacted topics) are in batch-records.ts and
// src/handlers/produce-records.ts, which decides when they are needed.
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  BATCH_HEADER_SIZE,
  type BatchInfo,
  Compression,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_BATCH_LENGTH,
  batchCompression,
  batchCrcMatches,
  readBatchHeader,
} from './batch-header.js';
import { ErrorCodes, type RecordsErrorName } from './records-error.js';
import { codecUnavailable } from './optional-codecs.js';

/** length, attributes, timestampDelta, offsetDelta, key length, value length, header count: 1 byte each. */
const MIN_RECORD_BYTES = 7;

export interface ProduceValidationOptions {
  /** The topic's max.message.bytes; a larger batch gets MESSAGE_TOO_LARGE. */
  maxMessageBytes: number;
  /** False for Produce < v7, where Kafka refuses zstd with UNSUPPORTED_COMPRESSION_TYPE. Default true. */
  allowZstd?: boolean;
  /** Kafka accepts exactly one v2 batch per partition (INVALID_RECORD otherwise). Default 1. */
  maxBatches?: number;
}

export type ProduceValidation =
  | { ok: true; batches: BatchInfo[] }
  | { ok: false; errorCode: number; errorName: RecordsErrorName; message: string };

function fail(errorName: RecordsErrorName, message: string): ProduceValidation {
  return { ok: false, errorCode: ErrorCodes[errorName], errorName, message };
}

export function validateProduceRecords(buf: Buffer, opts: ProduceValidationOptions): ProduceValidation {
  if (buf.length === 0) return fail('INVALID_RECORD', 'produce request has no record batch for the partition');
  const maxBatches = opts.maxBatches ?? 1;
  // The usual single batch becomes a one-slot array at the end: `[]` + push would give it a
  // 16-slot backing store per request (issue 14, per-request garbage).
  let first: BatchInfo | null = null;
  let more: BatchInfo[] | null = null;
  let count = 0;
  let pos = 0;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining <= MAGIC_OFFSET) return fail('CORRUPT_MESSAGE', 'record data ends with a partial batch');
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 2) return fail('INVALID_RECORD', `record batch magic ${magic}; only magic 2 is accepted here`);
    if (remaining < BATCH_HEADER_SIZE) return fail('CORRUPT_MESSAGE', 'record data ends with a partial batch');
    const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return fail('CORRUPT_MESSAGE', `invalid batch length ${batchLength}`);
    const size = LOG_OVERHEAD + batchLength;
    if (size > remaining) return fail('CORRUPT_MESSAGE', 'record data ends with a partial batch');
    if (count === maxBatches) {
      return fail('INVALID_RECORD', `at most ${maxBatches} record batch(es) per partition are allowed`);
    }
    const b = readBatchHeader(buf, pos);
    const codec = batchCompression(b.attributes);
    if (codec > Compression.Zstd) return fail('CORRUPT_MESSAGE', `unknown compression codec ${codec}`);
    if (codec === Compression.Zstd && opts.allowZstd === false) {
      return fail('UNSUPPORTED_COMPRESSION_TYPE', 'this produce version cannot use zstd compression');
    }
    if (codec >= Compression.Lz4) {
      // An optional native codec that failed to install: refuse rather than store what this
      // broker could not later compact, convert or aggregate.
      const unavailable = codecUnavailable(codec);
      if (unavailable !== null) return fail('UNSUPPORTED_COMPRESSION_TYPE', unavailable);
    }
    if (b.baseOffset !== 0) return fail('INVALID_RECORD', `the batch baseOffset should be 0, but it is ${b.baseOffset}`);
    if (size > opts.maxMessageBytes) {
      return fail('MESSAGE_TOO_LARGE', `batch of ${size} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
    }
    if (!batchCrcMatches(buf, pos, size)) return fail('CORRUPT_MESSAGE', 'record batch CRC mismatch');
    if (b.lastOffsetDelta < 0) return fail('INVALID_RECORD', `invalid offset range, lastOffsetDelta ${b.lastOffsetDelta}`);
    if (b.recordsCount <= 0) return fail('INVALID_RECORD', `invalid record count ${b.recordsCount}`);
    // O(1) plausibility for uncompressed batches (their records are not walked on the fast path):
    // a record takes at least 7 bytes, so a larger count cannot be true and would later break
    // down-conversion for old consumers. Compressed batches are checked exactly after inflating.
    if (codec === Compression.None && b.recordsCount > (size - BATCH_HEADER_SIZE) / MIN_RECORD_BYTES) {
      return fail('INVALID_RECORD', `Incorrect declared batch size: ${b.recordsCount} records cannot fit in ${size - BATCH_HEADER_SIZE} bytes`);
    }
    if (b.lastOffsetDelta + 1 !== b.recordsCount) {
      return fail('INVALID_RECORD', `lastOffsetDelta ${b.lastOffsetDelta} inconsistent with record count ${b.recordsCount}`);
    }
    if ((b.attributes & ATTR_CONTROL) !== 0) return fail('INVALID_RECORD', 'clients may not write control batches');
    if (b.producerId >= 0 && b.baseSequence < 0) {
      return fail('INVALID_RECORD', `invalid sequence ${b.baseSequence} for producerId ${b.producerId}`);
    }
    if ((b.attributes & ATTR_TIMESTAMP_TYPE) !== 0) {
      return fail('INVALID_TIMESTAMP', 'producers may not set the timestamp type to LogAppendTime');
    }
    if (first === null) first = b;
    else (more ??= [first]).push(b);
    count++;
    pos += size;
  }
  return { ok: true, batches: more ?? (first === null ? [] : [first]) };
}

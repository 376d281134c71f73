// Record-level validation of one v2 batch, for the produce path when header checks are not
// enough: compressed batches (always, as Kafka's LogValidator decompresses them), and uncompressed
// batches only when the broker needs something from their records (see src/handlers/produce-records.ts).
//
// Decompression is bounded (see produceInflateLimit): a small batch that inflates to gigabytes
// ("decompression bomb") is refused with MESSAGE_TOO_LARGE before it can exhaust memory, and
// whatever is accepted here can later be decoded by the fetch down-conversion, whose limit
// (DEFAULT_MAX_DECOMPRESSED_BYTES) is never below this one.
import { BATCH_HEADER_SIZE, type BatchInfo, Compression, batchCompression } from './batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from './compression.js';
import { type RecordsSummary, walkRecords } from './record-walk.js';

const MiB = 1024 * 1024;
/** Floor of the inflation bound: room for 64x compression of a default 1 MiB batch. */
export const MIN_INFLATE_LIMIT = 64 * MiB;
/** Inflated bytes allowed per byte of max.message.bytes. */
export const INFLATE_RATIO = 16;

/**
 * How far one produced batch may decompress: max(16 x max.message.bytes, 64 MiB), capped at
 * DEFAULT_MAX_DECOMPRESSED_BYTES (256 MiB). With the default max.message.bytes (1 MiB) that is
 * 64 MiB: 64:1 compression, more than real producer batches reach, while a 1 MB gzip bomb (1000:1)
 * is cut off after 64 MiB of output.
 */
export function produceInflateLimit(maxMessageBytes: number): number {
  return Math.min(DEFAULT_MAX_DECOMPRESSED_BYTES, Math.max(MIN_INFLATE_LIMIT, INFLATE_RATIO * maxMessageBytes));
}

/**
 * Decompresses (if needed, within `maxInflatedBytes`) and walks the records of the batch `b` inside
 * `buf`. Throws RecordsError: MESSAGE_TOO_LARGE past the bound, CORRUPT_MESSAGE for undecodable
 * compressed data, INVALID_RECORD for malformed records or a record count that disagrees with the
 * header.
 */
export function inspectBatchRecords(buf: Buffer, b: BatchInfo, maxInflatedBytes: number): RecordsSummary {
  const codec = batchCompression(b.attributes);
  const start = b.position + BATCH_HEADER_SIZE;
  const stop = b.position + b.size;
  if (codec === Compression.None) return walkRecords(buf, start, stop, b.recordsCount, b.baseTimestamp);
  const body = decompress(codec, buf.subarray(start, stop), maxInflatedBytes);
  return walkRecords(body, 0, body.length, b.recordsCount, b.baseTimestamp);
}

// Broker-side recompression for a topic's compression.type (Kafka's LogValidator: when the target
// codec differs from the batch's, the records are decompressed, validated and written into a new
// batch). The records section of a v2 batch is encoded the same whatever the codec, so the new
// batch keeps every header field (offsets, timestamps, producer id/epoch/sequence, transactional
// and control flags) and only the codec bits, length, body and CRC change. Batches already in the
// target codec are copied as they are.
import { BATCH_HEADER_SIZE, type BatchInfo, Compression, LOG_OVERHEAD, OFF_ATTRIBUTES, OFF_BATCH_LENGTH, OFF_CRC, ATTR_COMPRESSION_MASK, batchCompression, computeBatchCrc, readBatchHeader } from './batch-header.js';
import { compress, decompress } from './compression.js';
import { walkRecords } from './record-walk.js';

export interface RecompressOptions {
  /** gzip/zstd level (compression.gzip.level, compression.zstd.level); undefined = codec default. */
  level?: number;
  /** Decompression bound for the source batches (see produceInflateLimit). */
  maxInflatedBytes: number;
}

/** True when some batch is not in `target` (and so recompressBatches would change `data`). */
export function needsRecompression(batches: readonly BatchInfo[], target: Compression): boolean {
  return batches.some((b) => batchCompression(b.attributes) !== target);
}

/**
 * Rewrites every batch of `data` whose codec is not `target` into `target`. Throws RecordsError
 * (CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE) when a source
 * batch cannot be read or the target codec is not available.
 */
export function recompressBatches(data: Buffer, batches: readonly BatchInfo[], target: Compression, opts: RecompressOptions): { data: Buffer; batches: BatchInfo[] } {
  const parts: Buffer[] = [];
  for (const b of batches) {
    const source = batchCompression(b.attributes);
    const batch = data.subarray(b.position, b.position + b.size);
    if (source === target) {
      parts.push(batch);
      continue;
    }
    const stored = batch.subarray(BATCH_HEADER_SIZE);
    const records = source === Compression.None ? stored : decompress(source, stored, opts.maxInflatedBytes);
    // Uncompressed records skipped the walk on the zero-decode path; check them before they are
    // sealed inside a compressed blob (compressed sources were walked by the produce checks, and
    // walking again is cheap next to the compression itself).
    walkRecords(records, 0, records.length, b.recordsCount, b.baseTimestamp);
    const body = target === Compression.None ? records : compress(target, records, { level: opts.level });
    const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    batch.copy(out, 0, 0, BATCH_HEADER_SIZE);
    body.copy(out, BATCH_HEADER_SIZE);
    out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_BATCH_LENGTH);
    out.writeInt16BE((b.attributes & ~ATTR_COMPRESSION_MASK) | target, OFF_ATTRIBUTES);
    out.writeUInt32BE(computeBatchCrc(out, 0, out.length), OFF_CRC);
    parts.push(out);
  }
  const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const rebuilt: BatchInfo[] = [];
  for (let pos = 0; pos < joined.length; ) {
    const h = readBatchHeader(joined, pos);
    rebuilt.push(h);
    pos += h.size;
  }
  return { data: joined, batches: rebuilt };
}

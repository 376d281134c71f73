// Whole batches of a rolled segment, in file order, as buffers the cleaner can decode (the read
// side of Kafka's Cleaner.cleanInto / buildOffsetMapForSegment). Reads in chunks of `chunkBytes`;
// a batch larger than a chunk is read on its own. Only bytes below `seg.writtenSize` are read.
// The caller holds seg.acquire() so retention cannot close the file underneath.
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_BATCH_LENGTH, scanBatches, type BatchInfo } from '../../../protocol/records/batch-header.js';
import type { LogSegment } from '../log-segment.js';
import { readAt } from '../segment-scan.js';

export const CLEANER_IO_CHUNK_BYTES = 1024 * 1024;

/** The segment's bytes do not parse as batches: the cleaner skips the log (Kafka marks it uncleanable). */
export class CleanerCorruptSegmentError extends Error {
  constructor(readonly path: string, readonly position: number, reason: string) {
    super(`cannot clean ${path}: ${reason} at position ${position}`);
    this.name = 'CleanerCorruptSegmentError';
  }
}

export interface SegmentBatch {
  /** `buf.subarray(info.position, info.position + info.size)` is the batch. */
  buf: Buffer;
  info: BatchInfo;
}

/** Every batch of the segment with its bytes; the CRC is checked later, when a batch is decoded. */
export async function* segmentBatches(seg: LogSegment, chunkBytes = CLEANER_IO_CHUNK_BYTES): AsyncGenerator<SegmentBatch> {
  const fh = await seg.handle();
  const end = seg.writtenSize;
  let pos = 0;
  while (pos < end) {
    const buf = await readAt(fh, pos, Math.min(chunkBytes, end - pos));
    const scan = scanBatches(buf, 0, buf.length, false);
    for (const info of scan.batches) yield { buf, info };
    pos += scan.validBytes;
    if (scan.error === null) {
      if (buf.length === 0) throw new CleanerCorruptSegmentError(seg.logPath, pos, 'short read');
      continue;
    }
    if (scan.error !== 'truncated' || scan.validBytes > 0) {
      if (scan.error !== 'truncated') throw new CleanerCorruptSegmentError(seg.logPath, pos, scan.error);
      continue; // the next chunk starts at the straddling batch
    }
    // A single batch bigger than the chunk: read it whole.
    if (buf.length < LOG_OVERHEAD + 5) throw new CleanerCorruptSegmentError(seg.logPath, pos, 'truncated batch');
    const size = LOG_OVERHEAD + buf.readInt32BE(OFF_BATCH_LENGTH);
    if (size < BATCH_HEADER_SIZE || size > end - pos) throw new CleanerCorruptSegmentError(seg.logPath, pos, 'bad batch length');
    const whole = await readAt(fh, pos, size);
    const one = scanBatches(whole, 0, whole.length, false);
    if (one.error !== null || one.batches.length !== 1) throw new CleanerCorruptSegmentError(seg.logPath, pos, one.error ?? 'bad batch');
    yield { buf: whole, info: one.batches[0]! };
    pos += size;
  }
}

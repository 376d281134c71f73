// Hot path of Fetch inside one segment: starting at an offset-index position, walk batch headers
// (never records) to find the byte range to return. Headers come from a chunk cursor: the first
// chunk is sized to cover the index gap plus the byte budget, so a typical fetch is one positioned
// read whose bytes are returned as-is (a subarray of that chunk).
//
// Fetch cursors read into pooled buffers (protocol/wire/buffer-pool.ts), not fresh ones: a fresh
// 1 MiB buffer per fetch cost page faults on every read and drove the garbage collector (27 % of
// the main thread while librdkafka consumed older data, issue 14). The cursor holds the lease of
// its current chunk; `take` hands the answer on as a lent view (the connection gives the
// reference back once the response is written) or, when small, as a copy, and `close` returns
// the chunk.
//
// Header fields used (offsets inside a batch, see protocol/records/batch-header.ts):
//   0 baseOffset int64 | 8 batchLength int32 | 16 magic int8 | 23 lastOffsetDelta int32 | 35 maxTimestamp int64
//
// No CRC here (hot path), but every header is checked structurally: magic 2, a length that fits the
// written bytes, lastOffsetDelta >= 0, and offsets in sequence (each base above the previous
// batch's last offset, all inside [segment base, segment next offset)). Damage on disk almost
// always breaks one of these; a walk that meets it throws SegmentCorruptError instead of skipping
// or stopping quietly (which left consumers stalled before a corrupt lastOffsetDelta).
import type { FileHandle } from 'node:fs/promises';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  readInt64,
} from '../../protocol/records/batch-header.js';
import { POOL_MAX_BYTES, lendView, type BufferLease, type BufferPool } from '../../protocol/wire/buffer-pool.js';
import { readAt, readInto } from './segment-scan.js';

const NEXT_CHUNK_BYTES = 64 * 1024;
/** Answers below this are copied out of the pooled chunk, which then goes straight back to the pool. */
export const LEND_MIN_BYTES = 16 * 1024;

/** A header in the file that cannot be a batch: a bad index entry or on-disk corruption. */
export class SegmentCorruptError extends Error {
  constructor(
    readonly segmentBaseOffset: number,
    readonly position: number,
    readonly reason: string,
    /** The offset the damaged batch should have started at (the one after the last good batch), -1 if unknown. */
    readonly expectedOffset = -1,
  ) {
    super(`corrupt batch header in segment ${segmentBaseOffset} at position ${position}: ${reason}`);
    this.name = 'SegmentCorruptError';
  }
}

/** Offsets a segment's batches must lie in: [baseOffset, nextOffset). */
export interface SegmentBounds {
  baseOffset: number;
  nextOffset: number;
}

const UNBOUNDED: SegmentBounds = { baseOffset: 0, nextOffset: Number.MAX_SAFE_INTEGER };

export class HeaderCursor {
  private buf: Buffer | null = null;
  private bufPos = 0;
  private nextChunk: number;
  /** Lease of the pooled buffer `buf` lives in (pooled cursors only). */
  private lease: BufferLease | null = null;

  constructor(
    private readonly fh: FileHandle,
    readonly limit: number,
    firstChunk: number,
    readonly bounds: SegmentBounds = UNBOUNDED,
    /** Read chunks into this pool's buffers; then the caller must `close()` the cursor. */
    private readonly pool: BufferPool | null = null,
  ) {
    this.nextChunk = firstChunk;
  }

  /** Ensures the 61 header bytes at `pos` are buffered; returns their index in `this.current`. */
  async header(pos: number): Promise<number> {
    const b = this.buf;
    if (b && pos >= this.bufPos && pos + BATCH_HEADER_SIZE <= this.bufPos + b.length) return pos - this.bufPos;
    const len = Math.min(this.limit - pos, Math.max(this.nextChunk, BATCH_HEADER_SIZE));
    this.nextChunk = NEXT_CHUNK_BYTES;
    this.close();
    const chunk = await this.read(pos, len);
    if (chunk.length < BATCH_HEADER_SIZE) throw new SegmentCorruptError(this.bounds.baseOffset, pos, 'short header');
    this.buf = chunk;
    this.bufPos = pos;
    return 0;
  }

  /** `len` bytes at `pos` (fewer at the file's end), pooled when the cursor pools; the lease is the cursor's. */
  private async read(pos: number, len: number): Promise<Buffer> {
    if (this.pool === null || len > POOL_MAX_BYTES || len <= 0) return readAt(this.fh, pos, len);
    const lease = this.pool.acquire(len);
    this.lease = lease;
    const n = await readInto(this.fh, lease.buffer.subarray(0, len), pos);
    return lease.buffer.subarray(0, n);
  }

  /** Starts from bytes already read at `pos` (a read-ahead), whose lease passes to the cursor. */
  adopt(lease: BufferLease, bytes: Buffer, pos: number): void {
    this.close();
    this.lease = lease;
    this.buf = bytes;
    this.bufPos = pos;
    this.nextChunk = NEXT_CHUNK_BYTES;
  }

  get current(): Buffer {
    return this.buf!;
  }

  /** The bytes [start, end) if the current chunk holds them all. */
  slice(start: number, end: number): Buffer | null {
    const b = this.buf;
    if (!b || start < this.bufPos || end > this.bufPos + b.length) return null;
    return b.subarray(start - this.bufPos, end - this.bufPos);
  }

  /**
   * The bytes [start, end) for a reader that outlives the cursor: a view of the chunk lent to the
   * reader (see lendView) when the chunk is pooled and the answer large, a copy when it is small,
   * a fresh read when the chunk does not hold them (pooled and lent the same way).
   */
  async take(start: number, end: number): Promise<Buffer> {
    const inChunk = this.slice(start, end);
    if (inChunk !== null) return this.handOver(inChunk);
    this.close();
    const len = end - start;
    const bytes = await this.read(start, len);
    this.buf = bytes;
    this.bufPos = start;
    return this.handOver(bytes);
  }

  private handOver(view: Buffer): Buffer {
    if (this.lease === null) return view;
    if (view.length < LEND_MIN_BYTES) return Buffer.from(view);
    lendView(view);
    return view;
  }

  /** Gives the current chunk back to the pool (lent views keep it referenced until written). */
  close(): void {
    const lease = this.lease;
    if (lease === null) return;
    this.lease = null;
    this.buf = null;
    lease.release();
  }
}

interface Header {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/**
 * The header at `pos`, checked structurally. `prevLast` is the last offset of the batch before it in
 * this walk (-1 at the walk's first batch); `expectLast` (>= 0) is what the offset index says the
 * first batch's last offset is.
 */
async function headerAt(cursor: HeaderCursor, pos: number, prevLast: number, expectLast = -1): Promise<Header> {
  if (cursor.limit - pos < BATCH_HEADER_SIZE) throw corruptAt(cursor, pos, prevLast, 'header past end');
  const i = await cursor.header(pos);
  const buf = cursor.current;
  const batchLength = buf.readInt32BE(i + OFF_BATCH_LENGTH);
  const size = LOG_OVERHEAD + batchLength;
  const lastDelta = buf.readInt32BE(i + OFF_LAST_OFFSET_DELTA);
  if (buf.readInt8(i + MAGIC_OFFSET) !== 2) throw corruptAt(cursor, pos, prevLast, 'bad magic');
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || size > cursor.limit - pos) throw corruptAt(cursor, pos, prevLast, 'bad length');
  if (lastDelta < 0) throw corruptAt(cursor, pos, prevLast, 'bad lastOffsetDelta');
  const baseOffset = readInt64(buf, i);
  const lastOffset = baseOffset + lastDelta;
  const bounds = cursor.bounds;
  if (baseOffset < bounds.baseOffset || baseOffset <= prevLast || lastOffset >= bounds.nextOffset) throw corruptAt(cursor, pos, prevLast, 'offset out of sequence');
  if (expectLast >= 0 && prevLast < 0 && lastOffset !== expectLast) throw corruptAt(cursor, pos, prevLast, 'offset disagrees with the offset index');
  return { baseOffset, lastOffset, size, maxTimestamp: readInt64(buf, i + OFF_MAX_TIMESTAMP) };
}

function corruptAt(cursor: HeaderCursor, pos: number, prevLast: number, reason: string): SegmentCorruptError {
  return new SegmentCorruptError(cursor.bounds.baseOffset, pos, reason, prevLast >= 0 ? prevLast + 1 : -1);
}

export interface ByteRange {
  /** A batch with lastOffset >= fetchOffset exists in the scanned bytes. */
  found: boolean;
  start: number;
  end: number;
  nextOffset: number;
}

/**
 * Range of whole batches: first the batch containing fetchOffset (or the next one), then following
 * batches while the total stays <= maxBytes. Batches whose last offset >= maxOffset are excluded
 * (Kafka: the read stops at the batch containing maxOffset). With minOneMessage the first batch
 * is returned even if larger than maxBytes.
 */
export async function walkRange(
  cursor: HeaderCursor,
  from: number,
  fetchOffset: number,
  maxBytes: number,
  maxOffset: number,
  minOneMessage: boolean,
  expectLast = -1,
): Promise<ByteRange> {
  let pos = from;
  let start = -1;
  let nextOffset = fetchOffset;
  let prevLast = -1;
  while (pos < cursor.limit) {
    let h: Header;
    try {
      h = await headerAt(cursor, pos, prevLast, expectLast);
    } catch (e) {
      // Damage after some good batches: return those; the next fetch starts at the damage and
      // gets the error. A consumer thus reads everything up to the damaged batch.
      if (e instanceof SegmentCorruptError && start >= 0 && pos > start) break;
      throw e;
    }
    prevLast = h.lastOffset;
    if (start < 0) {
      if (h.lastOffset < fetchOffset) {
        pos += h.size;
        continue;
      }
      if (h.lastOffset >= maxOffset || (h.size > maxBytes && !minOneMessage)) return { found: true, start: pos, end: pos, nextOffset };
      start = pos;
    } else if (h.lastOffset >= maxOffset || pos + h.size - start > maxBytes) {
      break;
    }
    nextOffset = h.lastOffset + 1;
    pos += h.size;
  }
  if (start < 0) return { found: false, start: pos, end: pos, nextOffset };
  return { found: true, start, end: pos, nextOffset };
}

/** First batch with lastOffset >= target. */
export async function walkToOffset(cursor: HeaderCursor, from: number, target: number): Promise<{ position: number; baseOffset: number } | null> {
  let pos = from;
  let prevLast = -1;
  while (pos < cursor.limit) {
    const h = await headerAt(cursor, pos, prevLast);
    prevLast = h.lastOffset;
    if (h.lastOffset >= target) return { position: pos, baseOffset: h.baseOffset };
    pos += h.size;
  }
  return null;
}

/** First batch with maxTimestamp >= target and lastOffset >= startingOffset. */
export async function walkToTimestamp(cursor: HeaderCursor, from: number, target: number, startingOffset: number): Promise<Header | null> {
  let pos = from;
  let prevLast = -1;
  while (pos < cursor.limit) {
    const h = await headerAt(cursor, pos, prevLast);
    prevLast = h.lastOffset;
    if (h.maxTimestamp >= target && h.lastOffset >= startingOffset) return h;
    pos += h.size;
  }
  return null;
}

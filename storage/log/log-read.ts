// Read-side helpers of PartitionLog that only need a snapshot of the segment list: segment floor
// search, one segment's fetch with the "bad index → rebuild once" fallback, timestamp search.
import type { LogSegment, SegmentRead } from './log-segment.js';
import type { StorageLogger } from './logger.js';
import { SegmentCorruptError } from './segment-read.js';

const EMPTY = Buffer.alloc(0);

/** Index of the last segment with baseOffset <= offset (0 if none). */
export function floorSegment(segs: LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Reads one segment (caller holds seg.acquire()). 'error': corrupt data on disk (this read fails);
 * 'io-error': the file system failed (the log goes offline).
 */
export async function readSegment(
  seg: LogSegment,
  isActive: boolean,
  fetchOffset: number,
  maxBytes: number,
  bound: number,
  minOne: boolean,
  intervalBytes: number,
  logger: StorageLogger,
): Promise<SegmentRead | 'error' | 'io-error'> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await seg.read(fetchOffset, maxBytes, bound, minOne, intervalBytes);
    } catch (e) {
      if (seg.deleted) return { records: EMPTY, nextOffset: fetchOffset, found: true }; // raced with retention
      // A header that is not a batch: on an immutable segment, suspect the index and rebuild it once.
      if (e instanceof SegmentCorruptError && attempt === 0 && !isActive && seg.writtenSize === seg.size) {
        logger.warn('bad index lookup; rebuilding segment indexes', { path: seg.logPath });
        await seg.rebuildIndexes(false, intervalBytes).catch(() => {});
        seg.onBecomeInactive();
        await seg.persistIndexes(false).catch(() => {});
        continue;
      }
      logger.error('read failed', { path: seg.logPath, err: String(e) });
      return e instanceof SegmentCorruptError ? 'error' : 'io-error';
    }
  }
}

/**
 * ListOffsets by timestamp: the first batch whose max timestamp >= ts. We do not decode records,
 * so the offset is the batch's base offset (Kafka returns the first matching record's offset,
 * which is inside that batch) and the timestamp is the batch's max timestamp. The caller bounds
 * the answer by HW/LSO like Kafka does.
 */
export async function findOffsetForTimestamp(
  segs: LogSegment[],
  timestamp: number,
  logStartOffset: number,
): Promise<{ offset: number; timestamp: number } | null> {
  for (const seg of segs) {
    if (seg.maxTimestamp < timestamp || seg.nextOffset <= logStartOffset) continue;
    seg.acquire();
    try {
      const r = await seg.findByTimestamp(timestamp, logStartOffset);
      if (r) return r;
    } catch (e) {
      if (seg.deleted) continue;
      throw e;
    } finally {
      seg.release();
    }
  }
  return null;
}

/** ListOffsets MAX_TIMESTAMP (-3): the largest timestamp and the base offset of its batch. */
export function maxTimestampOf(segs: LogSegment[]): { timestamp: number; offset: number } {
  let best = { timestamp: -1, offset: -1 };
  for (const seg of segs) {
    if (seg.maxTimestamp > best.timestamp) best = { timestamp: seg.maxTimestamp, offset: seg.offsetOfMaxTimestamp };
  }
  return best;
}

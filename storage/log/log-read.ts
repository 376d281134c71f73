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
 * Reads one segment (caller holds seg.acquire()). A SegmentCorruptError: a batch on disk fails the
 * structural checks (this read fails with CORRUPT_MESSAGE, the log stays online, as in Kafka);
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
): Promise<SegmentRead | SegmentCorruptError | 'io-error'> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await seg.read(fetchOffset, maxBytes, bound, minOne, intervalBytes);
    } catch (e) {
      if (seg.deleted) return { records: EMPTY, nextOffset: fetchOffset, found: true }; // raced with retention
      if (!(e instanceof SegmentCorruptError)) {
        logger.error('read failed', { path: seg.logPath, err: String(e) });
        return 'io-error';
      }
      // On an immutable segment the index may be what is wrong: rebuild it from the log once. If
      // the log itself does not scan cleanly, the damage is real and the read reports it.
      if (attempt === 0 && !isActive && !seg.damaged && seg.writtenSize === seg.size) {
        const scan = await seg.rebuildIndexes(false, intervalBytes).catch(() => null);
        if (scan !== null && scan.error === null) {
          logger.warn('bad index lookup; rebuilt segment indexes', { path: seg.logPath });
          seg.onBecomeInactive();
          await seg.persistIndexes(false).catch(() => {});
          continue;
        }
      }
      return e;
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

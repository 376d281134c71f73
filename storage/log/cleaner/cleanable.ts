// Which part of a log may be cleaned and how urgent it is (Kafka's LogCleanerManager
// cleanableOffsets / maxCompactionDelay) and which segments are merged into one cleaned segment
// (Cleaner.groupSegmentsBySize). Pure functions over a snapshot of the segment list.
//
//   logStart          firstDirty (checkpoint)       firstUncleanable          active
//   [ clean segments ][ dirty, cleanable segments ][ too new / unstable ... ][ active ]
//
// firstUncleanable is a segment boundary: the first segment from firstDirty on that is the active
// one, or is not wholly below the last stable offset (Kafka may clean up to the LSO inside a
// segment; we wait for the whole segment), or holds a record newer than min.compaction.lag.ms.
// dirty ratio = cleanable bytes / (clean + cleanable bytes).
import type { LogSegment } from '../log-segment.js';

export interface CleanableRange {
  firstDirtyOffset: number;
  /** Segment boundary; == firstDirtyOffset when nothing is cleanable. */
  firstUncleanableOffset: number;
  /** The checkpoint was out of range (below the log start or past the end) and must be rewritten. */
  resetCheckpoint: boolean;
}

export interface LogView {
  segments: readonly LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  lastStableOffset: number;
  minCompactionLagMs: number;
}

export function cleanableOffsets(view: LogView, checkpoint: number | undefined, now: number): CleanableRange {
  const { segments, logStartOffset } = view;
  let firstDirty = checkpoint ?? logStartOffset;
  let resetCheckpoint = false;
  if (firstDirty < logStartOffset || firstDirty > view.logEndOffset) {
    firstDirty = logStartOffset;
    resetCheckpoint = checkpoint !== undefined;
  }
  const minLag = Math.max(0, view.minCompactionLagMs);
  let firstUncleanable = firstDirty;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const end = segments[i + 1]!.baseOffset;
    if (end <= firstDirty) continue;
    if (end > view.lastStableOffset) break;
    if (minLag > 0 && seg.largestTimestamp > now - minLag) break;
    firstUncleanable = end;
  }
  return { firstDirtyOffset: firstDirty, firstUncleanableOffset: Math.max(firstDirty, firstUncleanable), resetCheckpoint };
}

/** Segments overlapping [from, to). */
export function segmentsBetween(segments: readonly LogSegment[], from: number, to: number): LogSegment[] {
  const out: LogSegment[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const end = i + 1 < segments.length ? segments[i + 1]!.baseOffset : Number.MAX_SAFE_INTEGER;
    if (s.baseOffset < to && end > from) out.push(s);
  }
  return out;
}

export interface DirtyStats {
  cleanBytes: number;
  cleanableBytes: number;
  /** cleanable / (clean + cleanable); 0 for an empty log. */
  ratio: number;
}

export function dirtyStats(segments: readonly LogSegment[], range: CleanableRange): DirtyStats {
  let cleanBytes = 0;
  let cleanableBytes = 0;
  for (const s of segmentsBetween(segments, -1, range.firstDirtyOffset)) cleanBytes += s.size;
  if (range.firstUncleanableOffset > range.firstDirtyOffset) {
    for (const s of segmentsBetween(segments, range.firstDirtyOffset, range.firstUncleanableOffset)) cleanableBytes += s.size;
  }
  const total = cleanBytes + cleanableBytes;
  return { cleanBytes, cleanableBytes, ratio: total === 0 ? 0 : cleanableBytes / total };
}

/**
 * Kafka's maxCompactionDelay: how far past max.compaction.lag.ms the oldest dirty record is (ms),
 * 0 if not overdue. `firstBatchTimestamp` gives a segment's first batch max timestamp (-1 unknown).
 */
export async function maxCompactionDelay(
  segments: readonly LogSegment[],
  firstDirty: number,
  now: number,
  maxCompactionLagMs: number,
  firstBatchTimestamp: (seg: LogSegment) => Promise<number>,
): Promise<number> {
  if (maxCompactionLagMs >= Number.MAX_SAFE_INTEGER) return 0;
  let earliest = Number.MAX_SAFE_INTEGER;
  for (const s of segmentsBetween(segments.slice(0, -1), firstDirty, Number.MAX_SAFE_INTEGER)) {
    if (s.size === 0) continue;
    const ts = await firstBatchTimestamp(s);
    if (ts > 0 && ts < earliest) earliest = ts;
  }
  const cleanUntil = now - Math.max(0, maxCompactionLagMs);
  return earliest < cleanUntil ? cleanUntil - earliest : 0;
}

export interface GroupLimits {
  /** segment.bytes: a cleaned segment never grows past this. */
  maxSize: number;
  /** segment.index.bytes */
  maxIndexSize: number;
  /** index.interval.bytes, to estimate index entries from sizes. */
  indexIntervalBytes: number;
}

const INT32_MAX = 0x7fffffff;
/** Time index entries are the larger (12 bytes). */
const INDEX_ENTRY_BYTES = 12;

/**
 * Kafka's groupSegmentsBySize, decided as the cleaned segment is written: the next segment joins
 * the group if the cleaned bytes so far plus its whole (uncleaned) size fit in one segment, the
 * indexes would still fit, and its offsets stay within int32 of the group's base offset. Kafka
 * sums the uncleaned sizes; summing what was actually written lets one pass merge many shrunken
 * segments (the bound still holds: the cleaned output is never larger than the input).
 */
export function canJoinGroup(
  groupBase: number,
  writtenBytes: number,
  indexEntries: number,
  next: LogSegment,
  nextEnd: number,
  limits: GroupLimits,
): boolean {
  const interval = Math.max(1, limits.indexIntervalBytes);
  if (writtenBytes + next.size > limits.maxSize) return false;
  if ((indexEntries + Math.floor(next.size / interval) + 2) * INDEX_ENTRY_BYTES > limits.maxIndexSize) return false;
  return nextEnd - 1 - groupBase <= INT32_MAX;
}

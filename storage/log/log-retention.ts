// Which leading segments may go (Kafka's UnifiedLog.deletableSegments): walk from the oldest while
// the predicate holds, never past the high watermark (the log start must not pass it) and never
// an empty last segment. When every segment qualifies the caller rolls a fresh one first.
import type { LogSegment } from './log-segment.js';

export type DeletePredicate = (seg: LogSegment, next: LogSegment | undefined) => boolean;

export function countDeletable(segs: LogSegment[], highWatermark: number, logEndOffset: number, pred: DeletePredicate): number {
  let n = 0;
  for (; n < segs.length; n++) {
    const seg = segs[n]!;
    const next = segs[n + 1];
    const upper = next ? next.baseOffset : logEndOffset;
    if (!next && seg.size === 0) break;
    if (highWatermark < upper || !pred(seg, next)) break;
  }
  return n;
}

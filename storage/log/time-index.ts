// Sparse time index (Kafka's TimeIndex format): an entry is added at the offset-index interval when
// the segment's max timestamp has grown past the last indexed one, and once more when the segment
// is rolled or closed, so the last entry is the segment's max timestamp.
//
// Entry layout (12 bytes, big endian):
//   0  timestamp       int64   max timestamp of the segment up to this point
//   8  relativeOffset  int32   base offset of the first batch that reached it - segment baseOffset
//
// Every batch before the entry's batch has a smaller timestamp, so the search for the first batch
// with maxTimestamp >= target can start at the greatest entry with timestamp <= target.
// (Kafka stores the batch's last offset here; we store its base offset so that ListOffsets
// MAX_TIMESTAMP points at a batch that contains the record. Both are valid starting points.)
import { readInt64, writeInt64 } from '../../protocol/records/batch-header.js';
import { IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, data: Buffer | null = null) {
    super(path, baseOffset, TIME_INDEX_ENTRY_SIZE, data);
  }

  timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY_SIZE);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
  }

  /** The last entry, or timestamp -1 at the base offset when empty. */
  lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  /** Appends if `timestamp` is greater than the last indexed timestamp (and not before its offset). */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastEntry();
    if (timestamp <= last.timestamp) return;
    if (this.count > 0 && offset < last.offset) return;
    const at = this.reserveEntry();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** Offset to start searching from for the first batch with maxTimestamp >= target. */
  lookup(target: number): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.timestampAt(found), offset: this.offsetAt(found) };
  }

  /** Removes entries whose batch starts at or after `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
  }

  /** Whole entries, strictly increasing timestamps, non-decreasing offsets inside the segment. */
  isValid(nextOffset: number): boolean {
    let prevTs = -1;
    let prevRel = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestampAt(i);
      const rel = this.buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (ts <= prevTs || rel < prevRel || rel < 0 || this.baseOffset + rel >= nextOffset) return false;
      prevTs = ts;
      prevRel = rel;
    }
    return true;
  }
}

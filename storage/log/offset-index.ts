// Sparse offset index: maps the last offset of a batch to the file position where that batch
// starts, one entry every index.interval.bytes (Kafka's OffsetIndex, same on-disk format).
//
// Entry layout (8 bytes, big endian):
//   0  relativeOffset  int32   batch lastOffset - segment baseOffset
//   4  position        int32   byte position of the batch in the .log file
//
// Lookup(target) returns the greatest entry with offset <= target: every batch before that position
// ends below target, so a forward header scan from there finds the batch containing target.
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, data: Buffer | null = null) {
    super(path, baseOffset, OFFSET_INDEX_ENTRY_SIZE, data);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  /** Callers guarantee offset > lastEntry().offset and position > the last position. */
  append(offset: number, position: number): void {
    const at = this.reserveEntry();
    this.buf.writeInt32BE(offset - this.baseOffset, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** Index of the greatest entry with offset <= target, or -1. */
  private floorSlot(target: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsetAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  lookup(target: number): OffsetPosition {
    const slot = this.floorSlot(target);
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.offsetAt(slot), position: this.positionAt(slot) };
  }

  /** Removes entries for batches at or past `position` (the log is being truncated there). */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positionAt(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  /**
   * Checks the structure against the segment it belongs to: whole entries, strictly increasing
   * offsets and positions, positions inside the log file. Kafka only checks the last entry.
   */
  isValid(logSize: number): boolean {
    let prevOff = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const pos = this.positionAt(i);
      if (rel < 0 || rel <= prevOff || pos <= prevPos || pos >= logSize) return false;
      prevOff = rel;
      prevPos = pos;
    }
    return true;
  }
}

// Leader epoch → start offset (Kafka's LeaderEpochFileCache). The leader records the first offset
// it wrote in each new epoch; followers use OffsetForLeaderEpoch against it to find where their
// log diverged. Entries have strictly increasing epochs and start offsets. Every change is
// persisted to leader-epoch-checkpoint in the background (coalesced: only the newest state is
// written); a lost write is repaired at recovery, which re-derives epochs from batch headers.
import { readLeaderEpochCheckpoint, writeLeaderEpochCheckpoint, type EpochEntry } from './checkpoint-file.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private writing: Promise<void> | null = null;
  private dirty = false;
  private lastError: unknown = null;

  private constructor(readonly path: string) {}

  /** `sync`: read with a synchronous call (the loader at start-up). */
  static async load(path: string, sync = false): Promise<LeaderEpochCache> {
    const c = new LeaderEpochCache(path);
    const entries = (await readLeaderEpochCheckpoint(path, sync)) ?? [];
    for (const e of entries) c.assignNoFlush(e.epoch, e.startOffset);
    return c;
  }

  all(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1]!.epoch : UNDEFINED_EPOCH;
  }

  /** Returns true if the cache changed. */
  private assignNoFlush(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) return false;
    const last = this.entries[this.entries.length - 1];
    if (last && last.epoch === epoch && last.startOffset <= startOffset) return false;
    // Drop entries that conflict: same or later epoch, or same or later start offset.
    while (this.entries.length) {
      const l = this.entries[this.entries.length - 1]!;
      if (l.epoch >= epoch || l.startOffset >= startOffset) this.entries.pop();
      else break;
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** Records that `epoch` starts at `startOffset` (no-op unless it is a new, later epoch). */
  assign(epoch: number, startOffset: number): void {
    if (this.assignNoFlush(epoch, startOffset)) this.scheduleFlush();
  }

  /** Removes entries starting at or after endOffset (log truncated to endOffset). */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    while (this.entries.length && this.entries[this.entries.length - 1]!.startOffset >= endOffset) this.entries.pop();
    if (this.entries.length !== before) this.scheduleFlush();
  }

  /** Log start moved to startOffset: drop older entries, keeping the epoch in force at startOffset. */
  truncateFromStart(startOffset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= startOffset) i++;
    let changed = i > 0;
    if (i > 0) this.entries.splice(0, i);
    const first = this.entries[0];
    if (first && first.startOffset < startOffset) {
      first.startOffset = startOffset;
      changed = true;
    }
    if (changed) this.scheduleFlush();
  }

  clear(): void {
    if (this.entries.length) {
      this.entries = [];
      this.scheduleFlush();
    }
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor. */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.entries.length && this.latestEpoch() === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requestedEpoch);
    if (!higher) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requestedEpoch) floor = e;
    return { epoch: floor ? floor.epoch : requestedEpoch, endOffset: higher.startOffset };
  }

  private scheduleFlush(): void {
    this.dirty = true;
    if (!this.writing) this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeLeaderEpochCheckpoint(this.path, this.all());
          this.lastError = null;
        } catch (e) {
          this.lastError = e;
        }
      }
    } finally {
      this.writing = null;
    }
  }

  /** Waits for pending checkpoint writes; rejects with the last write error, if any. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.lastError) throw this.lastError;
  }
}

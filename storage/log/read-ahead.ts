// Read-ahead for consumers reading a segment sequentially (issue 14, fetch of older data).
//
// A consumer catching up fetches one range, processes it, fetches the next one. Without
// read-ahead each fetch waits for its positioned read on the thread pool while the event loop is
// idle (profile: the main thread was busy ~35 % of a librdkafka consume); with it, the read of the
// next range runs while the previous response is written and the client parses it, and the next
// fetch finds its bytes ready. Kafka gets the same overlap from the kernel (sendfile plus the page
// cache's own read-ahead); Node has no sendfile.
//
// Only after a read that itself started at a remembered position (a reader seen reading on), only
// within the segment's written bytes, into pooled buffers, and bounded twice: a few per segment
// and a byte budget for the process, evicted oldest first. A read-ahead nobody takes costs one
// read and holds its buffer until evicted. Eviction or a truncation while the read is in flight
// waits for it to finish before the buffer goes back to the pool (the kernel is writing into it).
import type { FileHandle } from 'node:fs/promises';
import type { BufferLease, BufferPool } from '../../protocol/wire/buffer-pool.js';
import { readInto } from './segment-scan.js';

export const DEFAULT_READ_AHEAD_BYTES = 32 * 1024 * 1024;
/** Read-aheads per segment: one per consumer reading it, for a few consumers. */
const PER_SEGMENT = 4;

export class ReadAhead {
  /** Bytes read (≤ the requested length; fewer at the file's end), or -1 when the read failed. */
  readonly done: Promise<number>;
  private dropped = false;
  private finished = false;
  /** @internal Index in the budget's FIFO is not kept; `live` says whether it still counts. */
  live = true;

  constructor(
    readonly owner: SegmentReadAheads,
    readonly offset: number,
    readonly position: number,
    readonly generation: number,
    readonly lease: BufferLease,
    readonly length: number,
    fh: FileHandle,
    onSettled: () => void,
  ) {
    this.done = readInto(fh, lease.buffer.subarray(0, length), position).then(
      (n) => n,
      () => -1,
    );
    void this.done.then(() => {
      this.finished = true;
      onSettled();
      if (this.dropped) this.lease.release();
    });
  }

  /** Nobody will take it: the buffer goes back once the read is over. */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    if (this.finished) this.lease.release();
  }
}

/** The process-wide byte budget of read-aheads, oldest evicted first. */
export class ReadAheadBudget {
  private readonly fifo: ReadAhead[] = [];
  private used = 0;
  started = 0;
  taken = 0;

  constructor(
    readonly maxBytes: number,
    readonly pool: BufferPool,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  /** @internal */
  add(r: ReadAhead): void {
    this.started++;
    this.fifo.push(r);
    this.used += r.length;
    while (this.used > this.maxBytes && this.fifo.length > 0) {
      const old = this.fifo.shift()!;
      if (old.live) old.owner.evict(old);
    }
  }

  /** @internal `r` left its segment (taken, evicted, forgotten). */
  remove(r: ReadAhead): void {
    if (!r.live) return;
    r.live = false;
    this.used -= r.length;
    const i = this.fifo.indexOf(r);
    if (i >= 0) this.fifo.splice(i, 1);
  }
}

/** One segment's read-aheads. */
export class SegmentReadAheads {
  private entries: ReadAhead[] = [];

  constructor(private readonly budget: ReadAheadBudget) {}

  get pending(): number {
    return this.entries.length;
  }

  /**
   * Starts reading `length` bytes at `position` for a reader expected to ask for `offset` next.
   * `hold` / `unhold` keep the segment's file open meanwhile (LogSegment.acquire / release).
   */
  start(fh: FileHandle, offset: number, position: number, length: number, generation: number, hold: () => void, unhold: () => void): void {
    if (this.budget.maxBytes <= 0 || length > this.budget.maxBytes) return;
    if (this.entries.some((e) => e.offset === offset)) return;
    if (this.entries.length >= PER_SEGMENT) this.evict(this.entries[0]!);
    hold();
    const r = new ReadAhead(this, offset, position, generation, this.budget.pool.acquire(length), length, fh, unhold);
    this.entries.push(r);
    this.budget.add(r);
  }

  /** The read-ahead for `offset` at `position` made in `generation`, now the caller's (it owns the lease), or null. */
  take(offset: number, position: number, generation: number): ReadAhead | null {
    const i = this.entries.findIndex((e) => e.offset === offset);
    if (i < 0) return null;
    const r = this.entries[i]!;
    this.entries.splice(i, 1);
    this.budget.remove(r);
    if (r.position !== position || r.generation !== generation) {
      r.drop();
      return null;
    }
    this.budget.taken++;
    return r;
  }

  /** @internal */
  evict(r: ReadAhead): void {
    const i = this.entries.indexOf(r);
    if (i >= 0) this.entries.splice(i, 1);
    this.budget.remove(r);
    r.drop();
  }

  /** Truncation, rebuild, close: every read-ahead goes. */
  clear(): void {
    for (const r of this.entries) {
      this.budget.remove(r);
      r.drop();
    }
    this.entries = [];
  }
}

let shared: ReadAheadBudget | null = null;

/** The process's read-ahead budget (DEFAULT_READ_AHEAD_BYTES of pooled buffers). */
export function sharedReadAheadBudget(pool: BufferPool): ReadAheadBudget {
  shared ??= new ReadAheadBudget(DEFAULT_READ_AHEAD_BYTES, pool);
  return shared;
}

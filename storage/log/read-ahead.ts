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
//
// Two ranges deep: once the next range is read, the batch headers in it say where the range
// after it starts (the same byte budget from there), and that one is read too. One range ahead
// was often not enough on a loaded machine: the thread pool's read of the next range had to
// finish within one client round trip, and a third of the fetches waited for it (issue 14). A
// second range guessed wrong (the reader's bound cut the first range shorter) is never taken,
// since a take needs the exact offset and file position the reader's own walk ended at.
import type { FileHandle } from 'node:fs/promises';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA, readInt64 } from '../../protocol/records/batch-header.js';
import type { BufferLease, BufferPool } from '../../protocol/wire/buffer-pool.js';
import { readInto } from './segment-scan.js';

export const DEFAULT_READ_AHEAD_BYTES = 32 * 1024 * 1024;
/** Read-aheads per segment: two per consumer reading it, for a few consumers. */
const PER_SEGMENT = 8;

/** Where the owning segment's bytes may be read ahead: the readable end, or -1 (generation moved on, closing, deleted). */
export type ReadableEnd = (generation: number) => number;

export class ReadAhead {
  /** Bytes read (≤ the requested length; fewer at the file's end), or -1 when the read failed. */
  readonly done: Promise<number>;
  private dropped = false;
  private finished = false;
  /** Bytes read, once finished. */
  private bytesRead = -1;
  /** @internal Index in the budget's FIFO is not kept; `live` says whether it still counts. */
  live = true;
  /** @internal Once read, read the range after this one too (see SegmentReadAheads.chain). */
  chain: boolean;

  constructor(
    readonly owner: SegmentReadAheads,
    readonly offset: number,
    readonly position: number,
    readonly generation: number,
    readonly lease: BufferLease,
    readonly length: number,
    readonly fh: FileHandle,
    readonly hold: () => void,
    readonly unhold: () => void,
    chain: boolean,
  ) {
    this.chain = chain;
    hold();
    this.done = readInto(fh, lease.buffer.subarray(0, length), position).then(
      (n) => n,
      () => -1,
    );
    void this.done.then((n) => {
      this.finished = true;
      this.bytesRead = n;
      // Chain before letting go of the segment: a close waiting for idle waits for that read too.
      if (!this.dropped && this.live && this.chain) owner.chain(this);
      unhold();
      if (this.dropped) this.lease.release();
    });
  }

  /** The read is over: the bytes read (-1 on failure), else null. */
  get readBytes(): number | null {
    return this.finished ? this.bytesRead : null;
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
  /** Taken with the read already over (the reader did not wait). */
  takenReady = 0;

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

  constructor(
    private readonly budget: ReadAheadBudget,
    private readonly readableEnd: ReadableEnd,
    /** Ranges shorter than this are not read ahead (the answer would be copied anyway). */
    private readonly minBytes: number,
  ) {}

  get pending(): number {
    return this.entries.length;
  }

  /** Pending read-aheads whose read is over (tests). */
  get pendingRead(): number {
    return this.entries.filter((e) => e.readBytes !== null).length;
  }

  /**
   * Starts reading `length` bytes at `position` for a reader expected to ask for `offset` next,
   * and, once read, the range after it. When that range is already being read (chained from the
   * previous one), chains from it instead. `hold` / `unhold` keep the segment's file open
   * meanwhile (LogSegment.acquire / release).
   */
  start(fh: FileHandle, offset: number, position: number, length: number, generation: number, hold: () => void, unhold: () => void, chain = true): void {
    if (this.budget.maxBytes <= 0 || length > this.budget.maxBytes) return;
    const existing = this.entries.find((e) => e.offset === offset);
    if (existing !== undefined) {
      if (chain && !existing.chain && existing.position === position && existing.generation === generation) {
        if (existing.readBytes === null) existing.chain = true;
        else this.chain(existing);
      }
      return;
    }
    if (this.entries.length >= PER_SEGMENT) this.evict(this.entries[0]!);
    const r = new ReadAhead(this, offset, position, generation, this.budget.pool.acquire(length), length, fh, hold, unhold, chain);
    this.entries.push(r);
    this.budget.add(r);
  }

  /**
   * @internal `r` is read: read the range a reader taking it will ask for next (once). Only for
   * a reader two whole ranges behind the readable end (catching up): nearer the end, a bound
   * below it (the high watermark, the LSO) may cut `r`'s range short, and the guess would be a
   * wasted read per fetch.
   */
  chain(r: ReadAhead): void {
    r.chain = false;
    const n = r.readBytes;
    if (n === null || n < r.length) return;
    const next = rangeEnd(r.lease.buffer, n, r.length);
    if (next === null) return;
    const position = r.position + next.bytes;
    const end = this.readableEnd(r.generation);
    if (end < 0 || end - position < Math.max(r.length, this.minBytes)) return;
    this.start(r.fh, next.nextOffset, position, r.length, r.generation, r.hold, r.unhold, false);
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
    if (r.readBytes !== null) this.budget.takenReady++;
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

/**
 * Where a walk over `bytes[0, n)` with byte budget `maxBytes` ends (whole batches only, at least
 * one): the offset after its last batch and its length in bytes, or null when the first batch is
 * not whole in `n` bytes. Headers are trusted only as far as needed to step (a reader's own walk
 * checks them before any byte is served; a wrong guess here is a range nobody takes).
 */
export function rangeEnd(bytes: Buffer, n: number, maxBytes: number): { nextOffset: number; bytes: number } | null {
  let pos = 0;
  let nextOffset = -1;
  while (pos + BATCH_HEADER_SIZE <= n) {
    const batchLength = bytes.readInt32BE(pos + OFF_BATCH_LENGTH);
    const size = LOG_OVERHEAD + batchLength;
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || pos + size > n || (pos > 0 && pos + size > maxBytes)) break;
    const lastDelta = bytes.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
    if (lastDelta < 0) break;
    nextOffset = readInt64(bytes, pos) + lastDelta + 1;
    pos += size;
  }
  return nextOffset < 0 ? null : { nextOffset, bytes: pos };
}

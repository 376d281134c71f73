// The tail cache: the batches a partition appended most recently, kept as the very buffers the
// append wrote (no copy), so a consumer or follower that keeps up is served from memory instead of
// a positioned read of what was written moments ago. Transparent to PartitionLog.read callers:
// a hit returns exactly what the segment read would (same batches, same bounds); anything it
// cannot answer exactly is a miss and goes to the file.
//
//   PartitionTail (one per partition): entries in offset order, one per append run
//   TailCacheBudget (one per LogManager): every entry of every partition in one FIFO, evicted
//     oldest first once their bytes exceed the budget (tributary.log.tail.cache.bytes)
//
// An entry pins its buffer: a pooled request frame (protocol/wire/buffer-pool.ts) keeps a lease
// reference until eviction, and a hit handed to a reader lends one more (lendView) that the
// connection gives back once the response is sent, so a cached frame is never recycled under a
// response. A hit spanning entries is copied into one buffer (a read from the file allocates too).
import { leaseOf, lendView, type BufferLease } from '../../protocol/wire/buffer-pool.js';
import type { BatchInfo } from '../../protocol/records/batch-header.js';
import type { LogSegment } from './log-segment.js';

export const DEFAULT_TAIL_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  owner: PartitionTail;
  seg: LogSegment;
  /** File position of buf[0] in seg. */
  pos: number;
  buf: Buffer;
  firstOffset: number;
  /** Per batch: last offset and end position inside buf. */
  lastOffsets: number[];
  ends: number[];
  lease: BufferLease | undefined;
  evicted: boolean;
}

export class TailCacheBudget {
  private readonly fifo: Entry[] = [];
  private head = 0;
  private used = 0;
  /**
   * Entries per pooled buffer: an entry pins its whole pooled frame (a size class of up to
   * 16 MiB, possibly holding other partitions' batches too), not just its own bytes, so the
   * budget charges each pinned frame once, at its full size. Charging only the entries' bytes
   * let 64 MiB of small entries pin a GiB of frames.
   */
  private readonly pinned = new Map<BufferLease, number>();
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** @internal */
  add(e: Entry): void {
    this.fifo.push(e);
    this.used += this.charge(e, 1);
    while (this.used > this.maxBytes && this.head < this.fifo.length) this.evict(this.fifo[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
  }

  /** @internal An entry dropped by its partition (truncation, close). */
  drop(e: Entry): void {
    if (e.evicted) return;
    e.evicted = true;
    this.used -= this.charge(e, -1);
    e.lease?.release();
  }

  /** Bytes `e` adds to (delta 1) or takes from (delta -1) the budget: its pooled frame's size for the first / last entry pinning it, else nothing; an unpooled entry its own bytes. */
  private charge(e: Entry, delta: 1 | -1): number {
    const lease = e.lease;
    if (lease === undefined) return e.buf.length;
    const n = (this.pinned.get(lease) ?? 0) + delta;
    if (n === 0) this.pinned.delete(lease);
    else this.pinned.set(lease, n);
    return (delta === 1 ? n === 1 : n === 0) ? lease.buffer.length : 0;
  }

  private evict(e: Entry): void {
    if (e.evicted) return;
    this.drop(e);
    e.owner.evicted(e);
  }
}

/** What the segment read needs to know about the log to decide whether an entry is still current. */
export interface TailContext {
  /** False once a segment was replaced by the cleaner or deleted. */
  live(seg: LogSegment): boolean;
}

const EMPTY = Buffer.alloc(0);

export class PartitionTail {
  private entries: Entry[] = [];
  private head = 0;

  constructor(
    private readonly budget: TailCacheBudget,
    private readonly ctx: TailContext,
  ) {}

  /**
   * An appended run: `buf` holds `batches` back to back (positions relative to the records
   * buffer the batches were validated in, starting at `batches[0].position`), written to `seg` at
   * `pos`. Offsets are those just assigned (`firstOffset` for batches[0], then consecutive by
   * lastOffsetDelta unless `follower`, where each batch carries its own).
   */
  add(seg: LogSegment, pos: number, records: Buffer, batches: BatchInfo[], firstOffset: number, follower: boolean): void {
    if (this.budget.maxBytes <= 0 || batches.length === 0) return;
    const start = batches[0]!.position;
    const lastOffsets: number[] = new Array(batches.length);
    const ends: number[] = new Array(batches.length);
    let offset = firstOffset;
    let end = start;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (b.position !== end) return; // not one contiguous run: leave it to the file
      if (follower) offset = b.baseOffset;
      offset += b.lastOffsetDelta;
      lastOffsets[i] = offset;
      offset++;
      end += b.size;
      ends[i] = end - start;
    }
    if (end - start > this.budget.maxBytes) return;
    const buf = records.subarray(start, end);
    const lease = leaseOf(buf);
    if (lease !== undefined && lease.buffer.length > this.budget.maxBytes) return; // would evict everything
    lease?.retain();
    const e: Entry = { owner: this, seg, pos, buf, firstOffset: follower ? batches[0]!.baseOffset : firstOffset, lastOffsets, ends, lease, evicted: false };
    this.entries.push(e);
    this.budget.add(e);
  }

  /**
   * The bytes PartitionLog.read would return for these arguments, or null when the cache cannot
   * tell (the fetch offset is not in it): then the file is read.
   */
  read(fetchOffset: number, maxBytes: number, bound: number, minOneMessage: boolean): Buffer | null {
    const first = this.find(fetchOffset);
    if (first < 0) {
      this.budget.misses++;
      return null;
    }
    let e = this.entries[first]!;
    if (!this.ctx.live(e.seg)) {
      this.budget.misses++;
      return null;
    }
    let i = 0;
    while (e.lastOffsets[i]! < fetchOffset) i++;
    const startInEntry = i === 0 ? 0 : e.ends[i - 1]!;
    const firstSize = e.ends[i]! - startInEntry;
    this.budget.hits++;
    // As walkRange: the first batch must be below the bound and fit (unless minOneMessage).
    if (e.lastOffsets[i]! >= bound || (firstSize > maxBytes && !minOneMessage)) return EMPTY;
    const parts: Buffer[] = [];
    let total = 0;
    let k = first;
    let partStart = startInEntry;
    for (;;) {
      // Whole batches of entry e from index i on, while below the bound and within maxBytes.
      let j = i;
      while (j < e.lastOffsets.length && e.lastOffsets[j]! < bound && (total + e.ends[j]! - partStart <= maxBytes || (total === 0 && j === i && k === first))) j++;
      if (j > i) {
        const end = e.ends[j - 1]!;
        parts.push(e.buf.subarray(partStart, end));
        total += end - partStart;
      }
      if (j < e.lastOffsets.length) break; // bound or budget reached inside this entry
      // The next entry continues only if it is the same segment, adjacent in the file and in offsets.
      const next = this.entries[++k];
      if (next === undefined || next.seg !== e.seg || next.pos !== e.pos + e.buf.length || next.firstOffset !== e.lastOffsets[e.lastOffsets.length - 1]! + 1) break;
      e = next;
      i = 0;
      partStart = 0;
    }
    if (parts.length === 1) {
      lendView(parts[0]!);
      return parts[0]!;
    }
    return parts.length === 0 ? EMPTY : Buffer.concat(parts, total);
  }

  /** Forget everything (truncation, roll-back, close): the file is the truth again. */
  clear(): void {
    for (let i = this.head; i < this.entries.length; i++) this.budget.drop(this.entries[i]!);
    this.entries = [];
    this.head = 0;
  }

  /** @internal The budget evicted `e`, always this partition's oldest live entry. */
  evicted(e: Entry): void {
    while (this.head < this.entries.length && this.entries[this.head]!.evicted) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    void e;
  }

  /** Index of the live entry whose offsets contain `offset`, or -1. */
  private find(offset: number): number {
    let lo = this.head;
    let hi = this.entries.length - 1;
    if (hi < lo || offset < this.entries[lo]!.firstOffset) return -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.entries[mid]!;
      if (offset < m.firstOffset) hi = mid - 1;
      else if (offset > m.lastOffsets[m.lastOffsets.length - 1]!) lo = mid + 1;
      else return m.evicted ? -1 : mid;
    }
    return -1;
  }
}

let shared: TailCacheBudget | null = null;

/** The budget of logs opened without one of their own (tests, tools): DEFAULT_TAIL_CACHE_BYTES. */
export function sharedTailCache(): TailCacheBudget {
  shared ??= new TailCacheBudget(DEFAULT_TAIL_CACHE_BYTES);
  return shared;
}

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
// response. A hit spanning entries is copied into one pooled buffer, lent the same way (below
// LEND_MIN_BYTES: a plain copy, as a segment read's small answers).
//
// Small appends are copied into chunks (issue 14, latency): a run of at most COALESCE_MAX_BYTES
// that is not in a pooled frame (a one-record Produce: ~1 KiB in Node's 8 KiB allocation slab) is
// copied into the partition's open chunk, a 64 KiB pooled buffer, and extends that chunk's entry.
// Keeping each such run as its own entry cost ~6 heap objects per request that lived exactly as
// long as the cache kept them (64 MiB of 1 KiB records at 40,000/s: about 1.5 s), so every one
// was promoted to the old generation and died there, plus the slabs they pinned: 6-10 full
// Mark-Compact collections per 8 s at 40,000 requests/s, none with the cache off. A chunk is one
// entry per ~60 such records and its buffer goes back to the pool on eviction. Bytes below a
// chunk's fill mark never change, so views of it lent to readers stay valid while it fills.
// A small run in a pooled buffer of the smallest class (a request of at most 64 KiB: a slab of
// small Produce frames, or one frame) is copied the same way: kept by reference, each would be an
// entry of its own pinning 64 KiB for a few KiB, and the frame could not go back to the pool when
// answered. Runs in larger frames (a many-partition request) stay by reference: copying them would
// double the bytes moved.
import { framePool, leaseOf, lendView, POOL_MAX_BYTES, POOL_MIN_BYTES, type BufferLease } from '../../protocol/wire/buffer-pool.js';
import type { BatchInfo } from '../../protocol/records/batch-header.js';
import type { LogSegment } from './log-segment.js';
import { RAW_REFERENCE_THRESHOLD } from '../../protocol/wire/writer.js';
import { LEND_MIN_BYTES } from './segment-read.js';

export const DEFAULT_TAIL_CACHE_BYTES = 64 * 1024 * 1024;
/** Runs up to this size outside pooled frames are copied into chunks (larger ones are kept by reference). */
export const COALESCE_MAX_BYTES = 16 * 1024;
/** Chunk size: the smallest pooled class, so chunks cycle through framePool without allocating. */
const CHUNK_BYTES = POOL_MIN_BYTES;

interface Entry {
  owner: PartitionTail;
  seg: LogSegment;
  /** File position of buf[0] in seg. */
  pos: number;
  /** The appended bytes are buf[0, len): all of buf, or a chunk's filled part. */
  buf: Buffer;
  len: number;
  /** A chunk (buf owned by the cache) that later small runs may extend. */
  chunk: boolean;
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

  /**
   * Size of the chunks small runs are copied into (0: never copy). By default a pooled 64 KiB
   * buffer once the budget holds at least 16 of them; tests pass small chunks (plain buffers).
   */
  readonly chunkBytes: number;

  constructor(
    readonly maxBytes: number,
    opts: { chunkBytes?: number } = {},
  ) {
    this.chunkBytes = opts.chunkBytes ?? (maxBytes >= 16 * CHUNK_BYTES ? CHUNK_BYTES : 0);
  }

  /** @internal A buffer for a new chunk and its lease (pooled when it is a pool size class). */
  newChunk(): { buf: Buffer; lease: BufferLease | undefined } {
    if (this.chunkBytes === CHUNK_BYTES) {
      const lease = framePool.acquire(CHUNK_BYTES);
      return { buf: lease.buffer, lease };
    }
    return { buf: Buffer.allocUnsafeSlow(this.chunkBytes), lease: undefined };
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Live entries (tests, the bench: small appends should share chunks, not be one entry each). */
  get entryCount(): number {
    let n = 0;
    for (let i = this.head; i < this.fifo.length; i++) if (!this.fifo[i]!.evicted) n++;
    return n;
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

/** Whether a small run in a buffer with this lease is copied into a chunk (see the header): unpooled, or in a smallest-class buffer. */
function copiedRun(lease: BufferLease | undefined): boolean {
  return lease === undefined || lease.buffer.length <= POOL_MIN_BYTES;
}

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
    if (batches.length === 1 && this.addOneToChunk(seg, pos, records, batches[0]!, follower ? batches[0]!.baseOffset : firstOffset)) return;
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
    const runFirst = follower ? batches[0]!.baseOffset : firstOffset;
    // The whole of `records` (the usual one-batch append) without a new view: ~200 bytes of heap each.
    const buf = start === 0 && end === records.length ? records : records.subarray(start, end);
    const lease = leaseOf(buf);
    const n = end - start;
    if (copiedRun(lease) && n <= COALESCE_MAX_BYTES && n <= this.budget.chunkBytes) {
      this.addToChunk(seg, pos, buf, runFirst, lastOffsets, ends);
      return;
    }
    if (lease !== undefined && lease.buffer.length > this.budget.maxBytes) return; // would evict everything
    lease?.retain();
    const e: Entry = { owner: this, seg, pos, buf, len: n, chunk: false, firstOffset: runFirst, lastOffsets, ends, lease, evicted: false };
    this.entries.push(e);
    this.budget.add(e);
  }

  /**
   * add() for one small batch not in a large pooled frame (a producer sending one record at a time),
   * without the per-batch offset and end arrays when it continues the open chunk (issue 14,
   * per-request garbage). False when add() has to decide (pooled, large, chunks off).
   */
  private addOneToChunk(seg: LogSegment, pos: number, records: Buffer, b: BatchInfo, runFirst: number): boolean {
    const n = b.size;
    if (n > COALESCE_MAX_BYTES || n > this.budget.chunkBytes || n > this.budget.maxBytes) return false;
    const start = b.position;
    const run = start === 0 && n === records.length ? records : records.subarray(start, start + n);
    if (!copiedRun(leaseOf(run))) return false;
    const lastOffset = runFirst + b.lastOffsetDelta;
    const last = this.continuedChunk(seg, pos, runFirst, n);
    if (last !== undefined) {
      run.copy(last.buf, last.len);
      last.lastOffsets.push(lastOffset);
      last.ends.push(last.len + n);
      last.len += n;
      return true;
    }
    this.addToChunk(seg, pos, run, runFirst, [lastOffset], [n]);
    return true;
  }

  /** The open chunk when `n` bytes at file position `pos`, first offset `runFirst`, continue it (same segment, adjacent in the file and in offsets) and fit. */
  private continuedChunk(seg: LogSegment, pos: number, runFirst: number, n: number): Entry | undefined {
    const last = this.entries.length > this.head ? this.entries[this.entries.length - 1]! : undefined;
    if (
      last !== undefined &&
      last.chunk &&
      !last.evicted &&
      last.seg === seg &&
      last.pos + last.len === pos &&
      last.lastOffsets[last.lastOffsets.length - 1]! + 1 === runFirst &&
      last.buf.length - last.len >= n
    ) {
      return last;
    }
    return undefined;
  }

  /** Copies a small run into the open chunk when it continues it (same segment, adjacent in the file and in offsets), else into a new chunk. */
  private addToChunk(seg: LogSegment, pos: number, run: Buffer, runFirst: number, lastOffsets: number[], ends: number[]): void {
    const n = run.length;
    const last = this.continuedChunk(seg, pos, runFirst, n);
    if (last !== undefined) {
      run.copy(last.buf, last.len);
      for (let i = 0; i < ends.length; i++) {
        last.lastOffsets.push(lastOffsets[i]!);
        last.ends.push(last.len + ends[i]!);
      }
      last.len += n;
      return;
    }
    const { buf, lease } = this.budget.newChunk();
    run.copy(buf, 0);
    const e: Entry = { owner: this, seg, pos, buf, len: n, chunk: true, firstOffset: runFirst, lastOffsets, ends, lease, evicted: false };
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
      if (next === undefined || next.seg !== e.seg || next.pos !== e.pos + e.len || next.firstOffset !== e.lastOffsets[e.lastOffsets.length - 1]! + 1) break;
      e = next;
      i = 0;
      partStart = 0;
    }
    if (parts.length === 1) {
      const view = parts[0]!;
      // An answer the response encoder would copy (below its by-reference threshold) is copied
      // here: a lent reference only comes back when that very Buffer is written to the socket, so
      // lending it would lose the chunk or frame to the pool.
      if (view.length < RAW_REFERENCE_THRESHOLD && leaseOf(view) !== undefined) return Buffer.from(view);
      lendView(view);
      return view;
    }
    if (parts.length === 0) return EMPTY;
    if (total < LEND_MIN_BYTES || total > POOL_MAX_BYTES) return Buffer.concat(parts, total);
    // A hit across entries is one copy, into a pooled buffer lent to the response as a segment
    // read's is: a fresh Buffer.concat of up to the fetch's byte budget per fetch cost an
    // allocation (page faults, GC) that a read of the same bytes from the file no longer does.
    const lease = framePool.acquire(total);
    const out = lease.buffer.subarray(0, total);
    let at = 0;
    for (const p of parts) {
      p.copy(out, at);
      at += p.length;
    }
    lendView(out);
    lease.release(); // the lent reference keeps it until the response is written
    return out;
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

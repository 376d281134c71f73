// Reads whole batches out of a copied segment, returning exactly the bytes a local read of the
// same segment returns (same rules as storage/log/segment-read.ts's walkRange):
//   1. the `.indexes` object (cached) → offset index lookup → a byte position at or before the batch;
//   2. batch headers are walked forward over fixed-size chunks fetched with ranged GETs through the
//      shared ChunkCache;
//   3. the byte range [start, end) of whole batches is cut from the chunks, and every batch in it is
//      CRC-checked: bytes that do not verify are dropped from the cache and fetched once more, then
//      reported as an error — never served;
//   4. the chunks after the returned range are prefetched: with a stream key (remote-partition.ts
//      passes the partition), by read-ahead.ts — a window that grows while the consumer reads
//      sequentially, crosses into the next segment, is bounded in memory and cancelled on a seek
//      or when the consumer stops; without one, `readAheadChunks` chunks of this segment.
// Memory (issue 14): each ranged GET's body is read into one pooled buffer (framePool); the cache
// keeps views of it and releases them on eviction (chunk-cache.ts). A read inside one chunk is
// answered with a view of it lent to the Fetch response (lendView: the connection releases it
// once written); a read across chunks of one read-ahead GET is a view of its buffer too, and a
// read across GETs one copy into a pooled buffer lent the same way.
// Nothing here holds a lock the local log uses; a slow store only delays the fetch that needs it.
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  OFF_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  readInt64,
  scanBatches,
} from '../../protocol/records/batch-header.js';
import { OffsetIndex } from '../log/offset-index.js';
import { TimeIndex } from '../log/time-index.js';
import { framePool, leaseOf, lendView, takeLentView, POOL_MAX_BYTES, POOL_MIN_BYTES } from '../../protocol/wire/buffer-pool.js';
import { RAW_REFERENCE_THRESHOLD } from '../../protocol/wire/writer.js';
import { pin, unpin, type ChunkCache } from './chunk-cache.js';
import type { RemoteSegment } from './manifest.js';
import type { ObjectStore } from './object-store.js';
import { ObjectStoreError } from './object-store.js';
import type { SegmentKeys } from './remote-keys.js';
import { Semaphore, withRetry, type RetryPolicy } from './retry.js';
import { decodeIndexes } from './segment-indexes.js';
import { ReadAhead, type ReadAheadOptions, type ReadAheadStats, type SegmentRef } from './read-ahead.js';

/** A prefetch GET that was aborted (its stream was cancelled); never retried, never an I/O error. */
export class ReadAheadCancelled extends Error {
  constructor() {
    super('read-ahead cancelled');
    this.name = 'ReadAheadCancelled';
  }
}

/** What a read tells the read-ahead: which stream (partition) it belongs to and the segment after this one. */
export interface ReadContext {
  stream: string;
  next: () => SegmentRef | null;
}

export interface RemoteReadResult {
  records: Buffer;
  nextOffset: number;
  /** False when no batch at or after the fetch offset exists in this segment. */
  found: boolean;
}

export interface RemoteReaderOptions {
  chunkBytes: number;
  readAheadChunks: number;
  retry: RetryPolicy;
  /** Bounds concurrent GETs (shared across partitions). */
  limiter: Semaphore;
  /** Streamed read-ahead (reads with a ReadContext); defaults in DEFAULT_READ_AHEAD. */
  readAhead?: Partial<Omit<ReadAheadOptions, 'chunkBytes' | 'initialChunks'>>;
}

export const DEFAULT_READ_AHEAD = Object.freeze({ maxChunks: 32, budgetBytes: 32 * 1024 * 1024, getChunks: 4, maxGetsPerStream: 4, idleMs: 2_000 });

export interface ReaderStats {
  reads: number;
  bytesServed: number;
  getRequests: number;
  bytesFetched: number;
  crcFailures: number;
}

interface Header {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

export class RemoteReader {
  readonly stats: ReaderStats = { reads: 0, bytesServed: 0, getRequests: 0, bytesFetched: 0, crcFailures: 0 };
  readonly readAhead: ReadAhead;

  constructor(
    private readonly store: ObjectStore,
    private readonly cache: ChunkCache,
    private readonly opts: RemoteReaderOptions,
  ) {
    this.readAhead = new ReadAhead(cache, (ref, start, end, signal) => this.fetch(ref.keys.log, { start, end }, signal, true), {
      ...DEFAULT_READ_AHEAD,
      ...opts.readAhead,
      chunkBytes: opts.chunkBytes,
      initialChunks: opts.readAheadChunks,
    });
  }

  /**
   * `pooled`: the body goes into a framePool buffer (when its size is a pooled size), returned
   * with the one reference the caller (the chunk cache) takes over.
   */
  private async fetch(key: string, range?: { start: number; end: number }, signal?: AbortSignal, pooled = false): Promise<Buffer> {
    return this.opts.limiter.run(() =>
      withRetry(
        async () => {
          if (signal?.aborted) throw new ReadAheadCancelled();
          this.stats.getRequests++;
          let b: Buffer;
          let into: ((size: number) => Buffer) | undefined;
          let leased: Buffer | undefined;
          if (pooled) {
            into = (size) => {
              if (size < POOL_MIN_BYTES / 4 || size > POOL_MAX_BYTES) return Buffer.allocUnsafe(size);
              leased = framePool.acquire(size).buffer.subarray(0, size);
              return leased;
            };
          }
          try {
            b = await this.store.get(key, range, signal, into);
          } catch (e) {
            // The failed attempt's buffer: nothing reads it any more.
            if (leased) unpin(leased);
            if (signal?.aborted) throw new ReadAheadCancelled();
            throw e;
          }
          const want = range ? range.end - range.start : undefined;
          if (want !== undefined && b.length !== want) {
            if (leased) unpin(leased);
            throw new ObjectStoreError('retriable', `short read of ${key}: ${b.length} of ${want} bytes`, 'get', key);
          }
          this.stats.bytesFetched += b.length;
          return b;
        },
        this.opts.retry,
        { signal },
      ),
    );
  }

  readAheadStats(): ReadAheadStats {
    return this.readAhead.stats();
  }

  async indexes(seg: RemoteSegment, keys: SegmentKeys): Promise<{ offsets: OffsetIndex; times: TimeIndex }> {
    // Unpooled (no `pooled` fetch): the decoded indexes keep views of these bytes.
    const raw = await this.cache.get(`${seg.id}:ix`, async () => {
      const b = await this.fetch(keys.indexes);
      decodeIndexes(b); // validate (checksum) before caching
      return b;
    });
    unpin(raw);
    const ix = decodeIndexes(raw);
    return { offsets: new OffsetIndex('', seg.baseOffset, ix.offsetIndex), times: new TimeIndex('', seg.baseOffset, ix.timeIndex) };
  }

  /** Chunk `i`, with a reference the caller unpin()s. */
  private async chunk(seg: RemoteSegment, keys: SegmentKeys, i: number): Promise<Buffer> {
    const c = this.opts.chunkBytes;
    const load = () => this.fetch(keys.log, { start: i * c, end: Math.min(seg.size, (i + 1) * c) }, undefined, true);
    // Joining a prefetch that then gets cancelled is not an error: load the chunk ourselves.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cache.get(`${seg.id}:${i}`, load);
      } catch (e) {
        if (!(e instanceof ReadAheadCancelled) || attempt >= 3) throw e;
      }
    }
  }

  /**
   * Bytes [start, end) of the segment, from cached or fetched chunks, for a reader that keeps them
   * (the Fetch response): a view of a pooled chunk is lent (lendView), so a caller that does not
   * send them gives the reference back with takeLentView(b)?.release().
   */
  private async bytes(seg: RemoteSegment, keys: SegmentKeys, start: number, end: number): Promise<Buffer> {
    const c = this.opts.chunkBytes;
    const first = Math.floor(start / c);
    const last = Math.floor((end - 1) / c);
    if (first === last) {
      const ch = await this.chunk(seg, keys, first);
      const view = ch.subarray(start - first * c, end - first * c);
      if (leaseOf(view) === undefined) return view;
      try {
        // Below the encoder's by-reference threshold the response copies it anyway, and a lent
        // reference only comes back when that very Buffer is written: copy here instead.
        if (view.length < RAW_REFERENCE_THRESHOLD) return Buffer.from(view);
        lendView(view);
        return view;
      } finally {
        unpin(ch);
      }
    }
    const parts: Promise<Buffer>[] = [];
    for (let i = first; i <= last; i++) parts.push(this.chunk(seg, keys, i));
    const settled = await Promise.allSettled(parts);
    try {
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
      const chunks = settled.map((s) => (s as PromiseFulfilledResult<Buffer>).value);
      const total = end - start;
      // Chunks that one read-ahead GET brought in are adjacent views of one pooled buffer: a read
      // across them is a view of that buffer too, lent without a copy. (All their references are
      // held here, so one ArrayBuffer means one lease, one GET.)
      if (contiguous(chunks)) {
        const view = Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset + (start - first * c), total);
        lendView(view);
        return view;
      }
      // One copy, into a pooled buffer lent to the response (as the tail cache does across
      // entries): a fresh buffer per Fetch was page faults and GC work.
      const lease = total >= POOL_MIN_BYTES / 4 && total <= POOL_MAX_BYTES ? framePool.acquire(total) : undefined;
      const out = lease ? lease.buffer.subarray(0, total) : Buffer.allocUnsafe(total);
      let o = 0;
      chunks.forEach((ch, k) => {
        const i = first + k;
        const from = Math.max(start, i * c) - i * c;
        const to = Math.min(end, (i + 1) * c) - i * c;
        o += ch.copy(out, o, from, to);
      });
      if (lease) {
        lendView(out);
        lease.release(); // the lent reference keeps it until the response is written
      }
      return out;
    } finally {
      for (const s of settled) if (s.status === 'fulfilled') unpin(s.value);
    }
  }

  private async header(seg: RemoteSegment, keys: SegmentKeys, pos: number): Promise<Header> {
    if (seg.size - pos < BATCH_HEADER_SIZE) throw corrupt(seg, pos, 'header past end');
    const c = this.opts.chunkBytes;
    const first = Math.floor(pos / c);
    if (Math.floor((pos + BATCH_HEADER_SIZE - 1) / c) === first) {
      // Inside one chunk: read the fields from it in place, no copy.
      const ch = await this.chunk(seg, keys, first);
      try {
        return this.parseHeader(seg, ch.subarray(pos - first * c, pos - first * c + BATCH_HEADER_SIZE), pos);
      } finally {
        unpin(ch);
      }
    }
    const b = await this.bytes(seg, keys, pos, pos + BATCH_HEADER_SIZE);
    return this.parseHeader(seg, b, pos); // a copy (below the lending threshold)
  }

  private parseHeader(seg: RemoteSegment, b: Buffer, pos: number): Header {
    const batchLength = b.readInt32BE(OFF_BATCH_LENGTH);
    const size = LOG_OVERHEAD + batchLength;
    const lastDelta = b.readInt32BE(OFF_LAST_OFFSET_DELTA);
    if (b.readInt8(MAGIC_OFFSET) !== 2) throw corrupt(seg, pos, 'bad magic');
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || size > seg.size - pos || lastDelta < 0) throw corrupt(seg, pos, 'bad length');
    const baseOffset = readInt64(b, 0);
    return { baseOffset, lastOffset: baseOffset + lastDelta, size, maxTimestamp: readInt64(b, OFF_MAX_TIMESTAMP) };
  }

  /** Whole batches from the one containing fetchOffset; see PartitionLog.read for the rules. */
  async read(seg: RemoteSegment, keys: SegmentKeys, fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean, ctx?: ReadContext): Promise<RemoteReadResult> {
    this.stats.reads++;
    const stream = ctx ? this.readAhead.begin(ctx.stream, fetchOffset) : null;
    try {
      return await this.readStreamed(seg, keys, fetchOffset, maxBytes, maxOffset, minOneMessage, ctx, stream);
    } finally {
      if (stream) this.readAhead.end(stream);
    }
  }

  private async readStreamed(
    seg: RemoteSegment,
    keys: SegmentKeys,
    fetchOffset: number,
    maxBytes: number,
    maxOffset: number,
    minOneMessage: boolean,
    ctx: ReadContext | undefined,
    stream: ReturnType<ReadAhead['begin']>,
  ): Promise<RemoteReadResult> {
    // Crossing into the next segment: its indexes are loaded too, for the read that gets there.
    const next = (): SegmentRef | null => {
      const n = ctx?.next() ?? null;
      if (n) void this.indexes(n.seg, n.keys).catch(() => {});
      return n;
    };
    const { offsets } = await this.indexes(seg, keys);
    let pos = offsets.lookup(fetchOffset).position;
    let start = -1;
    let nextOffset = fetchOffset;
    while (pos < seg.size) {
      const h = await this.header(seg, keys, pos);
      if (start < 0) {
        if (h.lastOffset < fetchOffset) {
          pos += h.size;
          continue;
        }
        if (h.lastOffset >= maxOffset || (h.size > maxBytes && !minOneMessage)) {
          if (stream) this.readAhead.advance(stream, { seg, keys }, pos, nextOffset, next);
          return { records: Buffer.alloc(0), nextOffset, found: true };
        }
        start = pos;
      } else if (h.lastOffset >= maxOffset || pos + h.size - start > maxBytes) {
        break;
      }
      nextOffset = h.lastOffset + 1;
      pos += h.size;
    }
    if (start < 0) return { records: Buffer.alloc(0), nextOffset, found: false };
    let records = await this.bytes(seg, keys, start, pos);
    if (!verified(records)) {
      // Drop the chunks and fetch them once more before giving up.
      this.stats.crcFailures++;
      takeLentView(records)?.release();
      this.cache.invalidate(`${seg.id}:`);
      records = await this.bytes(seg, keys, start, pos);
      if (!verified(records)) {
        takeLentView(records)?.release();
        throw corrupt(seg, start, 'CRC mismatch in remote data');
      }
    }
    if (stream) this.readAhead.advance(stream, { seg, keys }, pos, nextOffset, next);
    else this.prefetch(seg, keys, pos);
    this.stats.bytesServed += records.length;
    return { records, nextOffset, found: true };
  }

  /** Starts loading `readAheadChunks` chunks from `pos` (and the segment's indexes) without waiting (reads without a stream). */
  prefetch(seg: RemoteSegment, keys: SegmentKeys, pos: number): void {
    const c = this.opts.chunkBytes;
    if (pos === 0) void this.indexes(seg, keys).catch(() => {});
    const from = Math.floor(pos / c);
    const lastChunk = Math.floor((seg.size - 1) / c);
    for (let i = from; i <= Math.min(lastChunk, from + this.opts.readAheadChunks - 1); i++) {
      if (!this.cache.has(`${seg.id}:${i}`)) void this.chunk(seg, keys, i).then(unpin, () => {});
    }
  }

  /** First batch at or after startingOffset with maxTimestamp >= target, or null. */
  async findByTimestamp(seg: RemoteSegment, keys: SegmentKeys, target: number, startingOffset: number): Promise<{ offset: number; timestamp: number } | null> {
    const { offsets, times } = await this.indexes(seg, keys);
    const from = Math.max(times.lookup(target).offset, startingOffset);
    let pos = offsets.lookup(from).position;
    while (pos < seg.size) {
      const h = await this.header(seg, keys, pos);
      if (h.maxTimestamp >= target && h.lastOffset >= startingOffset) return { offset: Math.max(h.baseOffset, startingOffset), timestamp: h.maxTimestamp };
      pos += h.size;
    }
    return null;
  }

  forget(seg: RemoteSegment): void {
    this.cache.invalidate(`${seg.id}:`);
  }

  close(): void {
    this.readAhead.close();
  }
}

/** Whether `chunks` are adjacent views of one pooled buffer, in order. */
function contiguous(chunks: Buffer[]): boolean {
  const first = chunks[0]!;
  if (leaseOf(first) === undefined) return false;
  for (let k = 1; k < chunks.length; k++) {
    const prev = chunks[k - 1]!;
    const ch = chunks[k]!;
    if (ch.buffer !== first.buffer || ch.byteOffset !== prev.byteOffset + prev.length) return false;
  }
  return true;
}

function verified(records: Buffer): boolean {
  const scan = scanBatches(records, 0, records.length, true);
  return scan.error === null && scan.validBytes === records.length;
}

function corrupt(seg: RemoteSegment, pos: number, why: string): ObjectStoreError {
  return new ObjectStoreError('fatal', `remote segment ${seg.baseOffset}-${seg.id} at ${pos}: ${why}`, 'read');
}

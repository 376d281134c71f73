// Read-ahead for sequential consumers of remote segments. One stream per partition follows the
// consumer: a read that starts where the previous one ended (same next offset) continues it and
// doubles its window (from `initialChunks` up to `maxChunks`); any other read is a seek and
// replaces it. After each read the chunks of the window that are neither cached nor loading are
// fetched in the background — adjacent ones combined into one ranged GET of up to `getChunks`
// chunks — and carried over into the next segment when the window passes the end of this one.
//
// Bounded memory: chunks prefetched and not yet read count against `budgetBytes` (shared by all
// streams; reserved before the GET is sent), so read-ahead never holds more than that, whatever
// the number of consumers; a chunk the consumer has read is ordinary cache content again.
// Cancelled: a seek, `idleMs` without a read, or close() aborts the stream's GETs in flight and
// drops its unread chunks from the cache (a demand read that was waiting on an aborted GET loads
// the chunk itself; see RemoteReader.chunk).
import { pin, unpin, type ChunkCache } from './chunk-cache.js';
import type { RemoteSegment } from './manifest.js';
import type { SegmentKeys } from './remote-keys.js';

export interface SegmentRef {
  seg: RemoteSegment;
  keys: SegmentKeys;
}

export interface ReadAheadOptions {
  chunkBytes: number;
  /** Window (chunks) after a read that does not continue a stream. 0 = read-ahead off. */
  initialChunks: number;
  /** Largest window of one stream (chunks). */
  maxChunks: number;
  /** Prefetched-and-unread bytes across all streams. */
  budgetBytes: number;
  /** Adjacent chunks combined into one ranged GET. */
  getChunks: number;
  /** GETs in flight per stream. */
  maxGetsPerStream: number;
  /** A stream without a read for this long is cancelled. */
  idleMs: number;
  now?: () => number;
}

/** Loads bytes [start, end) of a segment's log object, aborted through `signal`. */
export type RangeFetcher = (ref: SegmentRef, start: number, end: number, signal: AbortSignal) => Promise<Buffer>;

export interface ReadAheadStats {
  streams: number;
  /** Bytes reserved for prefetched chunks not yet read (in flight or cached). */
  pendingBytes: number;
  /** Highest pendingBytes seen. */
  maxPendingBytes: number;
  /** Ranged GETs issued by read-ahead, and the chunks they carried. */
  gets: number;
  chunks: number;
  /** Prefetched chunks the consumer read. */
  used: number;
  /** Streams cancelled (seek, idle, close) and prefetched chunks dropped unread. */
  cancelled: number;
  dropped: number;
}

interface Pending {
  /** Position for ordering: segment base offset, then chunk index. */
  base: number;
  chunk: number;
  bytes: number;
}

export interface Stream {
  key: string;
  nextOffset: number;
  window: number;
  lastUse: number;
  /** Reads of this stream in progress (a slow read is not idleness). */
  reading: number;
  abort: AbortController;
  gets: number;
  /** Prefetched chunks not yet read, by cache key. */
  pending: Map<string, Pending>;
}

export class ReadAhead {
  private readonly streams = new Map<string, Stream>();
  private reserved = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly counters = { maxPendingBytes: 0, gets: 0, chunks: 0, used: 0, cancelled: 0, dropped: 0 };

  constructor(
    private readonly cache: ChunkCache,
    private readonly fetchRange: RangeFetcher,
    private readonly opts: ReadAheadOptions,
  ) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /**
   * The read of `streamKey` (a partition) at `fetchOffset` starts: its stream if the read
   * continues it, else (a seek or a first read) a fresh stream replacing the old one. The caller
   * calls end() when the read is over, whatever its outcome.
   */
  begin(streamKey: string, fetchOffset: number): Stream | null {
    if (this.opts.initialChunks <= 0) return null;
    const s = this.streams.get(streamKey);
    if (s && s.nextOffset === fetchOffset) {
      s.lastUse = this.now();
      s.reading++;
      s.window = Math.min(this.opts.maxChunks, Math.max(s.window * 2, this.opts.initialChunks));
      return s;
    }
    if (s) this.cancel(s);
    const fresh: Stream = { key: streamKey, nextOffset: -1, window: this.opts.initialChunks, lastUse: this.now(), reading: 1, abort: new AbortController(), gets: 0, pending: new Map() };
    this.streams.set(streamKey, fresh);
    this.armIdleTimer();
    return fresh;
  }

  /**
   * The read returned bytes up to `endPos` of `ref` (chunks up to it were read) and the consumer
   * continues at `nextOffset`: releases what it read and tops the window up from `endPos`,
   * continuing into `next()` when the window passes the end of the segment.
   */
  advance(s: Stream, ref: SegmentRef, endPos: number, nextOffset: number, next: () => SegmentRef | null): void {
    if (this.streams.get(s.key) !== s) return; // replaced meanwhile by a seek
    s.nextOffset = nextOffset;
    s.lastUse = this.now();
    const c = this.opts.chunkBytes;
    // Chunks wholly before endPos were read (or skipped): no longer read-ahead.
    this.release(s, ref.seg.baseOffset, Math.ceil(endPos / c) - 1);
    let want = s.window;
    let cur: SegmentRef | null = ref;
    let chunk = Math.floor(endPos / c);
    while (cur && want > 0) {
      const lastChunk = Math.floor((cur.seg.size - 1) / c);
      let run: number[] = [];
      const flush = (r: SegmentRef) => {
        if (run.length > 0) this.issue(s, r, run);
        run = [];
      };
      for (; chunk <= lastChunk && want > 0; chunk++, want--) {
        const key = `${cur.seg.id}:${chunk}`;
        if (this.cache.has(key)) {
          flush(cur);
          continue;
        }
        if (s.gets + (run.length > 0 ? 1 : 0) >= this.opts.maxGetsPerStream) break;
        const bytes = Math.min(cur.seg.size, (chunk + 1) * c) - chunk * c;
        if (this.reserved + bytes > this.opts.budgetBytes) break;
        this.reserve(s, key, { base: cur.seg.baseOffset, chunk, bytes });
        run.push(chunk);
        if (run.length >= this.opts.getChunks) flush(cur);
      }
      flush(cur);
      if (chunk <= lastChunk) return; // stopped by the budget or the GET limit
      cur = cur === ref ? next() : null;
      chunk = 0;
    }
  }

  /** Fetches chunks `run` (adjacent) of `ref` with one ranged GET into the cache. */
  private issue(s: Stream, ref: SegmentRef, run: number[]): void {
    const c = this.opts.chunkBytes;
    const first = run[0]!;
    const start = first * c;
    const end = Math.min(ref.seg.size, (run[run.length - 1]! + 1) * c);
    s.gets++;
    this.counters.gets++;
    this.counters.chunks += run.length;
    const whole = this.fetchRange(ref, start, end, s.abort.signal);
    whole.then(
      () => s.gets--,
      () => s.gets--,
    );
    for (const i of run) {
      const key = `${ref.seg.id}:${i}`;
      // Each chunk's view carries a reference of the GET's (pooled) buffer for the cache.
      const part = whole.then((b) => {
        const view = b.subarray(i * c - start, Math.min(b.length, (i + 1) * c - start));
        pin(view);
        return view;
      });
      this.cache.load(key, part);
      // A failed or aborted prefetch frees its reservation; the consumer fetches on demand.
      part.catch(() => this.unreserve(s, key));
    }
    // The GET's own reference, after every view took one (reactions run in registration order).
    whole.then(unpin, () => {});
  }

  private reserve(s: Stream, key: string, p: Pending): void {
    s.pending.set(key, p);
    this.reserved += p.bytes;
    if (this.reserved > this.counters.maxPendingBytes) this.counters.maxPendingBytes = this.reserved;
  }

  private unreserve(s: Stream, key: string): boolean {
    const p = s.pending.get(key);
    if (!p) return false;
    s.pending.delete(key);
    this.reserved -= p.bytes;
    return true;
  }

  /** The read begun with `s` is over (returned or failed). */
  end(s: Stream): void {
    s.reading--;
    s.lastUse = this.now();
  }

  /** Prefetched chunks up to (base, chunk) were read. */
  private release(s: Stream, base: number, chunk: number): void {
    for (const [key, p] of s.pending) {
      if (p.base < base || (p.base === base && p.chunk <= chunk)) {
        if (this.unreserve(s, key)) this.counters.used++;
      }
    }
  }

  private cancel(s: Stream): void {
    if (this.streams.get(s.key) === s) this.streams.delete(s.key);
    this.counters.cancelled++;
    s.abort.abort();
    for (const key of [...s.pending.keys()]) {
      this.unreserve(s, key);
      this.cache.drop(key);
      this.counters.dropped++;
    }
  }

  /** Cancels streams idle for idleMs; the timer runs only while streams exist. */
  private armIdleTimer(): void {
    if (this.timer) return;
    const tick = Math.max(10, Math.floor(this.opts.idleMs / 2));
    this.timer = setInterval(() => {
      const cutoff = this.now() - this.opts.idleMs;
      for (const s of [...this.streams.values()]) if (s.reading === 0 && s.lastUse <= cutoff) this.cancel(s);
      if (this.streams.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }, tick);
    this.timer.unref?.();
  }

  /** Cancels the stream of `streamKey` (its partition closed or was deleted). */
  forget(streamKey: string): void {
    const s = this.streams.get(streamKey);
    if (s) this.cancel(s);
  }

  close(): void {
    for (const s of [...this.streams.values()]) this.cancel(s);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  stats(): ReadAheadStats {
    return { streams: this.streams.size, pendingBytes: this.reserved, ...this.counters };
  }
}

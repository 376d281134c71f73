// A bounded in-memory LRU of byte chunks fetched from the object store (segment data chunks and
// `.indexes` objects), shared by every tiered partition of the broker. Concurrent misses on the
// same key share one load, so a burst of consumers on the same cold data costs one GET per chunk.
// A failed load is not cached.
//
// Pooled chunks (issue 14, cold reads): a ranged GET's body is read straight into one buffer of
// protocol/wire/buffer-pool.ts's framePool, and the cache keeps views of it (read-ahead: several
// chunk keys per GET). Reference rules, with leaseOf(buf) (no-ops for unpooled buffers):
//   - a value handed to the cache (get's loader, load, put) carries one reference, which the cache
//     owns from then on: it is released on eviction, drop, invalidate, replacement, or at once when
//     the value is not kept (too large, a load dropped meanwhile);
//   - get() resolves with one more reference for its caller, taken synchronously before the value
//     can be evicted; the caller releases it (unpin) when done with the bytes, or lends it on.
// The byte budget charges a pooled buffer once, at its full size, while any entry pins it (as
// storage/log/tail-cache.ts does for pooled frames): that is the memory the cache holds.
import { leaseOf, type BufferLease } from '../../protocol/wire/buffer-pool.js';

export interface ChunkCacheStats {
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

interface Loading {
  promise: Promise<Buffer>;
  /** get() callers waiting for it: each gets a reference when it settles. */
  waiters: number;
}

/** Takes a reference for a holder of `b` (pooled buffers only). */
export function pin(b: Buffer): void {
  leaseOf(b)?.retain();
}

/** Releases a reference taken by pin() or handed out by ChunkCache.get(). */
export function unpin(b: Buffer): void {
  leaseOf(b)?.release();
}

export class ChunkCache {
  private readonly map = new Map<string, Buffer>(); // insertion order = LRU order
  private readonly loading = new Map<string, Loading>();
  /** Entries per pooled buffer: the buffer is charged while the count is above zero. */
  private readonly pinned = new Map<BufferLease, number>();
  private used = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(readonly maxBytes: number) {}

  /** The cached value, refreshing its recency; undefined on a miss. No reference for the caller: use it synchronously. */
  peek(key: string): Buffer | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  has(key: string): boolean {
    return this.map.has(key) || this.loading.has(key);
  }

  /** The value of `key` (loaded with `load` on a miss), with one reference for the caller to unpin(). */
  async get(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.peek(key);
    if (hit !== undefined) {
      this.hits++;
      pin(hit);
      return hit;
    }
    const inFlight = this.loading.get(key);
    if (inFlight) {
      this.hits++;
      inFlight.waiters++;
      return inFlight.promise;
    }
    this.misses++;
    return this.track(key, load(), 1).promise;
  }

  /**
   * Registers `p` as the load of `key` (read-ahead: one ranged GET feeds several chunk keys), so a
   * get() meanwhile shares it. Ignored when the key is cached or already loading (the value's
   * reference is then released when it arrives).
   */
  load(key: string, p: Promise<Buffer>): void {
    if (this.has(key)) {
      p.then(unpin, () => {});
      return;
    }
    this.track(key, p, 0).promise.catch(() => {});
  }

  private track(key: string, p: Promise<Buffer>, waiters: number): Loading {
    const entry: Loading = { promise: undefined as unknown as Promise<Buffer>, waiters };
    entry.promise = p.then(
      (buf) => {
        // References for the waiting callers first: put() may evict this very value.
        for (let i = 0; i < entry.waiters; i++) pin(buf);
        if (this.loading.get(key) === entry) {
          this.loading.delete(key);
          this.put(key, buf);
        } else {
          unpin(buf); // dropped meanwhile: not cached
        }
        return buf;
      },
      (e) => {
        if (this.loading.get(key) === entry) this.loading.delete(key);
        throw e;
      },
    );
    this.loading.set(key, entry);
    return entry;
  }

  /** Forgets `key`: its cached value, and a load in flight (which then is not cached). */
  drop(key: string): void {
    const v = this.map.get(key);
    if (v !== undefined) this.remove(key, v);
    this.loading.delete(key);
  }

  /** Caches `buf` under `key`, taking over one reference of it. */
  put(key: string, buf: Buffer): void {
    const old = this.map.get(key);
    if (old) this.remove(key, old);
    const lease = leaseOf(buf);
    if ((lease ? lease.buffer.length : buf.length) > this.maxBytes) {
      lease?.release();
      return;
    }
    this.map.set(key, buf);
    this.used += this.charge(buf, 1);
    while (this.used > this.maxBytes) {
      const oldest = this.map.keys().next().value as string;
      this.remove(oldest, this.map.get(oldest)!);
      this.evictions++;
    }
  }

  private remove(key: string, v: Buffer): void {
    this.map.delete(key);
    this.used -= this.charge(v, -1);
    unpin(v);
  }

  /** Bytes `v` adds to (delta 1) or takes from (delta -1) the budget: a pooled buffer's full size for the first / last entry pinning it, else nothing; an unpooled value its own bytes. */
  private charge(v: Buffer, delta: 1 | -1): number {
    const lease = leaseOf(v);
    if (lease === undefined) return v.length;
    const n = (this.pinned.get(lease) ?? 0) + delta;
    if (n === 0) this.pinned.delete(lease);
    else this.pinned.set(lease, n);
    return (delta === 1 ? n === 1 : n === 0) ? lease.buffer.length : 0;
  }

  /** Drops every key starting with `prefix` (a deleted segment, a chunk that failed validation). */
  invalidate(prefix: string): void {
    for (const [k, v] of this.map) {
      if (k.startsWith(prefix)) this.remove(k, v);
    }
  }

  stats(): ChunkCacheStats {
    return { bytes: this.used, entries: this.map.size, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }
}

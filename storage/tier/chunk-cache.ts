// A bounded in-memory LRU of byte chunks fetched from the object store (segment data chunks and
// `.indexes` objects), shared by every tiered partition of the broker. Concurrent misses on the
// same key share one load, so a burst of consumers on the same cold data costs one GET per chunk.
// A failed load is not cached.

export interface ChunkCacheStats {
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class ChunkCache {
  private readonly map = new Map<string, Buffer>(); // insertion order = LRU order
  private readonly loading = new Map<string, Promise<Buffer>>();
  private used = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(readonly maxBytes: number) {}

  /** The cached value, refreshing its recency; undefined on a miss. */
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

  async get(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.peek(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    const inFlight = this.loading.get(key);
    if (inFlight) {
      this.hits++;
      return inFlight;
    }
    this.misses++;
    const p = load().then(
      (buf) => {
        this.loading.delete(key);
        this.put(key, buf);
        return buf;
      },
      (e) => {
        this.loading.delete(key);
        throw e;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  /**
   * Registers `p` as the load of `key` (read-ahead: one ranged GET feeds several chunk keys), so a
   * get() meanwhile shares it. Ignored when the key is cached or already loading.
   */
  load(key: string, p: Promise<Buffer>): void {
    if (this.has(key)) return;
    const tracked = p.then(
      (buf) => {
        if (this.loading.get(key) === tracked) {
          this.loading.delete(key);
          this.put(key, buf);
        }
        return buf;
      },
      (e) => {
        if (this.loading.get(key) === tracked) this.loading.delete(key);
        throw e;
      },
    );
    tracked.catch(() => {});
    this.loading.set(key, tracked);
  }

  /** Forgets `key`: its cached value, and a load in flight (which then is not cached). */
  drop(key: string): void {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.used -= v.length;
      this.map.delete(key);
    }
    this.loading.delete(key);
  }

  put(key: string, buf: Buffer): void {
    const old = this.map.get(key);
    if (old) {
      this.used -= old.length;
      this.map.delete(key);
    }
    if (buf.length > this.maxBytes) return;
    this.map.set(key, buf);
    this.used += buf.length;
    while (this.used > this.maxBytes) {
      const oldest = this.map.keys().next().value as string;
      this.used -= this.map.get(oldest)!.length;
      this.map.delete(oldest);
      this.evictions++;
    }
  }

  /** Drops every key starting with `prefix` (a deleted segment, a chunk that failed validation). */
  invalidate(prefix: string): void {
    for (const [k, v] of this.map) {
      if (k.startsWith(prefix)) {
        this.used -= v.length;
        this.map.delete(k);
      }
    }
  }

  stats(): ChunkCacheStats {
    return { bytes: this.used, entries: this.map.size, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }
}

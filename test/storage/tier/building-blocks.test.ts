// Retry/backoff, the semaphore, the chunk cache, the .indexes container and manifest validation.
import { describe, expect, it, vi } from 'vitest';
import { ChunkCache, pin, unpin } from '../../../storage/tier/chunk-cache.js';
import { BufferPool } from '../../../protocol/wire/buffer-pool.js';
import { decodeManifest, emptyManifest, encodeManifest, segmentFor, type RemoteSegment } from '../../../storage/tier/manifest.js';
import { ObjectStoreError } from '../../../storage/tier/object-store.js';
import { segmentIdOfKey, segmentKeys } from '../../../storage/tier/remote-keys.js';
import { RateLimiter } from '../../../storage/tier/s3-store.js';
import { Semaphore, backoffMs, withRetry } from '../../../storage/tier/retry.js';
import { IndexesFormatError, decodeIndexes, encodeIndexes } from '../../../storage/tier/segment-indexes.js';

describe('withRetry', () => {
  it('retries retriable errors with growing, jittered, capped backoff', async () => {
    const delays: number[] = [];
    let calls = 0;
    const v = await withRetry(
      async () => {
        if (++calls < 4) throw new ObjectStoreError('retriable', 'busy', 'get');
        return 'ok';
      },
      { attempts: 5, baseBackoffMs: 100, maxBackoffMs: 250, jitter: 0 },
      { sleep: async (ms) => void delays.push(ms) },
    );
    expect(v).toBe('ok');
    expect(delays).toEqual([100, 200, 250]);
    for (let i = 0; i < 100; i++) {
      const d = backoffMs({ baseBackoffMs: 100, maxBackoffMs: 10_000, jitter: 1 }, 3);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it('does not retry fatal or not-found errors, and gives up after the attempts', async () => {
    let calls = 0;
    const fatal = withRetry(async () => {
      calls++;
      throw new ObjectStoreError('fatal', 'denied', 'put');
    }, { attempts: 5, baseBackoffMs: 1, maxBackoffMs: 1, jitter: 0 });
    await expect(fatal).rejects.toThrow('denied');
    expect(calls).toBe(1);
    calls = 0;
    const busy = withRetry(async () => {
      calls++;
      throw new ObjectStoreError('retriable', 'busy', 'put');
    }, { attempts: 3, baseBackoffMs: 1, maxBackoffMs: 1, jitter: 0 });
    await expect(busy).rejects.toThrow('busy');
    expect(calls).toBe(3);
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit at once', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        sem.run(async () => {
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(sem.inUse).toBe(0);
  });
});

describe('ChunkCache', () => {
  it('owns one reference of each pooled value, gives get() callers their own, and charges pooled buffers at full size', async () => {
    const pool = new BufferPool(1 << 20);
    const cache = new ChunkCache(128 * 1024);
    const a = pool.acquire(64 * 1024);
    const views = [a.buffer.subarray(0, 1000), a.buffer.subarray(1000, 2000)];
    cache.put('a0', views[0]!); // takes over the acquire's reference
    pin(views[1]!);
    cache.put('a1', views[1]!);
    expect(a.references).toBe(2);
    expect(cache.stats().bytes).toBe(64 * 1024); // one pooled buffer, charged once
    const got = await cache.get('a0', async () => Buffer.alloc(0));
    expect(got).toBe(views[0]);
    expect(a.references).toBe(3); // the caller's
    // A load of a key already cached is not kept: its reference goes back at once.
    const b = pool.acquire(64 * 1024);
    cache.load('a1', Promise.resolve(b.buffer.subarray(0, 10)));
    await new Promise((r) => setImmediate(r));
    expect(b.references).toBe(0);
    // A loaded value evicts the least recently used entries; a waiting caller keeps its reference.
    const c = pool.acquire(128 * 1024);
    const waiter = cache.get('c', async () => c.buffer.subarray(0, 5000));
    const cv = await waiter;
    expect(cache.stats().evictions).toBe(2);
    expect(a.references).toBe(1); // only the caller of get('a0') holds it now
    unpin(got);
    expect(a.references).toBe(0);
    expect(c.references).toBe(2); // the cache's and the caller's
    unpin(cv);
    cache.invalidate('c');
    expect(c.references).toBe(0);
    expect(cache.stats().bytes).toBe(0);
  });

  it('evicts least recently used entries past its byte budget and shares in-flight loads', async () => {
    const cache = new ChunkCache(300);
    let loads = 0;
    const load = (n: number) => async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 1));
      return Buffer.alloc(100, n);
    };
    const [a1, a2] = await Promise.all([cache.get('a', load(1)), cache.get('a', load(1))]);
    expect(a1).toBe(a2);
    expect(loads).toBe(1);
    await cache.get('b', load(2));
    await cache.get('c', load(3));
    await cache.get('a', load(1)); // refresh a
    await cache.get('d', load(4)); // evicts b
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')?.[0]).toBe(1);
    expect(cache.stats().bytes).toBe(300);
    await expect(cache.get('e', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(cache.has('e')).toBe(false);
    cache.invalidate('a');
    expect(cache.peek('a')).toBeUndefined();
  });
});

describe('.indexes container', () => {
  it('round-trips every section and rejects damaged bytes', () => {
    const ix = {
      offsetIndex: Buffer.from([0, 0, 0, 5, 0, 0, 1, 0]),
      timeIndex: Buffer.alloc(12, 7),
      txnIndex: Buffer.alloc(0),
      producerSnapshot: Buffer.from('snap'),
      leaderEpochs: [[0, 100] as [number, number], [3, 150] as [number, number]],
    };
    const enc = encodeIndexes(ix);
    const dec = decodeIndexes(enc);
    expect(dec.offsetIndex.equals(ix.offsetIndex)).toBe(true);
    expect(dec.timeIndex.equals(ix.timeIndex)).toBe(true);
    expect(dec.producerSnapshot.toString()).toBe('snap');
    expect(dec.leaderEpochs).toEqual([[0, 100], [3, 150]]);
    const bad = Buffer.from(enc);
    bad[10]! ^= 1;
    expect(() => decodeIndexes(bad)).toThrow(IndexesFormatError);
  });
});

describe('manifest and keys', () => {
  const seg = (base: number, next: number, id = 'a'.repeat(32)): RemoteSegment => ({
    id,
    baseOffset: base,
    nextOffset: next,
    size: 10,
    indexesSize: 10,
    maxTimestamp: 1,
    offsetOfMaxTimestamp: base,
    epochs: [],
    state: 'COPY_FINISHED',
    createdAt: 0,
  });

  it('validates stored manifests and finds segments by offset', () => {
    const m = emptyManifest('t', 'id', 0);
    m.segments = [seg(0, 10), seg(10, 25), seg(30, 40)];
    expect(decodeManifest(encodeManifest(m), 'k').segments.length).toBe(3);
    expect(() => decodeManifest(Buffer.from('{"version":2}'), 'k')).toThrow(/invalid/);
    expect(() => decodeManifest(Buffer.from('not json'), 'k')).toThrow(/not valid JSON/);
    expect(segmentFor(m.segments, 0)).toBe(0);
    expect(segmentFor(m.segments, 24)).toBe(1);
    expect(segmentFor(m.segments, 27)).toBe(2); // gap: the next segment
    expect(segmentFor(m.segments, 40)).toBe(-1);
  });

  it('puts the segment id in every object key', () => {
    const keys = segmentKeys('t-x/0/', 42, 'b'.repeat(32));
    expect(keys.log).toBe(`t-x/0/00000000000000000042-${'b'.repeat(32)}.log`);
    expect(segmentIdOfKey(keys.indexes)).toBe('b'.repeat(32));
    expect(segmentIdOfKey('t-x/0/manifest.json')).toBeNull();
  });
});

describe('RateLimiter', () => {
  it('paces transfers to the configured bytes per second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    try {
      const r = new RateLimiter(1000);
      await r.take(1000); // first chunk goes at once
      let done = false;
      const second = r.take(500).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false); // must wait until the first 1000 bytes' second is over
      await vi.advanceTimersByTimeAsync(2);
      await second;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

// The tail cache must be invisible to PartitionLog.read callers: every read of a log with the cache
// returns byte for byte what the same read of the same log without it returns (the file), for
// random offsets, byte limits, bounds (HW / LSO) and minOneMessage, across segment rolls,
// truncation and eviction. And it must actually serve reads that keep up, within its budget.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TailCacheBudget } from '../../../storage/log/tail-cache.js';
import { BufferPool, framePool, leaseOf, takeLentView } from '../../../protocol/wire/buffer-pool.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { buildTestBatch, produceRequest } from '../helpers/batches.js';
import { openLog, SMALL, tempDir } from '../helpers/temp-log.js';
import { rng as prng } from '../../protocol/records/random-data.js';

let dirs: { path: string; cleanup: () => Promise<void> }[] = [];
beforeEach(async () => {
  dirs = [await tempDir(), await tempDir()];
});
afterEach(async () => {
  for (const d of dirs) await d.cleanup();
});

/** The same appends on both logs (each gets its own copy of the bytes). */
async function appendBoth(logs: PartitionLog[], rand: () => number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const batches = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, k) =>
      buildTestBatch({ count: 1 + Math.floor(rand() * 5), valueSize: 10 + Math.floor(rand() * 200), fill: (i + k) & 0xff, timestamp: 1000 + i }),
    );
    const results = logs.map((log) => {
      const { records, batches: infos } = produceRequest(...batches.map((b) => Buffer.from(b)));
      return log.append(records, infos, 0);
    });
    expect(results[0]!.baseOffset).toBe(results[1]!.baseOffset);
    if (rand() < 0.5) await Promise.all(results.map((r) => r.written));
  }
  await Promise.all(logs.map((l) => l.flush()));
}

async function compareReads(cached: PartitionLog, plain: PartitionLog, rand: () => number, count: number): Promise<void> {
  const end = plain.logEndOffset;
  for (let k = 0; k < count; k++) {
    // Half the reads near the end, where the cache is: consumers that keep up.
    const span = rand() < 0.5 ? end + 2 : Math.max(2, Math.floor(end / 10));
    const offset = Math.max(plain.logStartOffset, end + 1 - Math.floor(rand() * span));
    const maxBytes = [1, 100, 700, 2000, 100_000][Math.floor(rand() * 5)]!;
    // A bound (HW or LSO) below the end, often just above the offset: reads must stop before it.
    const bound = rand() < 0.4 ? Math.min(end, offset + Math.floor(rand() * 12)) : plain.highWatermark;
    const minOne = rand() < 0.7;
    const a = await cached.read(offset, maxBytes, bound, minOne);
    const b = await plain.read(offset, maxBytes, bound, minOne);
    expect({ offset, maxBytes, bound, minOne, error: a.error, hw: a.highWatermark }).toEqual({ offset, maxBytes, bound, minOne, error: b.error, hw: b.highWatermark });
    expect(a.records.equals(b.records), `read(${offset}, ${maxBytes}, ${bound}, ${minOne})`).toBe(true);
  }
}

describe('tail cache', () => {
  it.each([
    ['each append its own entry', 6000, 0],
    ['small appends copied into chunks', 12_000, 1500],
  ])('answers every read exactly as the file does, across rolls, truncation and eviction (%s)', async (_name, maxBytes, chunkBytes) => {
    // A few segments' worth: eviction happens all the time.
    const budget = new TailCacheBudget(maxBytes, { chunkBytes });
    const cached = await openLog(dirs[0]!.path, SMALL, { tailCache: budget });
    const plain = await openLog(dirs[1]!.path, SMALL, { tailCache: null });
    const rand = prng(7);
    await appendBoth([cached, plain], rand, 150);
    expect(cached.segmentInfos().length).toBeGreaterThan(3);
    await compareReads(cached, plain, rand, 600);
    expect(budget.hits).toBeGreaterThan(50);
    expect(budget.usedBytes).toBeLessThanOrEqual(maxBytes);

    // Truncation (a follower cutting back its log) forgets the cache; new appends reuse offsets.
    const cut = Math.floor(plain.logEndOffset / 2);
    await cached.truncateTo(cut);
    await plain.truncateTo(cut);
    await appendBoth([cached, plain], rand, 60);
    await compareReads(cached, plain, rand, 400);
    await cached.close();
    await plain.close();
  });

  it('serves a consumer that keeps up from memory, and nothing beyond the written end', async () => {
    const budget = new TailCacheBudget(1024 * 1024);
    const log = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 1024 * 1024 }, { tailCache: budget });
    let next = 0;
    for (let i = 0; i < 50; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 3, valueSize: 100, fill: i }));
      const r = log.append(records, batches, 0);
      // Before the write completes the bytes are not readable, from the cache either.
      expect((await log.read(next, 10_000, log.highWatermark, true)).records.length).toBe(0);
      await r.written;
      const hitsBefore = budget.hits;
      const got = await log.read(next, 10_000, log.highWatermark, true);
      expect(budget.hits).toBe(hitsBefore + 1);
      expect(got.records.equals(records)).toBe(true); // the appended bytes, offsets assigned in place
      next = r.lastOffset + 1;
    }
    await log.close();
  });

  it('charges a pooled frame at its full size once, however many entries pin it, so the budget bounds the memory held', async () => {
    const MiB = 1024 * 1024;
    const budget = new TailCacheBudget(4 * MiB);
    const log = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 8 * MiB }, { tailCache: budget });
    const pool = new BufferPool(0);
    const leases = [];
    for (let i = 0; i < 8; i++) {
      // A small batch received in a 1 MiB pooled frame (as a Produce frame with other partitions' data would be).
      const { records, batches } = produceRequest(buildTestBatch({ count: 2, valueSize: 100, fill: i }));
      const lease = pool.acquire(600 * 1024);
      records.copy(lease.buffer);
      await log.append(lease.buffer.subarray(0, records.length), batches, 0).written;
      lease.release(); // the connection's reference: now only the cache holds the frame
      leases.push(lease);
    }
    const pinned = leases.filter((l) => l.references > 0).length;
    expect(pinned).toBeGreaterThan(0); // the cache kept some (the newest) ...
    expect(pinned).toBeLessThanOrEqual(4); // ... but no more frames than the budget's 4 MiB
    expect(budget.usedBytes).toBe(pinned * MiB);
    // Two entries in one frame: charged once, released only when both are gone.
    const a = produceRequest(buildTestBatch({ count: 1, valueSize: 50, fill: 1 }));
    const b = produceRequest(buildTestBatch({ count: 1, valueSize: 50, fill: 2 }));
    const shared = pool.acquire(600 * 1024);
    a.records.copy(shared.buffer, 0);
    b.records.copy(shared.buffer, a.records.length);
    const bInfos = b.batches.map((x) => ({ ...x, position: x.position + a.records.length }));
    const before = budget.usedBytes;
    await log.append(shared.buffer.subarray(0, a.records.length), a.batches, 0).written;
    await log.append(shared.buffer.subarray(0, a.records.length + b.records.length), bInfos, 0).written;
    shared.release();
    expect(shared.references).toBe(2);
    expect(budget.usedBytes).toBeLessThanOrEqual(4 * MiB);
    expect(budget.usedBytes - before).toBeLessThanOrEqual(MiB);
    await log.close();
    expect(shared.references).toBe(0);
    expect(budget.usedBytes).toBe(0);
  });

  it('copies a small run out of a smallest-class pooled frame, so the frame goes back to the pool once answered', async () => {
    // A 15.6 KB Produce frame carved from a 64 KiB slab (src/network/frame-reader.ts): pinned by
    // the cache, each such request would hold 64 KiB of budget and its slab for a few KiB.
    const MiB = 1024 * 1024;
    const budget = new TailCacheBudget(4 * MiB);
    const log = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 8 * MiB }, { tailCache: budget });
    const pool = new BufferPool(4 * MiB);
    let next = 0;
    for (let i = 0; i < 20; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 15, valueSize: 1000, fill: i }));
      const lease = pool.acquire(records.length);
      expect(lease.buffer.length).toBe(64 * 1024);
      records.copy(lease.buffer, 100);
      const inFrame = lease.buffer.subarray(100, 100 + records.length);
      const r = log.append(inFrame, batches, 0);
      await r.written;
      const expected = Buffer.from(inFrame); // offsets assigned in place
      lease.release(); // the connection's reference, once answered
      expect(lease.references).toBe(0); // the cache kept a copy, not the frame
      const hits = budget.hits;
      const got = await log.read(next, 100_000, log.highWatermark, true);
      expect(budget.hits).toBe(hits + 1);
      expect(got.records.equals(expected)).toBe(true);
      takeLentView(got.records)?.release();
      next = r.lastOffset + 1;
    }
    await log.close();
  });

  it('keeps one-record appends in shared pooled chunks, not one entry (and heap objects) each', async () => {
    // Issue 14 (latency): 1 KiB Produce requests each kept as an entry of their own filled the
    // 64 MiB cache with ~60,000 entries that the old generation then had to collect.
    const MiB = 1024 * 1024;
    const budget = new TailCacheBudget(MiB);
    const log = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 64 * MiB }, { tailCache: budget });
    const allocatedBefore = framePool.allocated;
    let bytes = 0;
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 1, valueSize: 1024, fill: i & 0xff }));
      bytes += records.length;
      await log.append(records, batches, 0).written;
    }
    const chunk = 64 * 1024; // the default chunk: the smallest pooled size class
    expect(budget.entryCount).toBeLessThanOrEqual(MiB / chunk); // ~900 entries before
    expect(budget.usedBytes).toBeLessThanOrEqual(MiB);
    // Evicted chunks go back to the pool and are taken again: buffers for the budget's worth only.
    expect(bytes / chunk).toBeGreaterThan(3 * (MiB / chunk));
    expect(framePool.allocated - allocatedBefore).toBeLessThanOrEqual(MiB / chunk + 1);
    // A consumer that keeps up still reads from memory, and gets the bytes the file holds.
    const hits = budget.hits;
    const end = log.logEndOffset;
    const got = await log.read(end - 3, 100_000, log.highWatermark, true);
    expect(budget.hits).toBe(hits + 1);
    // Below the response encoder's by-reference threshold the hit is a copy: a view lent from the
    // chunk would never be given back (the encoder copies it), and the chunk would leave the pool.
    expect(got.records.length).toBeLessThan(4096);
    expect(leaseOf(got.records)).toBeUndefined();
    await log.close();
    const plain = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 64 * MiB }, { tailCache: null });
    expect(got.records.equals((await plain.read(end - 3, 100_000, plain.highWatermark, true)).records)).toBe(true);
    await plain.close();
    expect(budget.usedBytes).toBe(0);
  });

  it('answers a hit across entries in a pooled buffer lent to the response, not a fresh allocation per fetch', async () => {
    const MiB = 1024 * 1024;
    const budget = new TailCacheBudget(8 * MiB);
    const log = await openLog(dirs[0]!.path, { ...SMALL, segmentBytes: 64 * MiB }, { tailCache: budget });
    // 20 KiB appends outside pooled frames: one entry each, so a 200 KiB read spans ten.
    for (let i = 0; i < 40; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 4, valueSize: 5000, fill: i }));
      await log.append(records, batches, 0).written;
    }
    // Same bytes as the file: a log with the same appends and no cache.
    const plain = await openLog(dirs[1]!.path, { ...SMALL, segmentBytes: 64 * MiB }, { tailCache: null });
    for (let i = 0; i < 40; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 4, valueSize: 5000, fill: i }));
      await plain.append(records, batches, 0).written;
    }
    const first = await log.read(0, 200_000, log.highWatermark, true);
    expect(first.records.equals((await plain.read(0, 200_000, plain.highWatermark, true)).records)).toBe(true);
    takeLentView(first.records)?.release();
    const allocatedBefore = framePool.allocated;
    for (let k = 0; k < 20; k++) {
      const hits = budget.hits;
      const got = await log.read(4 * k, 200_000, log.highWatermark, true);
      expect(budget.hits).toBe(hits + 1);
      expect(got.records.length).toBeGreaterThan(150_000);
      const lease = takeLentView(got.records);
      expect(lease).toBeDefined(); // pooled and lent (a Buffer.concat before)
      lease!.release(); // as the connection does once the response is written
    }
    // The buffer goes back to the pool after each response and is taken again.
    expect(framePool.allocated - allocatedBefore).toBe(0);
    await plain.close();
    await log.close();
  });

  it('counts no hit or miss for a read at the log end (a consumer that has read everything)', async () => {
    const budget = new TailCacheBudget(1 << 20, { chunkBytes: 0 });
    const log = await openLog(dirs[0]!.path, SMALL, { tailCache: budget });
    const { records, batches } = produceRequest(buildTestBatch({ count: 3 }));
    await log.append(records, batches, 0).written;
    expect((await log.read(3, 10_000, log.highWatermark, true)).records.length).toBe(0);
    expect((await log.read(1, 10_000, 1, true)).records.length).toBe(0); // at a lower bound (LSO) too
    expect(budget.hits + budget.misses).toBe(0);
    expect((await log.read(0, 10_000, log.highWatermark, true)).records.length).toBeGreaterThan(0);
    expect([budget.hits, budget.misses]).toEqual([1, 0]);
    await log.close();
  });

  it('with a zero budget stores nothing', async () => {
    const budget = new TailCacheBudget(0);
    const log = await openLog(dirs[0]!.path, SMALL, { tailCache: budget });
    const { records, batches } = produceRequest(buildTestBatch({ count: 3 }));
    await log.append(records, batches, 0).written;
    expect((await log.read(0, 10_000, log.highWatermark, true)).records.length).toBeGreaterThan(0);
    expect(budget.hits + budget.misses).toBe(0);
    expect(budget.usedBytes).toBe(0);
    await log.close();
  });
});

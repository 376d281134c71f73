import { describe, expect, it } from 'vitest';
import { BufferPool, SPARE_EPOCH, type BufferLease } from '../../../protocol/wire/buffer-pool.js';

const MiB = 1024 * 1024;

/** One large frame as FrameReader grows it: a 1 MiB buffer, then the 4 MiB it ends in. */
function growFrame(pool: BufferPool): BufferLease {
  const first = pool.acquire(MiB);
  const last = pool.acquire(4 * MiB);
  first.release();
  return last;
}

describe('BufferPool retention', () => {
  it('gives retention to the class in use: spare buffers of a class nobody takes are evicted, not the returning ones refused', () => {
    const pool = new BufferPool(16 * MiB);
    // An earlier workload left the budget full of 1 MiB buffers.
    const old = Array.from({ length: 16 }, () => pool.acquire(MiB));
    for (const l of old) l.release();
    expect(pool.retainedBytes).toBe(16 * MiB);
    // Now 4 MiB frames, two in flight at a time (FIFO, like the tail cache giving them back).
    const inFlight: BufferLease[] = [];
    const allocatedAt = (n: number) => {
      for (let i = 0; i < n; i++) {
        inFlight.push(growFrame(pool));
        if (inFlight.length > 2) inFlight.shift()!.release();
      }
      return pool.allocated;
    };
    allocatedAt(4 * SPARE_EPOCH); // a few epochs to see that the 1 MiB buffers are spare
    const before = pool.allocated;
    const after = allocatedAt(200);
    // Every 4 MiB frame is now a reused buffer (refusing them all allocated 200 more).
    expect(after - before).toBe(0);
    expect(pool.retainedBytes).toBeLessThanOrEqual(16 * MiB);
    expect(pool.evicted).toBeGreaterThan(0);
  });

  it('never evicts the buffers a class keeps taking', () => {
    const pool = new BufferPool(10 * MiB);
    // Steady state of a 4 MiB-frame workload: each frame takes a 1 MiB buffer on its way.
    const inFlight: BufferLease[] = [];
    for (let i = 0; i < 20 * SPARE_EPOCH; i++) {
      inFlight.push(growFrame(pool));
      if (inFlight.length > 2) inFlight.shift()!.release();
    }
    // Two 4 MiB and one 1 MiB buffer fit the budget and cycle; none was dropped after the first
    // frames: the 1 MiB one is taken every frame, so it is never spare.
    expect(pool.allocated).toBeLessThanOrEqual(5);
    expect(pool.evicted).toBe(0);
  });

  it('refuses a returning buffer when nothing else is spare, and never holds more than its budget', () => {
    const pool = new BufferPool(8 * MiB);
    const held = Array.from({ length: 8 }, () => pool.acquire(MiB));
    for (const l of held) l.release(); // 8 MiB of 1 MiB buffers, taken again below
    const big = pool.acquire(4 * MiB);
    // The 1 MiB buffers are in use in this epoch (all taken, all given back): none is spare.
    const again = Array.from({ length: 8 }, () => pool.acquire(MiB));
    for (const l of again) l.release();
    big.release();
    expect(pool.refused).toBe(1);
    expect(pool.retainedBytes).toBe(8 * MiB);
    // Random traffic: the budget holds whatever happens.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const live: BufferLease[] = [];
    for (let i = 0; i < 5000; i++) {
      if (live.length < 12 && rnd() < 0.55) live.push(pool.acquire(64 * 1024 * 2 ** Math.floor(rnd() * 7)));
      else if (live.length) live.splice(Math.floor(rnd() * live.length), 1)[0]!.release();
      expect(pool.retainedBytes).toBeLessThanOrEqual(8 * MiB);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Histogram, _internals } from '../../bench/lib/histogram.js';

describe('bench latency histogram', () => {
  it('maps every value into a slot whose bounds contain it, with no gaps between slots', () => {
    const { indexOf, boundsOf } = _internals;
    for (const v of [0, 1, 255, 256, 257, 511, 512, 1000, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 36]) {
      const [lo, hi] = boundsOf(indexOf(v));
      expect(lo).toBeLessThanOrEqual(v);
      expect(hi).toBeGreaterThanOrEqual(v);
    }
    let prevHi = -1;
    for (let i = 0; i < indexOf(2 ** 20); i++) {
      const [lo, hi] = boundsOf(i);
      expect(lo).toBe(prevHi + 1);
      prevHi = hi;
    }
  });

  it('reports percentiles within 1/128 relative error', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v);
    const s = h.summary();
    expect(s.count).toBe(100_000);
    expect(s.minUs).toBe(1);
    expect(s.maxUs).toBe(100_000);
    expect(s.meanUs).toBeCloseTo(50_000.5, 3);
    for (const [p, exact] of [
      [50, 50_000],
      [99, 99_000],
      [99.9, 99_900],
    ] as const) {
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * (1 + 1 / 128));
    }
  });

  it('is exact below 256 and clamps to the observed range; empty gives NaN; merge adds up', () => {
    const a = new Histogram();
    expect(Number.isNaN(a.percentile(50))).toBe(true);
    a.record(3);
    a.record(7);
    a.record(-5); // counted as 0
    expect(a.percentile(100)).toBe(7);
    expect(a.percentile(1)).toBe(0);
    const b = new Histogram();
    b.record(1_000_000);
    a.merge(b);
    expect(a.count).toBe(4);
    expect(a.percentile(100)).toBe(1_000_000);
  });
});

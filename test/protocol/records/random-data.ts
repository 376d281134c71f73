// Seeded random data for property-style tests: failures reproduce from the printed seed.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Bytes that compress somewhat, like text: words from a small alphabet. */
export function textBytes(r: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r() < 0.15 ? 32 : 97 + Math.floor(r() * r() * 26);
  return b;
}

export function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

export interface RandomRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
  timestamp: number;
}

/**
 * Null, empty, small and (rarely) large keys/values; 0-3 headers; timestamps around `base`.
 * `compressible` keeps large values text-like (kafka-python sends a batch uncompressed when
 * compression does not shrink it).
 */
export function randomRecords(r: () => number, count: number, base = 1_700_000_000_000, compressible = false): RandomRecord[] {
  const field = (): Buffer | null => {
    const x = r();
    if (x < 0.1) return null;
    if (x < 0.2) return Buffer.alloc(0);
    if (x < 0.97) return textBytes(r, randInt(r, 1, 200));
    const n = randInt(r, 10_000, 70_000);
    return compressible ? textBytes(r, n) : randomBytes(r, n);
  };
  const out: RandomRecord[] = [];
  for (let i = 0; i < count; i++) {
    const headers = [];
    for (let h = randInt(r, 0, 3); h > 0; h--) {
      headers.push({ key: `h${randInt(r, 0, 99)}-é`, value: r() < 0.2 ? null : textBytes(r, randInt(r, 0, 20)) });
    }
    out.push({ key: field(), value: field(), headers, timestamp: base + randInt(r, -5000, 5000) });
  }
  return out;
}

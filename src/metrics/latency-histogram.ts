// Lives in src/metrics so the `tributary bench` command (which ships in the package) can use it.
// A small HDR-style latency histogram: fixed memory, O(1) record, percentiles within 1/128
// (< 0.8 %) relative error. Values are recorded in integer microseconds.
//
// Bucket layout (SUB_BITS = 7, so 128 linear sub-buckets per power of two):
//
//   values 0..255            -> index = value                 (exact)
//   values 2^k .. 2^(k+1)-1  -> index = (k - 6) * 128 + (value >> (k - 7))   for k >= 8
//
// i.e. every octave above 256 is split into 128 equal slices, so the slice width is at most
// value/128. That is plenty for p50/p99/p999 and keeps a 1-hour range (3.6e9 µs) in ~3.3k slots.

const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128
const LINEAR_LIMIT = SUB_COUNT * 2; // 256: below this every value has its own slot
const MAX_VALUE = 2 ** 36; // ~19 hours in µs; larger values are clamped

function octaveOf(v: number): number {
  // floor(log2(v)) without floating-point doubt; v is a positive integer below 2^37.
  return v >= 2 ** 32 ? 32 + (31 - Math.clz32(Math.floor(v / 2 ** 32))) : 31 - Math.clz32(v);
}

function indexOf(v: number): number {
  if (v < LINEAR_LIMIT) return v;
  const octave = octaveOf(v);
  const shift = octave - SUB_BITS;
  return (octave - SUB_BITS + 1) * SUB_COUNT + (Math.floor(v / 2 ** shift) - SUB_COUNT);
}

/** Smallest and largest value that map to slot `i`. */
function boundsOf(i: number): [number, number] {
  if (i < LINEAR_LIMIT) return [i, i];
  const octave = Math.floor(i / SUB_COUNT) + SUB_BITS - 1;
  const shift = octave - SUB_BITS;
  const sub = (i % SUB_COUNT) + SUB_COUNT;
  const lo = sub * 2 ** shift;
  return [lo, lo + 2 ** shift - 1];
}

export interface LatencySummary {
  count: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

export class Histogram {
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor() {
    this.counts = new Float64Array(indexOf(MAX_VALUE) + 1);
  }

  /** Records one value in microseconds (rounded; negatives count as 0, huge values clamp). */
  record(us: number): void {
    let v = Math.round(us);
    if (!(v > 0)) v = 0;
    if (v > MAX_VALUE) v = MAX_VALUE;
    this.counts[indexOf(v)]++;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /**
   * The value at percentile `p` (0..100): the upper bound of the slot holding the sample of
   * rank ceil(p/100 * count), clamped to the observed min/max. NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, boundsOf(i)[1]));
    }
    return this.max;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  summary(): LatencySummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      minUs: empty ? NaN : this.min,
      p50Us: this.percentile(50),
      p90Us: this.percentile(90),
      p99Us: this.percentile(99),
      p999Us: this.percentile(99.9),
      maxUs: empty ? NaN : this.max,
      meanUs: empty ? NaN : this.sum / this.total,
    };
  }
}

/** Exposed for the histogram's unit test. */
export const _internals = { indexOf, boundsOf };

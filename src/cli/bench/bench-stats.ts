// What a benchmark run measures: counts, bytes, errors and latencies, overall and per second
// (for the progress line and the latency-over-time plot).
import { Histogram } from '../../metrics/latency-histogram.js';

export interface IntervalStats {
  /** Seconds since the measured run began (end of the interval). */
  t: number;
  records: number;
  bytes: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface LatencyMs {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

export class BenchStats {
  readonly total = new Histogram();
  private interval = new Histogram();
  records = 0;
  bytes = 0;
  errors = 0;
  private iRecords = 0;
  private iBytes = 0;
  private iErrors = 0;
  readonly timeline: IntervalStats[] = [];
  firstError: string | null = null;

  /** One record done; latency in ms (omit when the mode has none to measure). */
  record(bytes: number, latencyMs?: number): void {
    this.records++;
    this.bytes += bytes;
    this.iRecords++;
    this.iBytes += bytes;
    if (latencyMs !== undefined) {
      this.total.record(latencyMs * 1000);
      this.interval.record(latencyMs * 1000);
    }
  }

  /** Many records with one latency (a batch acknowledged at once). */
  batch(count: number, bytes: number, latencyMs: number): void {
    for (let i = 0; i < count; i++) this.record(bytes / count, latencyMs);
  }

  error(count: number, e: unknown): void {
    this.errors += count;
    this.iErrors += count;
    this.firstError ??= e instanceof Error ? e.message : String(e);
  }

  /** Closes the current interval and returns it. */
  tick(t: number): IntervalStats {
    const ms = (us: number) => (Number.isNaN(us) ? null : us / 1000);
    const s: IntervalStats = {
      t,
      records: this.iRecords,
      bytes: this.iBytes,
      errors: this.iErrors,
      p50Ms: ms(this.interval.percentile(50)),
      p99Ms: ms(this.interval.percentile(99)),
      maxMs: ms(this.interval.count ? this.interval.percentile(100) : NaN),
    };
    this.timeline.push(s);
    this.interval = new Histogram();
    this.iRecords = this.iBytes = this.iErrors = 0;
    return s;
  }

  latency(): LatencyMs {
    const ms = (us: number) => (Number.isNaN(us) ? null : Math.round(us) / 1000);
    const s = this.total.summary();
    return { p50: ms(s.p50Us), p95: ms(this.total.percentile(95)), p99: ms(s.p99Us), p999: ms(s.p999Us), max: ms(s.maxUs), mean: ms(s.meanUs) };
  }

  /** Latency at a ladder of percentiles, for the percentile plot. */
  percentileCurve(): { percentile: number; ms: number }[] {
    if (this.total.count === 0) return [];
    const ps = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];
    return ps.map((p) => ({ percentile: p, ms: this.total.percentile(p === 0 ? 0.0001 : p) / 1000 }));
  }
}

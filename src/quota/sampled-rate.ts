// A rate over sampled windows, as Kafka's metrics `Rate` over a `SampledStat` (the measurement
// ClientQuotaManager checks quotas against): `quota.window.num` samples of
// `quota.window.size.seconds` each; a sample older than all windows together is reset; the rate
// is the sum of the retained samples over the time they span, where a span shorter than
// (samples - 1) full windows counts as (samples - 1) windows, so a new client cannot look fast
// after one request.

export interface RateWindows {
  samples: number;
  windowMs: number;
}

interface Sample {
  value: number;
  /** Start of the sample's window. */
  startMs: number;
}

export class SampledRate {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(private readonly windows: RateWindows) {}

  record(value: number, nowMs: number): void {
    let s = this.samples[this.current];
    if (!s) {
      s = { value: 0, startMs: nowMs };
      this.samples.push(s);
    } else if (nowMs - s.startMs >= this.windows.windowMs) {
      // The current window is complete: move on, reusing the oldest sample once all exist.
      this.current = (this.current + 1) % this.windows.samples;
      s = this.samples[this.current];
      if (!s) {
        s = { value: 0, startMs: nowMs };
        this.samples.push(s);
      } else {
        s.value = 0;
        s.startMs = nowMs;
      }
    }
    s.value += value;
  }

  /** Removes a value recorded just before (Kafka's unrecord, for a fetch answered empty). */
  unrecord(value: number): void {
    const s = this.samples[this.current];
    if (s) s.value -= value;
  }

  /** Units per second at `nowMs`. */
  rate(nowMs: number): number {
    this.purge(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The span the rate divides by (Kafka's Rate.windowSize). */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs);
    let oldest = nowMs;
    for (const s of this.samples) oldest = Math.min(oldest, s.startMs);
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / this.windows.windowMs);
    const minFullWindows = this.windows.samples - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windows.windowMs;
    // One sample and a first request: never divide by zero.
    return Math.max(elapsed, 1);
  }

  private purge(nowMs: number): void {
    const expireAge = this.windows.samples * this.windows.windowMs;
    for (const s of this.samples) {
      if (nowMs - s.startMs >= expireAge) {
        s.value = 0;
        s.startMs = nowMs;
      }
    }
  }
}

// Kafka's TokenBucket stat (KIP-599), the measure behind controller_mutation_rate: up to
// `burst` = quota x samples x window tokens, refilled at `quota` per second; a mutation takes one
// token per partition, and the bucket may go negative (a request is never split). A negative
// bucket is a violation; the time until it is back to zero is the throttle.
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly quota: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Tokens left after refilling up to now (negative: over the quota). */
  available(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(this.burst, this.tokens + (this.quota * elapsed) / 1000);
    return this.tokens;
  }

  record(permits: number, nowMs: number): void {
    this.available(nowMs);
    // Negative permits give tokens back (a refused topic), never beyond the burst.
    this.tokens = Math.min(this.burst, this.tokens - permits);
  }

  /** Kafka's ControllerMutationQuotaManager.throttleTime: -tokens / quota, in ms (0 when not in deficit). */
  throttleMs(nowMs: number): number {
    const t = this.available(nowMs);
    return t >= 0 ? 0 : Math.round((-t / this.quota) * 1000);
  }

  /** Full again: nothing to remember (idle buckets can be dropped). */
  isFull(nowMs: number): boolean {
    return this.available(nowMs) >= this.burst;
  }
}

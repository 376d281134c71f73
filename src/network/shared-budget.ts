// A broker-wide bound that every connection draws from. Two exist (see server.ts):
//   queued.max.requests        requests read but not yet answered, all connections together
//   queued.max.request.bytes   declared sizes of request frames still arriving (partial frames)
// A connection that finds a budget exhausted pauses its socket and waits here; releases wake the
// waiters, coalesced into one setImmediate so a burst of responses costs one sweep, and each
// woken connection re-checks (and waits again if someone else took the room first).

export interface BudgetWaiter {
  wake(): void;
}

export class SharedBudget {
  private usedUnits = 0;
  private readonly waiters = new Set<BudgetWaiter>();
  private wakeScheduled = false;

  /** `limit` <= 0 means unbounded. */
  constructor(readonly limit: number) {}

  get used(): number {
    return this.usedUnits;
  }

  /** Connections paused until this budget has room. */
  get waiting(): number {
    return this.waiters.size;
  }

  get exhausted(): boolean {
    return this.limit > 0 && this.usedUnits >= this.limit;
  }

  /** Takes `n` unconditionally (the caller checked `exhausted` before reading the request). */
  acquire(n: number): void {
    this.usedUnits += n;
  }

  /**
   * Takes `n` if it fits. When nothing is taken at all it always fits, so a single item larger
   * than the limit can still make progress instead of waiting forever.
   */
  tryAcquire(n: number): boolean {
    if (this.limit > 0 && this.usedUnits > 0 && this.usedUnits + n > this.limit) return false;
    this.usedUnits += n;
    return true;
  }

  release(n: number): void {
    this.usedUnits -= n;
    if (this.waiters.size > 0 && !this.wakeScheduled && !this.exhausted) {
      this.wakeScheduled = true;
      setImmediate(() => this.wakeAll());
    }
  }

  wait(w: BudgetWaiter): void {
    this.waiters.add(w);
  }

  forget(w: BudgetWaiter): void {
    this.waiters.delete(w);
  }

  private wakeAll(): void {
    this.wakeScheduled = false;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w.wake();
  }
}

/** The broker-wide budgets one NetworkServer hands to all its connections. */
export interface NetworkBudgets {
  requests: SharedBudget;
  receiveBytes: SharedBudget;
}

export function unboundedBudgets(): NetworkBudgets {
  return { requests: new SharedBudget(0), receiveBytes: new SharedBudget(0) };
}

// The leader's view of its followers (Kafka's Partition / Replica state on the leader): each
// follower's log end offset as its last Fetch said, when it was last caught up (for
// replica.lag.time.max.ms), and the acks=all produces parked until the high watermark passes
// their last offset. One per partition this broker leads, reset on every leadership change.

export interface FollowerState {
  /** The follower's log end offset (its last fetch offset); -1 before its first fetch. */
  leo: number;
  /** When the follower last fetched up to the leader's log end (ms). */
  caughtUpAtMs: number;
}

interface AckWaiter {
  /** Settled once the HW reaches this offset. */
  offset: number;
  done: (reached: boolean) => void;
  timer: NodeJS.Timeout;
}

/** Parked acks=all produces per partition; beyond this the produce is answered at once (bounded queue). */
const MAX_ACK_WAITERS = 100_000;

export class LeaderState {
  readonly followers = new Map<number, FollowerState>();
  private waiters: AckWaiter[] = [];

  constructor(
    readonly leaderEpoch: number,
    replicas: number[],
    self: number,
    now: number,
  ) {
    // Kafka gives every follower a fresh lag clock on a leader change.
    for (const id of replicas) if (id !== self) this.followers.set(id, { leo: -1, caughtUpAtMs: now });
  }

  /** The highest offset every ISR member has: the HW (never above the leader's own written end). */
  highWatermark(leaderWrittenEnd: number, isr: number[], self: number): number {
    let hw = leaderWrittenEnd;
    for (const id of isr) {
      if (id === self) continue;
      const f = this.followers.get(id);
      hw = Math.min(hw, f ? Math.max(f.leo, 0) : 0);
    }
    return hw;
  }

  /** Resolves true when release() sees the HW at or past `offset`, false on timeout or leadership loss. */
  waitFor(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.waiters.length >= MAX_ACK_WAITERS) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w: AckWaiter = {
        offset,
        done: resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  release(hw: number): void {
    if (this.waiters.length === 0) return;
    const keep: AckWaiter[] = [];
    for (const w of this.waiters) {
      if (w.offset <= hw) {
        clearTimeout(w.timer);
        w.done(true);
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /** Leadership moved away: every parked produce fails (the client retries on the new leader). */
  failAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.done(false);
    }
    this.waiters = [];
  }
}

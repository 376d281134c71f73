// One-shot timers addressed by key: scheduling a key again replaces its timer, which is how the
// coordinator models Kafka's purgatories (a member's next heartbeat deadline, a group's join and
// sync deadlines). Timers are unref'd so they never keep the process alive. Tests drive them
// with vi.useFakeTimers().

export class KeyedTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.cancel(key);
    const t = setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.timers.delete(key);
      fn();
    }, Math.max(0, delayMs));
    t.unref?.();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  isScheduled(key: string): boolean {
    return this.timers.has(key);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}

export const joinKey = (groupId: string): string => `join\u0000${groupId}`;
export const syncKey = (groupId: string): string => `sync\u0000${groupId}`;
export const heartbeatKey = (groupId: string, memberId: string): string => `hb\u0000${groupId}\u0000${memberId}`;

// Long-polling fetches park here until one of their partitions gets new data (its high
// watermark advances) or their max.wait.ms expires. A watch is registered before the first read,
// so an append landing between "read found nothing" and "start waiting" is not missed.
import { tpKey } from './topic-partition.js';

export class AppendWatch {
  /** Set when any watched partition was appended to since the last wait(). */
  dirty = false;
  private wake: (() => void) | null = null;

  constructor(private readonly unregister: (w: AppendWatch) => void) {}

  notify(): void {
    this.dirty = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves true when an append happened (possibly already), false on timeout. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, Math.max(0, timeoutMs));
      this.wake = () => {
        clearTimeout(timer);
        this.dirty = false;
        resolve(true);
      };
    });
  }

  close(): void {
    this.unregister(this);
  }
}

export class AppendWaiters {
  private readonly byPartition = new Map<string, Set<AppendWatch>>();

  watch(partitions: { topic: string; partition: number }[]): AppendWatch {
    const keys = [...new Set(partitions.map((p) => tpKey(p.topic, p.partition)))];
    const watch = new AppendWatch(() => {
      for (const k of keys) {
        const set = this.byPartition.get(k);
        if (!set) continue;
        set.delete(watch);
        if (set.size === 0) this.byPartition.delete(k);
      }
    });
    for (const k of keys) {
      let set = this.byPartition.get(k);
      if (!set) this.byPartition.set(k, (set = new Set()));
      set.add(watch);
    }
    return watch;
  }

  notify(topic: string, partition: number): void {
    const set = this.byPartition.get(tpKey(topic, partition));
    if (!set) return;
    for (const w of set) w.notify();
  }

  /** Wakes everything (shutdown). */
  notifyAll(): void {
    for (const set of this.byPartition.values()) for (const w of set) w.notify();
  }
}

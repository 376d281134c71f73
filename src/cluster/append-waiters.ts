// Long-polling fetches park here until one of their partitions gets new data (its high
// watermark advances) or their max.wait.ms expires. A fetch whose first read already has its
// min.bytes (a consumer catching up: every fetch) registers nothing; one that falls short takes
// `seq` before that read and registers a watch after it, and `watchSince` marks the watch dirty
// when any notification happened in between, so an append landing between "read found nothing"
// and "start waiting" is not missed (it costs at most one more read, never a lost wake-up).
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
  /** Bumped by every notification (any partition): see watchSince. */
  private notifications = 0;
  /** Watches registered so far (tests: a fetch that needs no wait registers none). */
  watchesOpened = 0;

  /** Notifications so far; pass it to watchSince to register a watch after a read without losing an append made meanwhile. */
  get seq(): number {
    return this.notifications;
  }

  /** A watch as `watch`, already dirty when a notification happened since `seq` was read (so the caller reads again instead of waiting). */
  watchSince(partitions: { topic: string; partition: number }[], seq: number): AppendWatch {
    const w = this.watch(partitions);
    if (this.notifications !== seq) w.dirty = true;
    return w;
  }

  watch(partitions: { topic: string; partition: number }[]): AppendWatch {
    this.watchesOpened++;
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
    this.notifications++;
    const set = this.byPartition.get(tpKey(topic, partition));
    if (!set) return;
    for (const w of set) w.notify();
  }

  /** Wakes everything (shutdown). */
  notifyAll(): void {
    this.notifications++;
    for (const set of this.byPartition.values()) for (const w of set) w.notify();
  }
}

// Which internal-topic partitions a coordinator currently owns (Kafka's CoordinatorRuntime
// shard states). A partition is loading while its replay runs, loaded once it is served,
// unloaded when another broker took it over (failover) or it was never loaded. Requests for a
// group / transactional id answer with errorFor(partition):
//   loading  → COORDINATOR_LOAD_IN_PROGRESS (the client retries here)
//   unloaded → NOT_COORDINATOR (the client looks the coordinator up again)
// On one broker every partition is loaded at start and stays loaded.
import { ErrorCode } from '../../../protocol/errors.js';

export type PartitionLoadState = 'loading' | 'loaded' | 'unloaded';

export class PartitionStates {
  private readonly states = new Map<number, PartitionLoadState>();
  /** Bumped on every load/unload: a load that was overtaken by an unload does not mark itself loaded. */
  private readonly epochs = new Map<number, number>();

  state(partition: number): PartitionLoadState {
    return this.states.get(partition) ?? 'unloaded';
  }

  /** ErrorCode.NONE when `partition` is served here. */
  errorFor(partition: number): number {
    switch (this.state(partition)) {
      case 'loaded':
        return ErrorCode.NONE;
      case 'loading':
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      default:
        return ErrorCode.NOT_COORDINATOR;
    }
  }

  /** Partitions currently loaded. */
  loaded(): number[] {
    return [...this.states].filter(([, s]) => s === 'loaded').map(([p]) => p);
  }

  /**
   * Marks `partition` loading, runs `replay`, then marks it loaded — unless it was unloaded (or
   * loaded again) meanwhile. A failed replay leaves it unloaded and rethrows; a replay answering
   * false gave up (cluster mode: leadership moved on before the log was ready) and leaves it
   * unloaded too. Loading a loaded partition does nothing.
   */
  async load(partition: number, replay: () => Promise<void | boolean>): Promise<boolean> {
    if (this.state(partition) !== 'unloaded') return false;
    const epoch = this.bump(partition);
    this.states.set(partition, 'loading');
    let done: void | boolean;
    try {
      done = await replay();
    } catch (e) {
      if (this.epochs.get(partition) === epoch) this.states.set(partition, 'unloaded');
      throw e;
    }
    if (this.epochs.get(partition) !== epoch) return false;
    this.states.set(partition, done === false ? 'unloaded' : 'loaded');
    return done !== false;
  }

  /** Marks `partition` unloaded; false when it was not loaded or loading. */
  unload(partition: number): boolean {
    if (this.state(partition) === 'unloaded') return false;
    this.bump(partition);
    this.states.set(partition, 'unloaded');
    return true;
  }

  /** Every partition unloaded (shutdown). */
  clear(): void {
    for (const p of this.states.keys()) this.unload(p);
  }

  private bump(partition: number): number {
    const e = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, e);
    return e;
  }
}

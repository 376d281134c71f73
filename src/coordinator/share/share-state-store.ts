// Share-partition state persisted in __share_group_state (Kafka's share coordinator), on the
// coordinator runtime: a ShareSnapshot record per change of a share partition (coalesced per
// tick), replayed on load (latest snapshot wins; ShareUpdate records from a Kafka-written log are
// applied over it). The topic is created on the first write, so brokers that never serve a share
// group do not carry it.
import { kafkaAbs, javaStringHashCode } from '../common/partition-for.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { CoordinatorRuntime, CoordinatorShard, InternalTopicLog, InternalTopicSpec } from '../runtime/coordinator-runtime.js';
import type { SharePartition, StateBatch } from './share-partition.js';
import { decodeShareKey, decodeShareValue, SHARE_SNAPSHOT, snapshotRecord, tombstone } from './share-records.js';

export const SHARE_STATE_TOPIC = '__share_group_state';

/** Kafka's share.coordinator.state.topic.num.partitions default is 50; one is enough on one broker and keeps startup cheap. */
const SHARE_STATE_PARTITIONS = 1;

const SPEC: InternalTopicSpec = { name: SHARE_STATE_TOPIC, numPartitions: SHARE_STATE_PARTITIONS, configs: { 'cleanup.policy': 'compact' } };

export interface SavedShareState {
  startOffset: number;
  stateBatches: StateBatch[];
  stateEpoch: number;
  snapshotEpoch: number;
}

/** Kafka's SharePartitionKey.asCoordinatorKey(): "groupId:topicId:partition". */
export function shareCoordinatorKey(groupId: string, topicId: string, partition: number): string {
  return `${groupId}:${topicId}:${partition}`;
}

export class ShareStateStore implements CoordinatorShard {
  private readonly saved = new Map<string, SavedShareState>();
  private readonly dirty = new Map<string, { groupId: string; topicId: string; partition: number; sp: SharePartition | null }>();
  private log: InternalTopicLog | null;
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly runtime: CoordinatorRuntime,
    log: InternalTopicLog | null,
    private readonly logger: CoordinatorLogger,
  ) {
    this.log = log;
  }

  static async open(runtime: CoordinatorRuntime, logger: CoordinatorLogger): Promise<ShareStateStore> {
    const log = await runtime.open(SPEC, false);
    const store = new ShareStateStore(runtime, log, logger);
    runtime.register(SHARE_STATE_TOPIC, store);
    if (log) for (let p = 0; p < log.numPartitions; p++) await store.loadPartition(p);
    return store;
  }

  get(groupId: string, topicId: string, partition: number): SavedShareState | undefined {
    return this.saved.get(shareCoordinatorKey(groupId, topicId, partition));
  }

  /** Groups with persisted state ("groupId:topicId:partition" keys; topic ids have no ':'). */
  groupIds(): string[] {
    const ids = new Set<string>();
    for (const k of this.saved.keys()) ids.add(k.slice(0, k.lastIndexOf(':', k.lastIndexOf(':') - 1)));
    return [...ids];
  }

  /** (topicId, partition) of every share partition of `groupId` with persisted state. */
  partitionsOf(groupId: string): { topicId: string; partition: number }[] {
    const out: { topicId: string; partition: number }[] = [];
    const prefix = `${groupId}:`;
    for (const k of this.saved.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const i = rest.lastIndexOf(':');
      if (i < 0 || rest.slice(0, i).includes(':')) continue; // a longer group id sharing the prefix
      out.push({ topicId: rest.slice(0, i), partition: Number(rest.slice(i + 1)) });
    }
    return out;
  }

  /** A share partition changed: its snapshot is written on the next tick (several changes, one record). */
  changed(groupId: string, topicId: string, partition: number, sp: SharePartition | null): void {
    this.dirty.set(shareCoordinatorKey(groupId, topicId, partition), { groupId, topicId, partition, sp });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writing.then(() => this.writeDirty());
    });
  }

  /** Resolves once every change so far is written. */
  async flush(): Promise<void> {
    if (this.scheduled || this.dirty.size > 0) {
      this.scheduled = false;
      this.writing = this.writing.then(() => this.writeDirty());
    }
    await this.writing;
  }

  async loadPartition(partition: number): Promise<void> {
    if (!this.log) return;
    await this.log.replay(partition, (rec) => {
      let key;
      try {
        key = decodeShareKey(rec.key);
      } catch {
        return;
      }
      if (!key) return;
      const k = shareCoordinatorKey(key.groupId, key.topicId, key.partition);
      if (rec.value === null) {
        this.saved.delete(k);
        return;
      }
      const v = decodeShareValue(key.type, rec.value);
      if (key.type === SHARE_SNAPSHOT) {
        this.saved.set(k, { startOffset: v.startOffset, stateBatches: v.stateBatches, stateEpoch: v.stateEpoch, snapshotEpoch: v.snapshotEpoch });
        return;
      }
      // ShareUpdate: the new start offset, and its batches override the snapshot's where they overlap.
      const base = this.saved.get(k);
      if (!base) return;
      const start = v.startOffset >= 0 ? v.startOffset : base.startOffset;
      const kept = base.stateBatches.filter((b) => b.lastOffset >= start && !v.stateBatches.some((u) => u.firstOffset <= b.lastOffset && u.lastOffset >= b.firstOffset));
      this.saved.set(k, { ...base, startOffset: start, stateBatches: [...kept, ...v.stateBatches].sort((a, b) => a.firstOffset - b.firstOffset) });
    });
  }

  async unloadPartition(partition: number): Promise<void> {
    const n = this.log?.numPartitions ?? SHARE_STATE_PARTITIONS;
    for (const k of [...this.saved.keys()]) if (kafkaAbs(javaStringHashCode(k)) % n === partition) this.saved.delete(k);
  }

  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    if (!this.log) this.log = await this.runtime.open(SPEC, true);
    const log = this.log!;
    const byPartition = new Map<number, ReturnType<typeof snapshotRecord>[]>();
    for (const d of batch) {
      const k = shareCoordinatorKey(d.groupId, d.topicId, d.partition);
      const key = { groupId: d.groupId, topicId: d.topicId, partition: d.partition };
      const prev = this.saved.get(k);
      let rec;
      if (d.sp) {
        const next: SavedShareState = { startOffset: d.sp.startOffset, stateBatches: d.sp.stateBatches(), stateEpoch: prev?.stateEpoch ?? 0, snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1 };
        this.saved.set(k, next);
        rec = snapshotRecord(key, { ...next, leaderEpoch: 0 });
      } else {
        this.saved.delete(k);
        rec = tombstone(key);
      }
      const p = kafkaAbs(javaStringHashCode(k)) % log.numPartitions;
      if (!byPartition.has(p)) byPartition.set(p, []);
      byPartition.get(p)!.push(rec);
    }
    for (const [p, records] of byPartition) {
      const code = await log.append(p, records);
      if (code !== 0) this.logger.warn('share state write failed', { partition: p, errorCode: code });
    }
  }
}

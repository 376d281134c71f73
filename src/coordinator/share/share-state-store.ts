// Share-partition state persisted in __share_group_state (Kafka's share coordinator), on the
// coordinator runtime. Changes of a share partition are coalesced per tick into one record:
// a ShareSnapshot (the whole state) for the first write and after every
// share.coordinator.snapshot.update.records.per.snapshot updates, ShareUpdate records between
// them (as Kafka's ShareCoordinatorShard writes them). Replay applies a snapshot as the new state
// and overlays each ShareUpdate of the same snapshot epoch on it offset by offset, in log order,
// so logs written by Kafka replay too.
//
// Kafka's ShareUpdate holds the batches one write changed and relies on __share_group_state being
// cleanup.policy=delete, pruned below the latest snapshots. Ours is compacted (the latest record
// per key survives), so each ShareUpdate holds every offset touched since the snapshot with its
// current state: the snapshot plus the last update alone give the state, and replaying every
// update in order gives the same. The topic is created on the first write, so brokers that never
// serve a share group do not carry it.
import { kafkaAbs, javaStringHashCode } from '../common/partition-for.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { CoordinatorRuntime, CoordinatorShard, InternalTopicLog, InternalTopicSpec } from '../runtime/coordinator-runtime.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import type { SharePartition, StateBatch } from './share-partition.js';
import { decodeShareKey, decodeShareValue, SHARE_SNAPSHOT, snapshotRecord, tombstone, updateRecord, updateTombstone, type ShareStateKey } from './share-records.js';

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

/** What the writer keeps beside the saved state: updates since the snapshot and the offsets they touched. */
interface SinceSnapshot {
  updates: number;
  touched: Set<number>;
}

/** Kafka's SharePartitionKey.asCoordinatorKey(): "groupId:topicId:partition". */
export function shareCoordinatorKey(groupId: string, topicId: string, partition: number): string {
  return `${groupId}:${topicId}:${partition}`;
}

export class ShareStateStore implements CoordinatorShard {
  private readonly saved = new Map<string, SavedShareState>();
  private readonly since = new Map<string, SinceSnapshot>();
  private readonly dirty = new Map<string, { groupId: string; topicId: string; partition: number; sp: SharePartition | null }>();
  private log: InternalTopicLog | null;
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly runtime: CoordinatorRuntime,
    log: InternalTopicLog | null,
    private readonly logger: CoordinatorLogger,
    private readonly updatesPerSnapshot: () => number,
  ) {
    this.log = log;
  }

  static async open(runtime: CoordinatorRuntime, logger: CoordinatorLogger, updatesPerSnapshot: () => number = () => 500): Promise<ShareStateStore> {
    const log = await runtime.open(SPEC, false);
    const store = new ShareStateStore(runtime, log, logger, updatesPerSnapshot);
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

  /** (groupId, partition) of every share partition of `topicId` with persisted state (topic deletion). */
  partitionsOfTopic(topicId: string): { groupId: string; partition: number }[] {
    const out: { groupId: string; partition: number }[] = [];
    const infix = `:${topicId}:`;
    for (const k of this.saved.keys()) {
      const at = k.lastIndexOf(infix);
      if (at < 0 || k.indexOf(':', at + infix.length) >= 0) continue;
      out.push({ groupId: k.slice(0, at), partition: Number(k.slice(at + infix.length)) });
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

  async loadPartition(partition: number, ready?: () => Promise<boolean>): Promise<void> {
    if (!this.log) return;
    if (ready && !(await ready())) return;
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
        // Both record types of a deleted share partition are tombstoned; either one ends it.
        this.saved.delete(k);
        this.since.delete(k);
        return;
      }
      const v = decodeShareValue(key.type, rec.value);
      if (key.type === SHARE_SNAPSHOT) {
        this.saved.set(k, { startOffset: v.startOffset, stateBatches: v.stateBatches, stateEpoch: v.stateEpoch, snapshotEpoch: v.snapshotEpoch });
        this.since.set(k, { updates: 0, touched: new Set() });
        return;
      }
      // ShareUpdate: only over the snapshot it was written after (a stale one survives compaction
      // before a newer snapshot); the new start offset, its batches over the state offset by offset.
      const base = this.saved.get(k);
      if (!base || v.snapshotEpoch !== base.snapshotEpoch) return;
      const start = v.startOffset >= 0 ? v.startOffset : base.startOffset;
      this.saved.set(k, { ...base, startOffset: start, stateBatches: overlay(base.stateBatches, v.stateBatches, start) });
      const since = this.since.get(k);
      if (since) {
        since.updates++;
        // The next update written must still carry these offsets (it replaces this one under compaction).
        for (const b of v.stateBatches) for (let o = Math.max(b.firstOffset, start); o <= b.lastOffset; o++) since.touched.add(o);
      }
    });
  }

  async unloadPartition(partition: number): Promise<void> {
    const n = this.log?.numPartitions ?? SHARE_STATE_PARTITIONS;
    for (const k of [...this.saved.keys()]) {
      if (kafkaAbs(javaStringHashCode(k)) % n !== partition) continue;
      this.saved.delete(k);
      this.since.delete(k);
    }
  }

  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    if (!this.log) this.log = await this.runtime.open(SPEC, true);
    const log = this.log!;
    const byPartition = new Map<number, CoordinatorRecord[]>();
    for (const d of batch) {
      const k = shareCoordinatorKey(d.groupId, d.topicId, d.partition);
      const key = { groupId: d.groupId, topicId: d.topicId, partition: d.partition };
      const records = d.sp ? this.stateRecords(k, key, d.sp) : this.deleted(k, key);
      if (records.length === 0) continue;
      const p = kafkaAbs(javaStringHashCode(k)) % log.numPartitions;
      if (!byPartition.has(p)) byPartition.set(p, []);
      byPartition.get(p)!.push(...records);
    }
    for (const [p, records] of byPartition) {
      const code = await log.append(p, records);
      if (code !== 0) this.logger.warn('share state write failed', { partition: p, errorCode: code });
    }
  }

  /** The record for a share partition's new state: a ShareUpdate when one can carry it, else a ShareSnapshot. */
  private stateRecords(k: string, key: Omit<ShareStateKey, 'type'>, sp: SharePartition): CoordinatorRecord[] {
    const prev = this.saved.get(k);
    const since = this.since.get(k);
    const startOffset = sp.startOffset;
    const stateBatches = sp.stateBatches();
    const next = perOffset(stateBatches);
    if (prev && since && since.updates < this.updatesPerSnapshot() && startOffset >= prev.startOffset) {
      const before = perOffset(prev.stateBatches);
      for (const [o, v] of next) if (before.get(o) !== v) since.touched.add(o);
      for (const o of since.touched) if (o < startOffset) since.touched.delete(o);
      // An offset touched since the snapshot but no longer in flight above the start (only a reset
      // does that) cannot be said by an update: snapshot instead.
      if ([...since.touched].every((o) => next.has(o))) {
        if (startOffset === prev.startOffset && [...next].every(([o, v]) => before.get(o) === v)) return []; // nothing changed
        since.updates++;
        this.saved.set(k, { ...prev, startOffset, stateBatches });
        const touched = stateBatches.flatMap((b) => runsOf(b, since.touched));
        return [updateRecord(key, { snapshotEpoch: prev.snapshotEpoch, stateEpoch: prev.stateEpoch, leaderEpoch: 0, startOffset, stateBatches: touched })];
      }
    }
    const state: SavedShareState = { startOffset, stateBatches, stateEpoch: prev?.stateEpoch ?? 0, snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1 };
    this.saved.set(k, state);
    this.since.set(k, { updates: 0, touched: new Set() });
    return [snapshotRecord(key, { ...state, leaderEpoch: 0 })];
  }

  /** A deleted share partition: both its keys tombstoned (compaction then drops them). */
  private deleted(k: string, key: Omit<ShareStateKey, 'type'>): CoordinatorRecord[] {
    const had = this.saved.has(k);
    this.saved.delete(k);
    this.since.delete(k);
    return had ? [tombstone(key), updateTombstone(key)] : [tombstone(key)];
  }
}

/** (state, delivery count) per offset, as one comparable number. */
function perOffset(batches: StateBatch[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of batches) for (let o = b.firstOffset; o <= b.lastOffset; o++) out.set(o, b.deliveryState * 65536 + b.deliveryCount);
  return out;
}

/** The parts of `b` whose offsets are in `offsets`, as runs. */
function runsOf(b: StateBatch, offsets: Set<number>): StateBatch[] {
  const out: StateBatch[] = [];
  for (let o = b.firstOffset; o <= b.lastOffset; o++) {
    if (!offsets.has(o)) continue;
    const last = out[out.length - 1];
    if (last && last.lastOffset === o - 1) last.lastOffset = o;
    else out.push({ ...b, firstOffset: o, lastOffset: o });
  }
  return out;
}

/** `update` over `base` offset by offset (Kafka's PersisterStateBatchCombiner), below `start` dropped. */
export function overlay(base: StateBatch[], update: StateBatch[], start: number): StateBatch[] {
  const byOffset = new Map<number, StateBatch>();
  for (const batches of [base, update]) {
    for (const b of batches) for (let o = Math.max(b.firstOffset, start); o <= b.lastOffset; o++) byOffset.set(o, b);
  }
  const out: StateBatch[] = [];
  for (const o of [...byOffset.keys()].sort((a, b) => a - b)) {
    const b = byOffset.get(o)!;
    const last = out[out.length - 1];
    if (last && last.lastOffset === o - 1 && last.deliveryState === b.deliveryState && last.deliveryCount === b.deliveryCount) last.lastOffset = o;
    else out.push({ firstOffset: o, lastOffset: o, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount });
  }
  return out;
}

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
import { ErrorCode } from '../../../protocol/errors.js';
import { kafkaAbs, javaStringHashCode } from '../common/partition-for.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { CoordinatorRuntime, CoordinatorShard, InternalTopicLog, InternalTopicSpec } from '../runtime/coordinator-runtime.js';
import { PartitionStates } from '../runtime/partition-states.js';
import type { CoordinatorRecord } from '../runtime/record-log.js';
import type { SharePartition, StateBatch } from './share-partition.js';
import { decodeShareKey, decodeShareValue, SHARE_SNAPSHOT, snapshotRecord, tombstone, updateRecord, updateTombstone, type ShareStateKey } from './share-records.js';

export const SHARE_STATE_TOPIC = '__share_group_state';

/** Kafka's share.coordinator.state.topic.num.partitions default is 50; one is enough on one broker and keeps startup cheap. */
const SHARE_STATE_PARTITIONS = 1;

const SPEC: InternalTopicSpec = { name: SHARE_STATE_TOPIC, numPartitions: SHARE_STATE_PARTITIONS, configs: { 'cleanup.policy': 'compact' } };

/** Cluster mode: the topic as Kafka creates it (share.coordinator.state.topic.*), replicated. */
export interface ClusterStateTopic {
  numPartitions: number;
  replicationFactor: number;
  minIsr: number;
}

export function clusterStateTopicSpec(t: ClusterStateTopic): InternalTopicSpec {
  return { name: SHARE_STATE_TOPIC, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(t.minIsr) } };
}

export interface SavedShareState {
  startOffset: number;
  stateBatches: StateBatch[];
  stateEpoch: number;
  snapshotEpoch: number;
  /** The highest leader epoch of the data partition that read or wrote this state (Kafka fences lower ones). */
  leaderEpoch?: number;
}

/** A share partition's state as its leader writes it (WriteShareGroupState). */
export interface ShareStateWrite {
  startOffset: number;
  stateBatches: StateBatch[];
  leaderEpoch: number;
  /** The state epoch the writer read (an older one than the state's: FENCED_STATE_EPOCH, the offsets were altered since). */
  stateEpoch?: number;
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

/** The __share_group_state partition of a share partition's key (Kafka's ShareCoordinatorService.partitionFor). */
export function statePartitionFor(key: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(key)) % numPartitions;
}

export class ShareStateStore implements CoordinatorShard {
  /** Which __share_group_state partitions are served here (cluster mode; a single broker serves them all). */
  readonly states = new PartitionStates();
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
    private readonly spec: InternalTopicSpec,
  ) {
    this.log = log;
  }

  /**
   * Single broker: every partition is loaded now. Cluster mode (`cluster` set): the topic is a
   * replicated cluster topic and the runtime loads / unloads partitions with their leadership.
   */
  static async open(runtime: CoordinatorRuntime, logger: CoordinatorLogger, updatesPerSnapshot: () => number = () => 500, cluster?: ClusterStateTopic): Promise<ShareStateStore> {
    const spec = runtime.clustered && cluster ? clusterStateTopicSpec(cluster) : SPEC;
    const log = await runtime.open(spec, false);
    const store = new ShareStateStore(runtime, log, logger, updatesPerSnapshot, spec);
    runtime.register(SHARE_STATE_TOPIC, store);
    if (log && !runtime.clustered) for (let p = 0; p < log.numPartitions; p++) await store.loadPartition(p);
    return store;
  }

  get clustered(): boolean {
    return this.runtime.clustered;
  }

  /** The state partition of a share partition (the topic's count, else the configured one). */
  partitionOf(groupId: string, topicId: string, partition: number): number {
    return statePartitionFor(shareCoordinatorKey(groupId, topicId, partition), this.log?.numPartitions ?? this.spec.numPartitions);
  }

  /** ErrorCode.NONE when the share partition's state is served here; else NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS. */
  coordinatorError(groupId: string, topicId: string, partition: number): number {
    if (!this.clustered) return ErrorCode.NONE;
    return this.states.errorFor(this.partitionOf(groupId, topicId, partition));
  }

  /**
   * ReadShareGroupState on the coordinator: the state, or startOffset -1 when none was written
   * (Kafka's uninitialized share partition). A read from a newer leader epoch of the data
   * partition is recorded (written), so the previous leader's writes are fenced from then on.
   */
  async readState(groupId: string, topicId: string, partition: number, leaderEpoch: number): Promise<{ errorCode: number; state: SavedShareState | null }> {
    const code = this.coordinatorError(groupId, topicId, partition);
    if (code !== ErrorCode.NONE) return { errorCode: code, state: null };
    const k = shareCoordinatorKey(groupId, topicId, partition);
    const prev = this.saved.get(k);
    if (!prev) return { errorCode: ErrorCode.NONE, state: null };
    const known = prev.leaderEpoch ?? -1;
    if (leaderEpoch >= 0 && leaderEpoch < known) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, state: null };
    if (leaderEpoch > known) {
      const written = await this.writeState(groupId, topicId, partition, { startOffset: prev.startOffset, stateBatches: prev.stateBatches, leaderEpoch });
      if (written !== ErrorCode.NONE) return { errorCode: written, state: null };
    }
    return { errorCode: ErrorCode.NONE, state: this.saved.get(k) ?? null };
  }

  /**
   * WriteShareGroupState on the coordinator: the batches are merged over the saved state offset
   * by offset (Kafka's PersisterStateBatchCombiner), below the start offset dropped; answered once
   * the record is written (acks=all on a replicated topic). A lower leader epoch than the last
   * reader's / writer's is FENCED_LEADER_EPOCH (a deposed share-partition leader).
   */
  async writeState(groupId: string, topicId: string, partition: number, w: ShareStateWrite): Promise<number> {
    const code = this.coordinatorError(groupId, topicId, partition);
    if (code !== ErrorCode.NONE) return code;
    const k = shareCoordinatorKey(groupId, topicId, partition);
    const prev = this.saved.get(k);
    if (prev && w.leaderEpoch >= 0 && w.leaderEpoch < (prev.leaderEpoch ?? -1)) return ErrorCode.FENCED_LEADER_EPOCH;
    if (prev && w.stateEpoch !== undefined && w.stateEpoch < prev.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
    const start = w.startOffset >= 0 ? w.startOffset : (prev?.startOffset ?? 0);
    const stateBatches = prev ? overlay(prev.stateBatches, w.stateBatches, start) : w.stateBatches;
    const leaderEpoch = Math.max(w.leaderEpoch, prev?.leaderEpoch ?? -1);
    const key = { groupId, topicId, partition };
    const before = this.since.get(k);
    const sinceBefore = before ? { updates: before.updates, touched: new Set(before.touched) } : undefined;
    const records = this.stateRecords(k, key, { startOffset: start, stateBatches }, leaderEpoch);
    if (records.length === 0) return ErrorCode.NONE;
    if (!this.log) this.log = await this.runtime.open(this.spec, true);
    const written = await this.log!.append(this.partitionOf(groupId, topicId, partition), records);
    if (written !== ErrorCode.NONE) {
      // Not in the log: memory goes back to what the log holds, so the writer's retry (it resends
      // its whole state) is written rather than found unchanged.
      if (prev) this.saved.set(k, prev);
      else this.saved.delete(k);
      if (sinceBefore) this.since.set(k, sinceBefore);
      else this.since.delete(k);
      this.logger.warn('share state write failed', { groupId, topicId, partition, errorCode: written });
    }
    return written;
  }

  /** DeleteShareGroupState on the coordinator: the share partition's keys tombstoned. */
  async deleteState(groupId: string, topicId: string, partition: number): Promise<number> {
    const code = this.coordinatorError(groupId, topicId, partition);
    if (code !== ErrorCode.NONE) return code;
    if (!this.log) return ErrorCode.NONE;
    const k = shareCoordinatorKey(groupId, topicId, partition);
    return this.log.append(this.partitionOf(groupId, topicId, partition), this.deleted(k, { groupId, topicId, partition }));
  }

  /** InitializeShareGroupState on the coordinator: a fresh snapshot at `startOffset` with the new state epoch. */
  async initializeState(groupId: string, topicId: string, partition: number, stateEpoch: number, startOffset: number): Promise<number> {
    const code = this.coordinatorError(groupId, topicId, partition);
    if (code !== ErrorCode.NONE) return code;
    const k = shareCoordinatorKey(groupId, topicId, partition);
    const prev = this.saved.get(k);
    if (prev && stateEpoch < prev.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
    const state: SavedShareState = { startOffset, stateBatches: [], stateEpoch, snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1, leaderEpoch: prev?.leaderEpoch ?? -1 };
    this.saved.set(k, state);
    this.since.set(k, { updates: 0, touched: new Set() });
    if (!this.log) this.log = await this.runtime.open(this.spec, true);
    return this.log!.append(this.partitionOf(groupId, topicId, partition), [snapshotRecord({ groupId, topicId, partition }, { ...state, leaderEpoch: Math.max(0, state.leaderEpoch ?? 0) })]);
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
    // Cluster mode: the log is the cluster topic's (always there); loading answers
    // COORDINATOR_LOAD_IN_PROGRESS until the replay is done.
    await this.states.load(partition, async () => {
      if (ready && !(await ready())) return false;
      this.dropPartition(partition);
      await this.replay(partition);
      return true;
    });
  }

  private async replay(partition: number): Promise<void> {
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
        // Both record types of a deleted share partition are tombstoned; either one ends it.
        this.saved.delete(k);
        this.since.delete(k);
        return;
      }
      const v = decodeShareValue(key.type, rec.value);
      if (key.type === SHARE_SNAPSHOT) {
        this.saved.set(k, { startOffset: v.startOffset, stateBatches: v.stateBatches, stateEpoch: v.stateEpoch, snapshotEpoch: v.snapshotEpoch, leaderEpoch: v.leaderEpoch });
        this.since.set(k, { updates: 0, touched: new Set() });
        return;
      }
      // ShareUpdate: only over the snapshot it was written after (a stale one survives compaction
      // before a newer snapshot); the new start offset, its batches over the state offset by offset.
      const base = this.saved.get(k);
      if (!base || v.snapshotEpoch !== base.snapshotEpoch) return;
      const start = v.startOffset >= 0 ? v.startOffset : base.startOffset;
      this.saved.set(k, { ...base, startOffset: start, stateBatches: overlay(base.stateBatches, v.stateBatches, start), leaderEpoch: Math.max(base.leaderEpoch ?? -1, v.leaderEpoch) });
      const since = this.since.get(k);
      if (since) {
        since.updates++;
        // The next update written must still carry these offsets (it replaces this one under compaction).
        for (const b of v.stateBatches) for (let o = Math.max(b.firstOffset, start); o <= b.lastOffset; o++) since.touched.add(o);
      }
    });
  }

  async unloadPartition(partition: number): Promise<void> {
    this.states.unload(partition);
    this.dropPartition(partition);
  }

  private dropPartition(partition: number): void {
    const n = this.log?.numPartitions ?? this.spec.numPartitions;
    for (const k of [...this.saved.keys()]) {
      if (statePartitionFor(k, n) !== partition) continue;
      this.saved.delete(k);
      this.since.delete(k);
    }
  }

  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    if (!this.log) this.log = await this.runtime.open(this.spec, true);
    const log = this.log!;
    const byPartition = new Map<number, CoordinatorRecord[]>();
    for (const d of batch) {
      const k = shareCoordinatorKey(d.groupId, d.topicId, d.partition);
      const key = { groupId: d.groupId, topicId: d.topicId, partition: d.partition };
      const records = d.sp ? this.stateRecords(k, key, { startOffset: d.sp.startOffset, stateBatches: d.sp.stateBatches() }, this.saved.get(k)?.leaderEpoch ?? 0) : this.deleted(k, key);
      if (records.length === 0) continue;
      const p = statePartitionFor(k, log.numPartitions);
      if (!byPartition.has(p)) byPartition.set(p, []);
      byPartition.get(p)!.push(...records);
    }
    for (const [p, records] of byPartition) {
      const code = await log.append(p, records);
      if (code !== 0) this.logger.warn('share state write failed', { partition: p, errorCode: code });
    }
  }

  /** The record for a share partition's new state: a ShareUpdate when one can carry it, else a ShareSnapshot. */
  private stateRecords(k: string, key: Omit<ShareStateKey, 'type'>, sp: { startOffset: number; stateBatches: StateBatch[] }, leaderEpoch: number): CoordinatorRecord[] {
    const prev = this.saved.get(k);
    const since = this.since.get(k);
    const startOffset = sp.startOffset;
    const stateBatches = sp.stateBatches;
    const epochMoved = leaderEpoch !== (prev?.leaderEpoch ?? 0);
    const next = perOffset(stateBatches);
    if (prev && since && since.updates < this.updatesPerSnapshot() && startOffset >= prev.startOffset) {
      const before = perOffset(prev.stateBatches);
      for (const [o, v] of next) if (before.get(o) !== v) since.touched.add(o);
      for (const o of since.touched) if (o < startOffset) since.touched.delete(o);
      // An offset touched since the snapshot but no longer in flight above the start (only a reset
      // does that) cannot be said by an update: snapshot instead.
      if ([...since.touched].every((o) => next.has(o))) {
        if (!epochMoved && startOffset === prev.startOffset && [...next].every(([o, v]) => before.get(o) === v)) return []; // nothing changed
        since.updates++;
        this.saved.set(k, { ...prev, startOffset, stateBatches, leaderEpoch });
        const touched = stateBatches.flatMap((b) => runsOf(b, since.touched));
        return [updateRecord(key, { snapshotEpoch: prev.snapshotEpoch, stateEpoch: prev.stateEpoch, leaderEpoch: Math.max(0, leaderEpoch), startOffset, stateBatches: touched })];
      }
    }
    const state: SavedShareState = { startOffset, stateBatches, stateEpoch: prev?.stateEpoch ?? 0, snapshotEpoch: (prev?.snapshotEpoch ?? -1) + 1, leaderEpoch };
    this.saved.set(k, state);
    this.since.set(k, { updates: 0, touched: new Set() });
    return [snapshotRecord(key, { ...state, leaderEpoch: Math.max(0, leaderEpoch) })];
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

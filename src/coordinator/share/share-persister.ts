// Cluster mode: how a share-partition leader reads and writes its share partitions' state
// (Kafka's DefaultStatePersister). The state lives with the share coordinator, the leader of the
// share partition's __share_group_state partition ("group:topicId:partition" hashed over its
// partitions). When that is this broker the store answers in process; otherwise the request goes
// to it over an inter-broker connection (ReadShareGroupState / WriteShareGroupState).
//
//   - prepare(): the state read once per leader epoch of the data partition, before the share
//     partition is built (a new leader starts from what was persisted; ACQUIRED records come back
//     AVAILABLE with their delivery counts). The read also records the new leader epoch with the
//     coordinator, which then refuses the previous leader's writes (FENCED_LEADER_EPOCH).
//   - changed(): writes coalesced per tick and serialized per share partition, each carrying the
//     partition's whole in-flight state (the coordinator merges it offset by offset), so a retried
//     or superseded write never leaves older state behind.
//   - flush(): resolves once every change so far is written, to the first error code;
//     acknowledgements are answered after it, as in Kafka.
// Retriable answers (the coordinator moving, loading or not yet elected) are retried with the
// coordinator looked up again, for a bounded time.
import { ErrorCode } from '../../../protocol/errors.js';
import type { DeleteShareGroupStateResponse } from '../../../protocol/generated/delete-share-group-state.js';
import type { InitializeShareGroupStateResponse } from '../../../protocol/generated/initialize-share-group-state.js';
import type { ReadShareGroupStateResponse } from '../../../protocol/generated/read-share-group-state.js';
import type { ReadShareGroupStateSummaryResponse } from '../../../protocol/generated/read-share-group-state-summary.js';
import type { WriteShareGroupStateResponse } from '../../../protocol/generated/write-share-group-state.js';
import type { CoordinatorLogger } from '../group/coordinator-core.js';
import type { SharePartition, StateBatch } from './share-partition.js';
import { shareCoordinatorKey, statePartitionFor, type SavedShareState, type ShareStateStore } from './share-state-store.js';

export const INITIALIZE_SHARE_GROUP_STATE = 83;
export const READ_SHARE_GROUP_STATE = 84;
export const WRITE_SHARE_GROUP_STATE = 85;
export const DELETE_SHARE_GROUP_STATE = 86;
export const READ_SHARE_GROUP_STATE_SUMMARY = 87;

/** What DescribeShareGroupOffsets needs of a share partition's state (ReadShareGroupStateSummary). */
export interface ShareStateSummary {
  errorCode: number;
  /** -1: no state (uninitialized). */
  startOffset: number;
  stateEpoch: number;
  leaderEpoch: number;
  /** Offsets at or above the start whose delivery is complete (acknowledged or archived). */
  deliveryCompleteCount: number;
}

/** How long a read or write keeps retrying a coordinator that is moving before it answers the error. */
const RETRY_FOR_MS = 10_000;
const RETRY_BACKOFF_MS = 100;

/** share-partition.ts RecordState values (a const enum, not importable at run time). */
const AVAILABLE = 0;
const ACQUIRED = 1;

const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
]);

export interface ClusterPersisterDeps {
  nodeId: number;
  /** This broker's share coordinator (serves the state partitions it leads). */
  store: ShareStateStore;
  /** Creates __share_group_state when missing (as FindCoordinator does); false while it cannot be. */
  ensureTopic(): Promise<boolean>;
  /** Partitions of __share_group_state. */
  numPartitions(): number;
  /** The leader of a __share_group_state partition as this broker knows it (-1: none). */
  leaderOf(statePartition: number): number;
  /** One request to another broker: its decoded answer, or the error code (unreachable, timed out). */
  request<T>(brokerId: number, apiKey: number, version: number, body: object): Promise<T | number>;
  logger: CoordinatorLogger;
}

interface Loaded {
  leaderEpoch: number;
  state: SavedShareState | null;
}

export class ClusterSharePersister {
  private readonly loaded = new Map<string, Loaded>();
  private readonly reading = new Map<string, Promise<number>>();
  private readonly dirty = new Map<string, { groupId: string; topicId: string; partition: number; sp: SharePartition }>();
  /** Per share partition: the chain of its writes (one at a time, in order). */
  private readonly writes = new Map<string, Promise<number>>();
  private scheduled = false;
  private closed = false;
  /** A write was refused as from a deposed leader: the share partition must be dropped here. */
  onFenced: (groupId: string, topicId: string, partition: number) => void = () => {};

  constructor(private readonly deps: ClusterPersisterDeps) {}

  /** Reads the share partition's state for `leaderEpoch` of its data partition (once per epoch); a Kafka error code. */
  prepare(groupId: string, topicId: string, partition: number, leaderEpoch: number): Promise<number> {
    const k = shareCoordinatorKey(groupId, topicId, partition);
    if (this.loaded.get(k)?.leaderEpoch === leaderEpoch) return Promise.resolve(ErrorCode.NONE);
    const rk = `${k}@${leaderEpoch}`;
    let p = this.reading.get(rk);
    if (!p) {
      p = this.read(groupId, topicId, partition, leaderEpoch)
        .then((r) => {
          if (r.errorCode === ErrorCode.NONE) this.loaded.set(k, { leaderEpoch, state: r.state });
          return r.errorCode;
        })
        .finally(() => this.reading.delete(rk));
      this.reading.set(rk, p);
    }
    return p;
  }

  /** The state prepare() read (undefined: none persisted, or not read yet). */
  get(groupId: string, topicId: string, partition: number): SavedShareState | undefined {
    return this.loaded.get(shareCoordinatorKey(groupId, topicId, partition))?.state ?? undefined;
  }

  /** The share partition is no longer led here: the next prepare() reads again. */
  forget(groupId: string, topicId: string, partition: number): void {
    const k = shareCoordinatorKey(groupId, topicId, partition);
    this.loaded.delete(k);
    this.dirty.delete(k);
  }

  changed(groupId: string, topicId: string, partition: number, sp: SharePartition): void {
    if (this.closed) return;
    this.dirty.set(shareCoordinatorKey(groupId, topicId, partition), { groupId, topicId, partition, sp });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.writeDirty());
  }

  /** Resolves once every change so far is written: ErrorCode.NONE, else the first failure. */
  async flush(): Promise<number> {
    if (this.dirty.size > 0) this.writeDirty();
    const codes = await Promise.all([...this.writes.values()]);
    return codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE;
  }

  close(): void {
    this.closed = true;
    this.dirty.clear();
  }

  /** Shutdown: what changed is written if the coordinators answer within `graceMs`, then retries stop. */
  async shutdown(graceMs = 2_000): Promise<void> {
    const done = this.flush();
    const timer = setTimeout(() => (this.closed = true), graceMs);
    await done;
    clearTimeout(timer);
    this.close();
  }

  private writeDirty(): void {
    this.scheduled = false;
    const batch = [...this.dirty.entries()];
    this.dirty.clear();
    for (const [k, d] of batch) {
      const leaderEpoch = this.loaded.get(k)?.leaderEpoch ?? -1;
      const prev = this.writes.get(k) ?? Promise.resolve(ErrorCode.NONE as number);
      // The state is taken when the write starts, so a write queued behind another carries the latest.
      const run = prev.then(() => this.write(d.groupId, d.topicId, d.partition, leaderEpoch, d.sp));
      this.writes.set(k, run);
      void run.then((code) => {
        if (this.writes.get(k) === run) this.writes.delete(k);
        if (code === ErrorCode.FENCED_LEADER_EPOCH || code === ErrorCode.FENCED_STATE_EPOCH) {
          this.forget(d.groupId, d.topicId, d.partition);
          this.onFenced(d.groupId, d.topicId, d.partition);
        } else if (code !== ErrorCode.NONE) this.deps.logger.warn('share state write failed', { groupId: d.groupId, topicId: d.topicId, partition: d.partition, errorCode: code });
      });
    }
  }

  /** ReadShareGroupStateSummary through the share partition's coordinator (DescribeShareGroupOffsets). */
  summary(groupId: string, topicId: string, partition: number): Promise<ShareStateSummary> {
    const none = (errorCode: number): ShareStateSummary => ({ errorCode, startOffset: -1, stateEpoch: 0, leaderEpoch: -1, deliveryCompleteCount: -1 });
    return this.withCoordinator(groupId, topicId, partition, async (leader) => {
      if (leader === this.deps.nodeId) {
        const code = this.deps.store.coordinatorError(groupId, topicId, partition);
        if (code !== ErrorCode.NONE) return none(code);
        const s = this.deps.store.get(groupId, topicId, partition);
        if (!s) return none(ErrorCode.NONE);
        return { errorCode: ErrorCode.NONE, startOffset: s.startOffset, stateEpoch: s.stateEpoch, leaderEpoch: s.leaderEpoch ?? -1, deliveryCompleteCount: completeCount(s.startOffset, s.stateBatches) };
      }
      const r = await this.deps.request<ReadShareGroupStateSummaryResponse>(leader, READ_SHARE_GROUP_STATE_SUMMARY, 1, { groupId, topics: [{ topicId, partitions: [{ partition, leaderEpoch: -1 }] }] });
      if (typeof r === 'number') return none(r);
      const p = r.results[0]?.partitions[0];
      if (!p) return none(ErrorCode.UNKNOWN_SERVER_ERROR);
      return { errorCode: p.errorCode, startOffset: p.startOffset, stateEpoch: p.stateEpoch, leaderEpoch: p.leaderEpoch, deliveryCompleteCount: p.deliveryCompleteCount };
    }, none);
  }

  /**
   * AlterShareGroupOffsets: InitializeShareGroupState with the next state epoch, so the data
   * leader's share partition built on the old state is fenced (FENCED_STATE_EPOCH) at its next
   * write and rebuilt from the new one.
   */
  async initialize(groupId: string, topicId: string, partition: number, startOffset: number): Promise<number> {
    const current = await this.summary(groupId, topicId, partition);
    if (current.errorCode !== ErrorCode.NONE) return current.errorCode;
    const stateEpoch = current.startOffset < 0 ? 0 : current.stateEpoch + 1;
    return this.withCoordinator(groupId, topicId, partition, async (leader) => {
      if (leader === this.deps.nodeId) return this.deps.store.initializeState(groupId, topicId, partition, stateEpoch, startOffset);
      const r = await this.deps.request<InitializeShareGroupStateResponse>(leader, INITIALIZE_SHARE_GROUP_STATE, 0, { groupId, topics: [{ topicId, partitions: [{ partition, stateEpoch, startOffset }] }] });
      return typeof r === 'number' ? r : (r.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    }, (code) => code);
  }

  /** DeleteShareGroupOffsets / DeleteGroups: DeleteShareGroupState through the coordinator. */
  deleteState(groupId: string, topicId: string, partition: number): Promise<number> {
    this.forget(groupId, topicId, partition);
    return this.withCoordinator(groupId, topicId, partition, async (leader) => {
      if (leader === this.deps.nodeId) return this.deps.store.deleteState(groupId, topicId, partition);
      const r = await this.deps.request<DeleteShareGroupStateResponse>(leader, DELETE_SHARE_GROUP_STATE, 0, { groupId, topics: [{ topicId, partitions: [{ partition }] }] });
      return typeof r === 'number' ? r : (r.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    }, (code) => code);
  }

  private async read(groupId: string, topicId: string, partition: number, leaderEpoch: number): Promise<{ errorCode: number; state: SavedShareState | null }> {
    return this.withCoordinator(groupId, topicId, partition, async (leader) => {
      if (leader === this.deps.nodeId) return this.deps.store.readState(groupId, topicId, partition, leaderEpoch);
      const r = await this.deps.request<ReadShareGroupStateResponse>(leader, READ_SHARE_GROUP_STATE, 0, { groupId, topics: [{ topicId, partitions: [{ partition, leaderEpoch }] }] });
      if (typeof r === 'number') return { errorCode: r, state: null };
      const p = r.results[0]?.partitions[0];
      if (!p) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, state: null };
      if (p.errorCode !== ErrorCode.NONE) return { errorCode: p.errorCode, state: null };
      if (p.startOffset < 0) return { errorCode: ErrorCode.NONE, state: null };
      return { errorCode: ErrorCode.NONE, state: { startOffset: p.startOffset, stateBatches: p.stateBatches, stateEpoch: p.stateEpoch, snapshotEpoch: 0, leaderEpoch } };
    }, (code) => ({ errorCode: code, state: null }));
  }

  private async write(groupId: string, topicId: string, partition: number, leaderEpoch: number, sp: SharePartition): Promise<number> {
    return this.withCoordinator(groupId, topicId, partition, async (leader) => {
      if (this.closed) return ErrorCode.NONE;
      // Kafka's delivery states on the wire: 0 available, 2 acknowledged, 4 archived; an acquired
      // record is persisted as available with its delivery count (a new leader redelivers it).
      const stateBatches: StateBatch[] = sp.stateBatches().map((b) => (b.deliveryState === ACQUIRED ? { ...b, deliveryState: AVAILABLE } : b));
      const startOffset = sp.startOffset;
      const stateEpoch = this.loaded.get(shareCoordinatorKey(groupId, topicId, partition))?.state?.stateEpoch ?? 0;
      if (leader === this.deps.nodeId) return this.deps.store.writeState(groupId, topicId, partition, { startOffset, stateBatches, leaderEpoch, stateEpoch });
      const deliveryCompleteCount = stateBatches.reduce((n, b) => n + (b.deliveryState === AVAILABLE ? 0 : b.lastOffset - b.firstOffset + 1), 0);
      const r = await this.deps.request<WriteShareGroupStateResponse>(leader, WRITE_SHARE_GROUP_STATE, 1, {
        groupId,
        topics: [{ topicId, partitions: [{ partition, stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount, stateBatches }] }],
      });
      if (typeof r === 'number') return r;
      return r.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    }, (code) => code);
  }

  /**
   * Runs `op` against the share partition's coordinator, looking it up again and retrying while
   * the answer is retriable, for at most RETRY_FOR_MS.
   */
  private async withCoordinator<T>(groupId: string, topicId: string, partition: number, op: (leader: number) => Promise<T>, failed: (code: number) => T, codeOf: (t: T) => number = (t) => (typeof t === 'number' ? t : (t as { errorCode: number }).errorCode)): Promise<T> {
    const deadline = Date.now() + RETRY_FOR_MS;
    const key = shareCoordinatorKey(groupId, topicId, partition);
    for (;;) {
      let out: T;
      if (!(await this.deps.ensureTopic())) out = failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      else {
        const leader = this.deps.leaderOf(statePartitionFor(key, this.deps.numPartitions()));
        out = leader < 0 ? failed(ErrorCode.COORDINATOR_NOT_AVAILABLE) : await op(leader);
      }
      const code = codeOf(out);
      if (!RETRIABLE.has(code) || this.closed || Date.now() >= deadline) return out;
      await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS));
    }
  }
}

/** Offsets at or above `start` whose delivery is complete (acknowledged or archived). */
export function completeCount(start: number, batches: StateBatch[]): number {
  let n = 0;
  for (const b of batches) if (b.deliveryState !== AVAILABLE && b.deliveryState !== ACQUIRED && b.lastOffset >= start) n += b.lastOffset - Math.max(b.firstOffset, start) + 1;
  return n;
}

// TxnOffsetCommit: offsets committed inside a transaction (Kafka's handleTxnCommitOffsets +
// GroupMetadata.pendingTransactionalOffsetCommits). They are appended to the group's
// __consumer_offsets partition as a transactional batch of the producer, held as pending, and
// become the group's committed offsets only when the COMMIT marker reaches that partition; an
// ABORT marker drops them. After a restart the group coordinator's replay applies committed ones
// at their marker and hands the still-open ones back here (restoreRecords).
//
//   pending: producerId → groupId → "topic\0partition" → offset
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { appendCoordinatorBatch } from '../../../storage/log/producer-state/append-with-state.js';
import { ClassicGroup, type CommittedOffset } from '../group/classic-group.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import { OFFSETS_TOPIC } from '../group/offsets-log.js';
import { decodeOffsetCommitValue, decodeOffsetsRecordKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../group/offsets-records.js';
import { partitionForGroup } from '../group/partition-for.js';
import type { TxnCore } from './txn-core.js';
import { TV2 } from './txn-metadata.js';
import { addPartitions, verifyOne } from './txn-partitions.js';

export type GroupCoordinatorLookup = () => GroupCoordinator | undefined;

export interface TxnOffsetCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** -1 / '' / null from v0-2 clients (no group membership check). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** TxnOffsetCommit v5+ (transaction version 2): the group's offsets partition joins the transaction here. */
  addPartition?: boolean;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[];
  }[];
}

export interface TxnOffsetCommitResult {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

interface PendingOffset {
  topic: string;
  partition: number;
  value: CommittedOffset;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Coordinator and storage outcomes as TxnOffsetCommit error codes (retriable ones stay retriable). */
function commitError(code: number): number {
  switch (code) {
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
      return ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.MESSAGE_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

export class TxnOffsets {
  private readonly pending = new Map<number, Map<string, Map<string, PendingOffset>>>();
  private core: TxnCore | null = null;

  constructor(private readonly groups: GroupCoordinatorLookup) {}

  attach(core: TxnCore): void {
    this.core = core;
  }

  private offsetsPartitionFor(groupId: string): number {
    const gc = this.groups();
    return gc ? gc.partitionFor(groupId) : partitionForGroup(groupId, this.core!.opts.offsetsPartitions());
  }

  async commit(p: TxnOffsetCommitParams): Promise<TxnOffsetCommitResult[]> {
    const results = p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE as number })) }));
    const failAll = (code: number) => {
      for (const t of results) for (const x of t.partitions) x.errorCode = code;
      return results;
    };
    const core = this.core!;
    const gc = this.groups();
    if (!gc || !gc.isActive) return failAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const offsetsPartition = gc.partitionFor(p.groupId);
    if (p.addPartition) {
      const added = await addPartitions(core, p.transactionalId, p.producerId, p.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: offsetsPartition }], TV2);
      if (added !== ErrorCode.NONE) return failAll(commitError(added));
    }
    if (core.config.partitionVerification) {
      const v = verifyOne(core, p.transactionalId, p.producerId, p.producerEpoch, OFFSETS_TOPIC, offsetsPartition);
      if (v !== ErrorCode.NONE) return failAll(commitError(v));
    }
    const modern = gc.modernGroups?.owns(p.groupId) ? gc.modernGroups : null;
    if (modern && (p.generationId >= 0 || p.memberId !== '')) {
      // A KIP-848 group: the generation field carries the member epoch. Kafka answers a stale
      // epoch with ILLEGAL_GENERATION on this API (validateTransactionalOffsetCommit).
      const err = modern.validateTxnOffsetCommit(p.groupId, p.memberId, p.generationId);
      if (err !== ErrorCode.NONE) return failAll(err === ErrorCode.STALE_MEMBER_EPOCH || err === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.ILLEGAL_GENERATION : err);
    }
    const group = gc.core.groups.get(p.groupId);
    if (!modern && (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null)) {
      if (!group || group.is('Dead')) return failAll(ErrorCode.ILLEGAL_GENERATION);
      const memberError = group.memberError(p.memberId, p.groupInstanceId);
      if (memberError !== null) return failAll(ErrorCode[memberError]);
      if (p.generationId !== group.generationId) return failAll(ErrorCode.ILLEGAL_GENERATION);
    }
    const target = core.opts.partition(OFFSETS_TOPIC, offsetsPartition);
    if (!target) return failAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);

    const now = core.now();
    const staged: PendingOffset[] = [];
    const records: { key: Buffer; value: Buffer; timestamp: number }[] = [];
    p.topics.forEach((t, ti) =>
      t.partitions.forEach((x, pi) => {
        const metadata = x.committedMetadata ?? '';
        if (metadata.length > gc.config.offsetMetadataMaxBytes) {
          results[ti]!.partitions[pi]!.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          return;
        }
        const value: CommittedOffset = { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch ?? -1, metadata, commitTimestamp: now, expireTimestamp: null };
        staged.push({ topic: t.name, partition: x.partitionIndex, value });
        records.push({ key: encodeOffsetCommitKey(p.groupId, t.name, x.partitionIndex), value: encodeOffsetCommitValue(value), timestamp: now });
      }),
    );
    if (records.length === 0) return results;
    const batch = buildRecordBatch({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: -1, transactional: true, records });
    const r = appendCoordinatorBatch(target.log, batch, target.leaderEpoch, now);
    if (r.errorCode !== ErrorCode.NONE) return failAll(commitError(r.errorCode));
    if (r.result!.error) return failAll(commitError(r.result!.error === 'RECORD_BATCH_TOO_LARGE' ? ErrorCode.RECORD_LIST_TOO_LARGE : ErrorCode.KAFKA_STORAGE_ERROR));
    // Pending from the append on (same tick), so a marker appended after it always finds them.
    for (const s of staged) this.stage(p.producerId, p.groupId, s);
    try {
      await r.result!.written;
    } catch {
      for (const s of staged) this.pending.get(p.producerId)?.get(p.groupId)?.delete(tpKey(s.topic, s.partition));
      return failAll(ErrorCode.NOT_COORDINATOR);
    }
    return results;
  }

  private stage(producerId: number, groupId: string, o: PendingOffset): void {
    let byGroup = this.pending.get(producerId);
    if (!byGroup) this.pending.set(producerId, (byGroup = new Map()));
    let m = byGroup.get(groupId);
    if (!m) byGroup.set(groupId, (m = new Map()));
    m.set(tpKey(o.topic, o.partition), o);
  }

  /** A marker of `producerId` was written to __consumer_offsets-`offsetsPartition`. */
  onMarker(offsetsPartition: number, producerId: number, committed: boolean): void {
    const byGroup = this.pending.get(producerId);
    if (!byGroup) return;
    const gc = this.groups();
    for (const [groupId, offsets] of byGroup) {
      if (this.offsetsPartitionFor(groupId) !== offsetsPartition) continue;
      byGroup.delete(groupId);
      if (!committed || !gc) continue;
      if (gc.modernGroups?.owns(groupId)) {
        gc.modernGroups.applyCommittedOffsets(groupId, offsets.values());
        continue;
      }
      let group = gc.core.groups.get(groupId);
      if (!group || group.is('Dead')) {
        group = new ClassicGroup(groupId, gc.core.now());
        gc.core.groups.set(groupId, group);
      }
      for (const o of offsets.values()) group.putOffset(o.topic, o.partition, o.value);
    }
    if (byGroup.size === 0) this.pending.delete(producerId);
  }

  /** Offsets of transactions still open when __consumer_offsets was replayed (offsets-log.ts). */
  restoreRecords(producerId: number, records: { key: Buffer; value: Buffer | null }[]): void {
    for (const rec of records) {
      const key = decodeOffsetsRecordKey(rec.key);
      if (key === null || key.type !== 'offset' || rec.value === null) continue;
      const v = decodeOffsetCommitValue(rec.value);
      this.stage(producerId, key.group, { topic: key.topic, partition: key.partition, value: v });
    }
  }

  /** OffsetFetch with require_stable: a pending transactional commit makes the offset unstable. */
  hasPending(groupId: string, topic: string, partition: number): boolean {
    const k = tpKey(topic, partition);
    for (const byGroup of this.pending.values()) if (byGroup.get(groupId)?.has(k)) return true;
    return false;
  }

  /**
   * OffsetFetch v7+ with require_stable (KIP-447): partitions with a pending transactional commit
   * answer UNSTABLE_OFFSET_COMMIT (the consumer retries) instead of an offset about to change.
   * Mutates and returns `fetched` (the group coordinator's FetchedOffsets shape).
   */
  markUnstable<T extends { topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; errorCode: number }[] }[] }>(groupId: string, fetched: T): T {
    if (this.pending.size === 0) return fetched;
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        if (this.hasPending(groupId, t.name, p.partitionIndex)) {
          p.errorCode = ErrorCode.UNSTABLE_OFFSET_COMMIT;
          p.committedOffset = -1;
        }
      }
    }
    return fetched;
  }

  /** Number of producers with pending offsets (tests, metrics). */
  get pendingProducers(): number {
    return this.pending.size;
  }
}

// TxnOffsetCommit: offsets committed inside a transaction (Kafka's handleTxnCommitOffsets +
// GroupMetadata.pendingTransactionalOffsetCommits). They are appended to the group's
// __consumer_offsets partition as a transactional batch of the producer, held as pending, and
// become the group's committed offsets only when the COMMIT marker reaches that partition; an
// ABORT marker drops them. After a restart the group coordinator's replay applies committed ones
// at their marker and hands the still-open ones back here (restoreRecords).
// Of two records of one offset key the one written later wins, whatever the marker order (Kafka's
// OffsetMetadataManager.replayEndTransactionMarker compares record offsets): every pending offset
// carries its write position (`seq`, in append order; restored ones below every live one, in log
// order), and one written before a plain commit, a tombstone or another producer's applied
// transactional offset of its key is superseded — its COMMIT no longer applies it.
//
//   pending: producerId → groupId → "topic\0partition" → offset
import { ErrorCode } from '../../../protocol/errors.js';
import { buildRecordBatch } from '../../../protocol/records/batch-builder.js';
import { tpKey } from '../../cluster/topic-partition.js';
import type { CommittedOffset } from '../common/committed-offset.js';
import type { PendingTxnOffsets, TxnOffsetsGroups } from '../common/group-txn-links.js';
import type { HeldRecord } from '../runtime/record-log.js';
import { OFFSETS_TOPIC } from '../common/internal-topics.js';
import { decodeOffsetCommitValue, decodeOffsetsRecordKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../common/offsets-records.js';
import { partitionForGroup } from '../common/partition-for.js';
import { offsetCommitWriteError } from '../runtime/write-errors.js';
import type { TxnCore } from './txn-core.js';
import { TV2 } from './txn-metadata.js';
import { addPartitions, verifyOne } from './txn-partitions.js';

/** The group coordinator, once the broker runs one (TxnOffsetCommit, markers on __consumer_offsets). */
export type GroupCoordinatorLookup = () => TxnOffsetsGroups | undefined;

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
  /** Write position: appends are ordered, so a lower seq is a lower log offset in the same partition. */
  seq: number;
  /** A later record of its key took effect first: its COMMIT does not apply it. */
  superseded: boolean;
}

/** Restored (replayed) offsets sit below every live write position, in log-offset order. */
const RESTORED_SEQ_BASE = -(2 ** 52);

/** Coordinator and storage outcomes as TxnOffsetCommit error codes (retriable ones stay retriable). */
function commitError(code: number): number {
  switch (code) {
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
      return ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    default:
      return offsetCommitWriteError(code);
  }
}

export class TxnOffsets implements PendingTxnOffsets {
  private readonly pending = new Map<number, Map<string, Map<string, PendingOffset>>>();
  private core: TxnCore | null = null;
  /** Next write position (see PendingOffset.seq). */
  private seq = 0;

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
    if (!gc) return failAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const unavailable = gc.groupError(p.groupId);
    if (unavailable !== ErrorCode.NONE) return failAll(unavailable);
    const offsetsPartition = gc.partitionFor(p.groupId);
    if (p.addPartition) {
      const added = await addPartitions(core, p.transactionalId, p.producerId, p.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: offsetsPartition }], TV2);
      if (added !== ErrorCode.NONE) return failAll(commitError(added));
    }
    if (core.config.partitionVerification) {
      const v = verifyOne(core, p.transactionalId, p.producerId, p.producerEpoch, OFFSETS_TOPIC, offsetsPartition);
      if (v !== ErrorCode.NONE) return failAll(commitError(v));
    }
    const memberError = gc.validateTxnOffsetCommit(p.groupId, p.memberId, p.groupInstanceId, p.generationId);
    if (memberError !== ErrorCode.NONE) return failAll(memberError);

    const now = core.now();
    const staged: PendingOffset[] = [];
    const records: { key: Buffer; value: Buffer; timestamp: number }[] = [];
    p.topics.forEach((t, ti) =>
      t.partitions.forEach((x, pi) => {
        const metadata = x.committedMetadata ?? '';
        if (metadata.length > gc.offsetMetadataMaxBytes) {
          results[ti]!.partitions[pi]!.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          return;
        }
        const value: CommittedOffset = { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch ?? -1, metadata, commitTimestamp: now, expireTimestamp: null };
        staged.push({ topic: t.name, partition: x.partitionIndex, value, seq: -1, superseded: false });
        records.push({ key: encodeOffsetCommitKey(p.groupId, t.name, x.partitionIndex), value: encodeOffsetCommitValue(value), timestamp: now });
      }),
    );
    if (records.length === 0) return results;
    const batch = buildRecordBatch({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: -1, transactional: true, records });
    // The append assigns the batch's offsets before it returns; the offsets are pending from the
    // same tick on, so a marker appended after it always finds them. A rejected or failed append
    // puts back what was pending before (its answer comes back before any later marker's write).
    const written = core.opts.partitions.appendInternal({ topic: OFFSETS_TOPIC, partition: offsetsPartition }, batch);
    for (const s of staged) s.seq = this.seq++;
    const previous = staged.map((s) => this.stage(p.producerId, p.groupId, s));
    const r = await written;
    if (r.errorCode !== ErrorCode.NONE) {
      staged.forEach((s, i) => this.unstage(p.producerId, p.groupId, s, previous[i]));
      return failAll(commitError(r.errorCode));
    }
    return results;
  }

  /** Makes `o` pending; returns what it replaced. */
  private stage(producerId: number, groupId: string, o: PendingOffset): PendingOffset | undefined {
    let byGroup = this.pending.get(producerId);
    if (!byGroup) this.pending.set(producerId, (byGroup = new Map()));
    let m = byGroup.get(groupId);
    if (!m) byGroup.set(groupId, (m = new Map()));
    const k = tpKey(o.topic, o.partition);
    const prev = m.get(k);
    m.set(k, o);
    return prev;
  }

  private unstage(producerId: number, groupId: string, o: PendingOffset, previous: PendingOffset | undefined): void {
    const byGroup = this.pending.get(producerId);
    const m = byGroup?.get(groupId);
    if (!byGroup || !m) return;
    const k = tpKey(o.topic, o.partition);
    if (m.get(k) !== o) return;
    if (previous) m.set(k, previous);
    else m.delete(k);
    if (m.size === 0) byGroup.delete(groupId);
    if (byGroup.size === 0) this.pending.delete(producerId);
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
      const applied = [...offsets.values()].filter((o) => !o.superseded);
      // What other producers wrote for these keys before this commit's records loses to them.
      for (const o of applied) this.supersede(groupId, o.topic, o.partition, o.seq);
      if (applied.length > 0) gc.applyTxnOffsets(groupId, applied);
    }
    if (byGroup.size === 0) this.pending.delete(producerId);
  }

  position(): number {
    return this.seq;
  }

  supersede(groupId: string, topic: string, partition: number, before: number): void {
    const k = tpKey(topic, partition);
    for (const byGroup of this.pending.values()) {
      const o = byGroup.get(groupId)?.get(k);
      if (o && o.seq < before) o.superseded = true;
    }
  }

  /** Offsets of transactions still open when a __consumer_offsets partition was replayed (group load). */
  restoreRecords(producerId: number, records: HeldRecord[]): void {
    for (const rec of records) {
      const key = decodeOffsetsRecordKey(rec.key);
      if (key === null || key.type !== 'offset' || rec.value === null) continue;
      const v = decodeOffsetCommitValue(rec.value);
      this.stage(producerId, key.group, { topic: key.topic, partition: key.partition, value: v, seq: RESTORED_SEQ_BASE + rec.offset, superseded: rec.superseded });
    }
  }

  dropPartition(partition: number): void {
    for (const [producerId, byGroup] of this.pending) {
      for (const groupId of byGroup.keys()) if (this.offsetsPartitionFor(groupId) === partition) byGroup.delete(groupId);
      if (byGroup.size === 0) this.pending.delete(producerId);
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

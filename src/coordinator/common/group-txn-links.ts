// How the group and transaction coordinators reach each other without importing each other
// (the group ↔ txn import circle, issue 12): each side sees only the small interface below,
// implemented by the other and connected by the broker's wiring.
import type { CommittedOffset } from './committed-offset.js';
import type { HeldRecord } from '../runtime/record-log.js';

/** What TxnOffsetCommit needs of the group coordinator (implemented by GroupCoordinator). */
export interface TxnOffsetsGroups {
  /** The __consumer_offsets partition holding `groupId`. */
  partitionFor(groupId: string): number;
  /** ErrorCode.NONE when this coordinator serves `groupId`'s partition, else the error to answer. */
  groupError(groupId: string): number;
  readonly offsetMetadataMaxBytes: number;
  /**
   * Kafka's validateTransactionalOffsetCommit: the member / generation checks of a classic group,
   * the member epoch of a KIP-848 group. NONE when the commit may proceed.
   */
  validateTxnOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number;
  /** Offsets of a committed transaction (already in the log) become the group's committed offsets. */
  applyTxnOffsets(groupId: string, offsets: Iterable<{ topic: string; partition: number; value: CommittedOffset }>): void;
}

/** What the group coordinator's load/unload hands to the transaction coordinator (implemented by TxnOffsets). */
export interface PendingTxnOffsets {
  /** Replay found transactional offsets of `producerId` without a marker yet: pending again. */
  restoreRecords(producerId: number, records: HeldRecord[]): void;
  /** Position in the order of offset writes: what is pending now was written before `position()`. */
  position(): number;
  /**
   * A plain commit or tombstone of (group, topic, partition), appended when position() was
   * `before`, is written: pending transactional offsets of that key written before it lose (a
   * later COMMIT does not apply them; Kafka keeps the record with the higher log offset).
   */
  supersede(groupId: string, topic: string, partition: number, before: number): void;
  /** __consumer_offsets-`partition` was unloaded: its groups' pending offsets go (reload restores them). */
  dropPartition(partition: number): void;
}

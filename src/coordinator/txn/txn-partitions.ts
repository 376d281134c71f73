// AddPartitionsToTxn, AddOffsetsToTxn and the verify-only form of KIP-890 (Kafka's
// handleAddPartitionsToTransaction / handleVerifyPartitionsInTransaction).
import { ErrorCode } from '../../../protocol/errors.js';
import { partitionForGroup } from '../common/partition-for.js';
import { OFFSETS_TOPIC } from '../common/internal-topics.js';
import type { TxnCore } from './txn-core.js';
import { settle } from './txn-end.js';
import type { TxnMetadata } from './txn-metadata.js';
import { isPreparing } from './txn-states.js';

/** How many in-flight adds an on-behalf add waits for before answering CONCURRENT_TRANSACTIONS. */
const MAX_ADD_WAITS = 8;

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** The checks every producer-driven request starts with; NONE when the id is usable. */
function checkProducer(md: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
  if (!md || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (md.pending || isPreparing(md.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
  return ErrorCode.NONE;
}

/**
 * The producer check of KIP-890 verification (Kafka's handleVerifyPartitionsInTransaction): a
 * pending transition is not CONCURRENT_TRANSACTIONS here, only a transaction being completed, as
 * the append itself is validated again. Otherwise a leader verifying while the producer's next
 * AddPartitionsToTxn is being written (clients add partitions per broker, in parallel) refused the
 * batch with a retriable error for no reason.
 */
function checkVerifiable(md: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
  if (!md || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (isPreparing(md.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
  return ErrorCode.NONE;
}

/** Adds partitions to the producer's transaction (starting it if none is open). One error for all. */
export async function addPartitions(
  core: TxnCore,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  parts: TopicPartitionRef[],
  clientTransactionVersion?: number,
): Promise<number> {
  const unavailable = core.unavailable(transactionalId);
  if (unavailable !== null) return unavailable;
  const md = core.txns.get(transactionalId);
  const settling = settle(md); // the previous transaction's Complete* may still be being written
  if (settling) await settling;
  // Added on the producer's behalf (Produce v12, TxnOffsetCommit v5): pipelined requests of the
  // same producer race to add partitions; a later one waits for the add in flight instead of
  // failing with CONCURRENT_TRANSACTIONS (each add is one quick __transaction_state write).
  for (let i = 0; clientTransactionVersion !== undefined && md?.pendingState === 'Ongoing' && i < MAX_ADD_WAITS; i++) await core.writeInProgress(md);
  const err = checkProducer(md, producerId, producerEpoch);
  if (err !== ErrorCode.NONE) return err;
  if (md!.state === 'Dead' || md!.state === 'PrepareEpochFence') return ErrorCode.INVALID_TXN_STATE;
  if (md!.state === 'Ongoing' && parts.every((p) => md!.hasPartition(p.topic, p.partition))) return ErrorCode.NONE;
  // A transaction keeps the version it started with; a new one takes the caller's (TV2 when
  // Produce v12 / TxnOffsetCommit v5 add the partition, classic for AddPartitionsToTxn).
  const fresh = md!.state !== 'Ongoing';
  const tv = fresh ? (clientTransactionVersion ?? 0) : md!.clientTransactionVersion;
  return core.persist(md!, md!.prepareAddPartitions(parts, core.now(), tv));
}

/**
 * KIP-890 verify-only: whether each partition is in the producer's open transaction. Nothing is
 * added. Per-partition NONE / INVALID_TXN_STATE, or one error for all when the producer itself
 * does not check out.
 */
export function verifyPartitions(
  core: TxnCore,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  parts: TopicPartitionRef[],
): { errorCode: number; partitions: number[] } {
  const unavailable = core.unavailable(transactionalId);
  if (unavailable !== null) return { errorCode: unavailable, partitions: [] };
  const md = core.txns.get(transactionalId);
  const err = checkVerifiable(md, producerId, producerEpoch);
  if (err !== ErrorCode.NONE) return { errorCode: err, partitions: [] };
  return {
    errorCode: ErrorCode.NONE,
    partitions: parts.map((p) => (md!.state === 'Ongoing' && md!.hasPartition(p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE)),
  };
}

/** The single-partition verification the produce path asks for (transactional id may be null). */
export function verifyOne(core: TxnCore, transactionalId: string | null, producerId: number, producerEpoch: number, topic: string, partition: number): number {
  const unavailable = core.unavailable(transactionalId ?? undefined);
  if (unavailable !== null) return unavailable;
  const md = transactionalId !== null ? core.txns.get(transactionalId) : core.byProducerId(producerId);
  const err = checkVerifiable(md, producerId, producerEpoch);
  if (err !== ErrorCode.NONE) return err;
  return md!.state === 'Ongoing' && md!.hasPartition(topic, partition) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
}

/** AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction. */
export function addOffsets(core: TxnCore, transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
  const partition = partitionForGroup(groupId, core.opts.offsetsPartitions());
  return addPartitions(core, transactionalId, producerId, producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
}

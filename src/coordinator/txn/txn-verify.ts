// The produce path's KIP-890 check: before a producer's first transactional batch in a partition
// is appended, the transaction coordinator must have that partition in the producer's open
// transaction. Coordinator answers are turned into produce errors the way Kafka's ReplicaManager
// does: transient ones become NOT_ENOUGH_REPLICAS (every client retries it), fencing becomes
// INVALID_PRODUCER_EPOCH, and a partition outside the transaction INVALID_TXN_STATE
// (TRANSACTION_ABORTABLE for Produce v11+, KIP-890).
import { ErrorCode } from '../../../protocol/errors.js';
import type { TransactionCoordinator } from './txn-coordinator.js';

/** What the produce path passes in (the broker satisfies it). */
export interface TxnVerifier {
  readonly txnCoordinator: TransactionCoordinator | null;
}

export function verifyTxnPartition(
  broker: TxnVerifier,
  transactionalId: string | null,
  producerId: number,
  producerEpoch: number,
  topic: string,
  partition: number,
  produceVersion: number,
): number {
  const tc = broker.txnCoordinator;
  if (!tc || !tc.core.config.partitionVerification) return ErrorCode.NONE;
  const code = tc.verifyForProduce(transactionalId, producerId, producerEpoch, topic, partition);
  // Cluster mode: the producer's coordinator is another broker. The append path is synchronous and
  // cannot ask it: the produce handler verified the partition there just before
  // (verifyProducePartitionsRemotely, AddPartitionsToTxn verifyOnly).
  if (code === ErrorCode.NOT_COORDINATOR && tc.followsLeadership) return ErrorCode.NONE;
  return produceTxnError(code, produceVersion);
}

/** A coordinator answer (verify, or Produce v12's implicit add) as the produce error Kafka gives. */
export function produceTxnError(code: number, produceVersion: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    default:
      return produceVersion >= 11 ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE;
  }
}

// Produce v12 (transaction version 2, KIP-890 part 2): a transactional producer no longer sends
// AddPartitionsToTxn; the broker adds each partition it writes to the producer's transaction
// (Kafka's ReplicaManager with transactionSupportedOperation = addPartition, which calls the
// coordinator's AddPartitionsToTxn on the producer's behalf). Only the batch header is read.
import { ErrorCode } from '../../protocol/errors.js';
import type { ProduceRequest } from '../../protocol/generated/produce.js';
import { isTransactionalBatch, readBatchHeader } from '../../protocol/records/batch-header.js';
import { tpKey } from '../cluster/topic-partition.js';
import type { TransactionCoordinator } from '../coordinator/txn/txn-coordinator.js';
import { produceTxnError } from '../coordinator/txn/txn-verify.js';
import { isBrokerOwnedTopic } from '../metadata/topic-name.js';

export const TXN_V2_PRODUCE_SINCE = 12;

/** The coordinator calls Produce makes on the producer's behalf (v12: add; before, in a cluster: verify). */
export type TxnPartitionAdder = Pick<TransactionCoordinator, 'addPartitionsForProduce' | 'verifyAtRemoteCoordinator' | 'followsLeadership'>;
/** Magic byte offset and the smallest v2 batch (its header). */
const MAGIC_OFFSET = 16;
const BATCH_HEADER_SIZE = 61;

/**
 * Adds every partition that receives a transactional batch to the producer's transaction (one
 * coordinator call for the whole request). Returns the produce error per "topic\0partition" of
 * those that could not be added; partitions not listed go on to the normal append, which still
 * verifies them. `names[i]` is the resolved name of topicData[i] (undefined: unknown topic id).
 */
/** The transactional batches of a request: their producer and the partitions they go to. */
function transactionalParts(
  partitions: { partition(topic: string, index: number): unknown },
  topicData: ProduceRequest['topicData'],
  names: (string | undefined)[],
): { producerId: number; producerEpoch: number; parts: { topic: string; partition: number }[] } {
  let producerId = -1;
  let producerEpoch = -1;
  const parts: { topic: string; partition: number }[] = [];
  topicData.forEach((t, ti) => {
    const topic = names[ti];
    if (topic === undefined || isBrokerOwnedTopic(topic)) return;
    for (const p of t.partitionData) {
      const rec = p.records;
      if (rec === null || rec.length < BATCH_HEADER_SIZE || rec[MAGIC_OFFSET] !== 2) continue;
      const h = readBatchHeader(rec, 0);
      if (!isTransactionalBatch(h.attributes) || h.producerId < 0) continue;
      if (partitions.partition(topic, p.index) === undefined) continue;
      producerId = h.producerId;
      producerEpoch = h.producerEpoch;
      parts.push({ topic, partition: p.index });
    }
  });
  return { producerId, producerEpoch, parts };
}

/**
 * Cluster mode, Produce before v12 (KIP-890 part 1, Kafka's AddPartitionsToTxnManager): a
 * partition led here that the producer has no open transaction in yet is verified at the
 * producer's coordinator when that is another broker (AddPartitionsToTxn verifyOnly) — a batch
 * of a transaction the coordinator does not know would otherwise leave the partition's LSO stuck.
 * Returns the produce error per "topic\0partition" of the partitions refused.
 */
export async function verifyProducePartitionsRemotely(
  tc: TxnPartitionAdder | null,
  partitions: { partition(topic: string, index: number): unknown; hostedPartition(topic: string, index: number): { log: { producers: { inTransaction(producerId: number): boolean } } } | undefined },
  transactionalId: string,
  topicData: ProduceRequest['topicData'],
  names: (string | undefined)[],
  version: number,
): Promise<Map<string, number> | null> {
  if (!tc?.followsLeadership) return null; // one broker: the append path verifies at the local coordinator
  const { producerId, producerEpoch, parts } = transactionalParts(partitions, topicData, names);
  // Only a transaction's first batch in a partition is verified (as Kafka: later ones find it open).
  const unverified = parts.filter((p) => partitions.hostedPartition(p.topic, p.partition)?.log.producers.inTransaction(producerId) === false);
  if (unverified.length === 0) return null;
  const codes = await tc.verifyAtRemoteCoordinator(transactionalId, producerId, producerEpoch, unverified);
  if (!codes) return null;
  let errors: Map<string, number> | null = null;
  for (const [key, code] of codes) {
    if (code === ErrorCode.NONE) continue;
    (errors ??= new Map()).set(key, produceTxnError(code, version));
  }
  return errors;
}

export async function addProducePartitionsToTxn(
  tc: TxnPartitionAdder | null,
  partitions: { partition(topic: string, index: number): unknown },
  transactionalId: string,
  topicData: ProduceRequest['topicData'],
  names: (string | undefined)[],
  version: number,
): Promise<Map<string, number> | null> {
  if (!tc) return null;
  const { producerId, producerEpoch, parts } = transactionalParts(partitions, topicData, names);
  if (parts.length === 0) return null;
  const code = await tc.addPartitionsForProduce(transactionalId, producerId, producerEpoch, parts);
  if (code === ErrorCode.NONE) return null;
  const err = produceTxnError(code, version);
  return new Map(parts.map((p) => [tpKey(p.topic, p.partition), err]));
}

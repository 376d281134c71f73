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

/** The coordinator call Produce v12 makes on the producer's behalf. */
export type TxnPartitionAdder = Pick<TransactionCoordinator, 'addPartitionsForProduce'>;
/** Magic byte offset and the smallest v2 batch (its header). */
const MAGIC_OFFSET = 16;
const BATCH_HEADER_SIZE = 61;

/**
 * Adds every partition that receives a transactional batch to the producer's transaction (one
 * coordinator call for the whole request). Returns the produce error per "topic\0partition" of
 * those that could not be added; partitions not listed go on to the normal append, which still
 * verifies them. `names[i]` is the resolved name of topicData[i] (undefined: unknown topic id).
 */
export async function addProducePartitionsToTxn(
  tc: TxnPartitionAdder | null,
  partitions: { partition(topic: string, index: number): unknown },
  transactionalId: string,
  topicData: ProduceRequest['topicData'],
  names: (string | undefined)[],
  version: number,
): Promise<Map<string, number> | null> {
  if (!tc) return null;
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
  if (parts.length === 0) return null;
  const code = await tc.addPartitionsForProduce(transactionalId, producerId, producerEpoch, parts);
  if (code === ErrorCode.NONE) return null;
  const err = produceTxnError(code, version);
  return new Map(parts.map((p) => [tpKey(p.topic, p.partition), err]));
}

// AddPartitionsToTxn (v0-5). v0-3: one producer's partitions join its transaction. v4+ (KIP-890):
// several transactions per request, each either adding (verifyOnly false) or only verifying that
// its partitions are already in the transaction (what a partition leader asks before a
// transactional write). Partitions of unknown topics fail with UNKNOWN_TOPIC_OR_PARTITION and the
// rest of that transaction with OPERATION_NOT_ATTEMPTED, as in Kafka.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { AddPartitionsToTxnResponse } from '../../protocol/generated/add-partitions-to-txn.js';
import { defineHandler } from '../network/request-context.js';
import type { PartitionPresence, TxnCoordinatorRef } from './handler-deps.js';

/** The transaction coordinator, and which partitions exist (unknown ones are refused here). */
type AddPartitionsDeps = TxnCoordinatorRef & PartitionPresence;

type TopicResult = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'][number];

/** PRODUCER_FENCED exists from v2 on; older clients get INVALID_PRODUCER_EPOCH. */
const FENCED_SINCE = 2;

function uniform(topics: { name: string; partitions: number[] }[], code: number): TopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code })) }));
}

async function handleOne(
  deps: AddPartitionsDeps,
  v: number,
  txn: { transactionalId: string; producerId: number; producerEpoch: number; verifyOnly: boolean; topics: { name: string; partitions: number[] }[] },
): Promise<TopicResult[]> {
  const tc = deps.txnCoordinator;
  if (!tc) return uniform(txn.topics, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const fenced = (c: number) => (c === ErrorCode.PRODUCER_FENCED && v < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : c);
  const unknown = txn.topics.some((t) => t.partitions.some((p) => deps.partition(t.name, p) === undefined));
  if (unknown) {
    return txn.topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({
        partitionIndex,
        partitionErrorCode: deps.partition(t.name, partitionIndex) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
      })),
    }));
  }
  const parts = txn.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  if (txn.verifyOnly) {
    const r = tc.verifyPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, parts);
    if (r.errorCode !== ErrorCode.NONE) return uniform(txn.topics, fenced(r.errorCode));
    let i = 0;
    return txn.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: r.partitions[i++]! })) }));
  }
  // v5 adding (not verifying) comes from a partition leader doing Produce v12's implicit add for a
  // transactions-v2 producer (Kafka's AddPartitionsToTxnManager): the transaction is a v2 one.
  const code = await tc.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, parts, v >= 5 ? 2 : undefined);
  return uniform(txn.topics, fenced(code));
}

export function addPartitionsToTxnHandler(deps: AddPartitionsDeps) {
  return defineHandler(Api.AddPartitionsToTxn, {
    errorResponse(req, errorCode, version): AddPartitionsToTxnResponse {
      if (version >= 4) return { throttleTimeMs: 0, errorCode, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: uniform(req.v3AndBelowTopics, errorCode) };
    },
    async handle(ctx, req): Promise<AddPartitionsToTxnResponse> {
      const v = ctx.header.apiVersion;
      if (v <= 3) {
        const results = await handleOne(deps, v, {
          transactionalId: req.v3AndBelowTransactionalId,
          producerId: req.v3AndBelowProducerId,
          producerEpoch: req.v3AndBelowProducerEpoch,
          verifyOnly: false,
          topics: req.v3AndBelowTopics,
        });
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: results };
      }
      const resultsByTransaction = await Promise.all(
        req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await handleOne(deps, v, t) })),
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
    },
  });
}

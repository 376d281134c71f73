// TxnOffsetCommit (v0-6): offsets committed inside the producer's transaction. They become the
// group's committed offsets only when the transaction commits (coordinator/txn/txn-offsets.ts).
// v5 is transaction version 2 (KIP-890 part 2): the group's __consumer_offsets partition joins the
// transaction here, no AddOffsetsToTxn needed. v6 (KIP-1319) names topics by id: an id no topic
// has answers UNKNOWN_TOPIC_ID.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/generated/txn-offset-commit.js';
import { defineHandler } from '../network/request-context.js';
import type { PartitionPresence, TopicLookup, TxnCoordinatorRef } from './handler-deps.js';

const TXN_V2_SINCE = 5;
const TOPIC_IDS_SINCE = 6;

export function txnOffsetCommitHandler(deps: TxnCoordinatorRef & TopicLookup & PartitionPresence) {
  return defineHandler(Api.TxnOffsetCommit, {
    errorResponse(req, errorCode): TxnOffsetCommitResponse {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
    },
    async handle(ctx, req): Promise<TxnOffsetCommitResponse> {
      const v = ctx.header.apiVersion;
      const tc = deps.txnCoordinator;
      // Partitions of unknown topics are answered here; the rest go to the coordinator.
      const names = req.topics.map((t) => (v >= TOPIC_IDS_SINCE ? deps.topics.getById(t.topicId)?.name : t.name));
      const answers = req.topics.map((t, ti) => ({ name: v >= TOPIC_IDS_SINCE ? '' : (names[ti] ?? ''), topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number })) }));
      const known: { name: string; partitions: TxnOffsetCommitRequest['topics'][number]['partitions']; slots: { errorCode: number }[] }[] = [];
      req.topics.forEach((t, ti) => {
        const name = names[ti];
        const entry = { name: name ?? '', partitions: [] as TxnOffsetCommitRequest['topics'][number]['partitions'], slots: [] as { errorCode: number }[] };
        t.partitions.forEach((p, pi) => {
          const slot = answers[ti]!.partitions[pi]!;
          if (name === undefined) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          else if (deps.partition(name, p.partitionIndex) === undefined) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else {
            entry.partitions.push(p);
            entry.slots.push(slot);
          }
        });
        if (entry.partitions.length > 0) known.push(entry);
      });
      if (known.length > 0) {
        if (!tc) {
          for (const k of known) for (const s of k.slots) s.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        } else {
          const results = await tc.offsets.commit({
            transactionalId: req.transactionalId,
            groupId: req.groupId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            generationId: v >= 3 ? req.generationIdOrMemberEpoch : -1,
            memberId: v >= 3 ? req.memberId : '',
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            addPartition: v >= TXN_V2_SINCE,
            topics: known.map((k) => ({ name: k.name, partitions: k.partitions.map((p) => ({ ...p, committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1 })) })),
          });
          results.forEach((t, ti) => t.partitions.forEach((p, pi) => (known[ti]!.slots[pi]!.errorCode = p.errorCode)));
        }
      }
      return { throttleTimeMs: 0, topics: answers };
    },
  });
}

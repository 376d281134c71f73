// TxnOffsetCommit (v0-4): offsets committed inside the producer's transaction. They become the
// group's committed offsets only when the transaction commits (coordinator/txn/txn-offsets.ts).
import { ErrorCode } from '../../protocol/errors.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/generated/txn-offset-commit.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

export function txnOffsetCommitHandler(broker: Broker): ApiHandler<TxnOffsetCommitRequest> {
  return {
    apiKey: 28,
    minVersion: 0,
    maxVersion: 4,
    errorResponse(req, errorCode): TxnOffsetCommitResponse {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
    },
    async handle(ctx, req): Promise<TxnOffsetCommitResponse> {
      const v = ctx.header.apiVersion;
      const tc = broker.txnCoordinator;
      // Partitions of unknown topics are answered here; the rest go to the coordinator.
      const answers = req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number })) }));
      const known: { name: string; partitions: TxnOffsetCommitRequest['topics'][number]['partitions']; slots: { errorCode: number }[] }[] = [];
      req.topics.forEach((t, ti) => {
        const entry = { name: t.name, partitions: [] as TxnOffsetCommitRequest['topics'][number]['partitions'], slots: [] as { errorCode: number }[] };
        t.partitions.forEach((p, pi) => {
          const slot = answers[ti]!.partitions[pi]!;
          if (broker.partition(t.name, p.partitionIndex) === undefined) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
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
            topics: known.map((k) => ({ name: k.name, partitions: k.partitions.map((p) => ({ ...p, committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1 })) })),
          });
          results.forEach((t, ti) => t.partitions.forEach((p, pi) => (known[ti]!.slots[pi]!.errorCode = p.errorCode)));
        }
      }
      return { throttleTimeMs: 0, topics: answers };
    },
  };
}

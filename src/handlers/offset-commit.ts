// OffsetCommit (v0-10): partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION (as Kafka's
// request handler does); the rest go to the coordinator, which answers after the log write.
// v10 (KIP-848) addresses topics by id: an id no topic has answers UNKNOWN_TOPIC_ID.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/generated/offset-commit.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import type { GroupCoordinator, OffsetCommitParams } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';
import type { PartitionPresence, TopicLookup } from './handler-deps.js';

type Partition = OffsetCommitRequest['topics'][number]['partitions'][number];

function everywhere(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}

export function offsetCommitHandler(deps: TopicLookup & PartitionPresence & HasAuthorizer, coordinator: GroupCoordinator) {
  return defineHandler(Api.OffsetCommit, {
    errorResponse: everywhere,
    async handle(ctx, req): Promise<OffsetCommitResponse> {
      const v = ctx.header.apiVersion;
      // v10 names topics by id; the offsets are kept by name, as in Kafka.
      const names = req.topics.map((t) => (v >= 10 ? deps.topics.getById(t.topicId)?.name : t.name));
      // Per topic: the known partitions (sent on) and the final answer slots, in request order.
      const answers = req.topics.map((t, ti) => ({ name: names[ti] ?? '', topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number })) }));
      const known: OffsetCommitParams['topics'] = [];
      const slots: { errorCode: number }[][] = [];
      // KafkaApis: READ on the group for the whole request, then READ on each topic.
      if (!authorized(deps, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return everywhere(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      req.topics.forEach((t, ti) => {
        const parts: Partition[] = [];
        const topicSlots: { errorCode: number }[] = [];
        const name = names[ti];
        const refused = name !== undefined && !authorized(deps, ctx, AclOperation.READ, ResourceType.TOPIC, name);
        t.partitions.forEach((p, pi) => {
          const slot = answers[ti]!.partitions[pi]!;
          if (refused) slot.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          else if (name === undefined) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          else if (deps.partition(name, p.partitionIndex) === undefined) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else {
            parts.push(p);
            topicSlots.push(slot);
          }
        });
        if (parts.length > 0) {
          known.push({ name: name!, partitions: parts });
          slots.push(topicSlots);
        }
      });
      if (known.length > 0) {
        const results = await coordinator.commitOffsets({
          groupId: req.groupId,
          generationId: req.generationIdOrMemberEpoch,
          memberId: req.memberId,
          groupInstanceId: v >= 7 ? req.groupInstanceId : null,
          retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1,
          apiVersion: v,
          topics: known,
        });
        results.forEach((t, ti) => t.partitions.forEach((p, pi) => (slots[ti]![pi]!.errorCode = p.errorCode)));
      }
      return { throttleTimeMs: 0, topics: answers };
    },
  });
}

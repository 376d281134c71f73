// OffsetFetch (v0-10): one group before v8, several from v8. `topics` null (v2+) means all.
// v10 (KIP-848) names topics by id: an id no topic has answers UNKNOWN_TOPIC_ID per partition.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/generated/offset-fetch.js';
import type { FetchedOffsets, GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';

/** Marks partitions with a pending transactional commit UNSTABLE_OFFSET_COMMIT (KIP-447 requireStable). */
export type StableOffsets = (groupId: string, fetched: FetchedOffsets) => FetchedOffsets;

/** Topic id <-> name, for v10. */
export interface TopicIds {
  nameOf(topicId: string): string | undefined;
  idOf(name: string): string | undefined;
}

type GroupTopics = NonNullable<OffsetFetchRequest['groups'][number]['topics']>;
type ResponseTopic = OffsetFetchResponse['groups'][number]['topics'][number];

export function offsetFetchHandler(coordinator: GroupCoordinator, stable: StableOffsets = (_g, f) => f, ids?: TopicIds) {
  /** v10: requested ids resolved to names for the coordinator; answers carry ids, in request order. */
  const fetchByTopicId = (groupId: string, requested: GroupTopics | null, member: { memberId: string | null; memberEpoch: number }, requireStable: boolean) => {
    if (!ids) throw new Error('OffsetFetch v10 needs topic ids');
    const named = requested?.map((t) => ({ ...t, name: ids.nameOf(t.topicId) }));
    const known = named?.flatMap((t) => (t.name === undefined ? [] : [{ name: t.name, partitionIndexes: t.partitionIndexes }])) ?? null;
    let r = coordinator.fetchOffsets(groupId, known, member);
    if (requireStable) r = stable(groupId, r);
    if (r.errorCode !== 0) return { groupId, topics: [], errorCode: r.errorCode };
    let topics: ResponseTopic[];
    if (named === undefined) {
      // All committed topics; one deleted meanwhile has no id to answer with and is left out.
      topics = r.topics.flatMap((t) => {
        const topicId = ids.idOf(t.name);
        return topicId === undefined ? [] : [{ ...t, topicId }];
      });
    } else {
      const byName = new Map(r.topics.map((t) => [t.name, t]));
      topics = named.map((t) => {
        const found = t.name === undefined ? undefined : byName.get(t.name);
        if (found) return { ...found, topicId: t.topicId };
        const errorCode = t.name === undefined ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.NONE;
        return { name: t.name ?? '', topicId: t.topicId, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })) };
      });
    }
    return { groupId, topics, errorCode: 0 };
  };
  return defineHandler(Api.OffsetFetch, {
    errorResponse(req, errorCode): OffsetFetchResponse {
      return { throttleTimeMs: 0, topics: [], errorCode, groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
    },
    handle(ctx, req): OffsetFetchResponse {
      const v = ctx.header.apiVersion;
      if (v >= 8) {
        return {
          throttleTimeMs: 0,
          topics: [],
          errorCode: 0,
          groups: req.groups.map((g) => {
            // v9 (KIP-848) carries the member id and epoch so stale members are refused.
            const member = v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined;
            if (v >= 10) return fetchByTopicId(g.groupId, g.topics, member!, req.requireStable);
            let r = coordinator.fetchOffsets(g.groupId, g.topics, member);
            if (req.requireStable) r = stable(g.groupId, r);
            return { groupId: g.groupId, topics: r.topics.map((t) => ({ ...t, topicId: ZERO_UUID })), errorCode: r.errorCode };
          }),
        };
      }
      let r = coordinator.fetchOffsets(req.groupId, req.topics);
      if (v >= 7 && req.requireStable) r = stable(req.groupId, r);
      return { throttleTimeMs: 0, topics: v < 2 ? withPartitionErrors(r, req.topics) : r.topics, errorCode: r.errorCode, groups: [] };
    },
  });
}

/** v0-1 have no group-level error: a group error is reported on every requested partition. */
function withPartitionErrors(r: FetchedOffsets, requested: OffsetFetchRequest['topics']): FetchedOffsets['topics'] {
  if (r.errorCode === 0) return r.topics;
  return (requested ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
  }));
}

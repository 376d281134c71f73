// OffsetFetch (v0-9): one group before v8, several from v8. `topics` null (v2+) means all.
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/generated/offset-fetch.js';
import type { FetchedOffsets, GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import type { ApiHandler } from '../network/request-context.js';

/** Marks partitions with a pending transactional commit UNSTABLE_OFFSET_COMMIT (KIP-447 requireStable). */
export type StableOffsets = (groupId: string, fetched: FetchedOffsets) => FetchedOffsets;

export function offsetFetchHandler(coordinator: GroupCoordinator, stable: StableOffsets = (_g, f) => f): ApiHandler<OffsetFetchRequest> {
  return {
    apiKey: 9,
    minVersion: 0,
    maxVersion: 9,
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
  };
}

/** v0-1 have no group-level error: a group error is reported on every requested partition. */
function withPartitionErrors(r: FetchedOffsets, requested: OffsetFetchRequest['topics']): FetchedOffsets['topics'] {
  if (r.errorCode === 0) return r.topics;
  return (requested ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
  }));
}

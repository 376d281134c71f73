// SyncGroup (v0-5): the leader's assignments in, each member's assignment out.
import type { SyncGroupResponse } from '../../protocol/generated/sync-group.js';
import { Api } from '../../protocol/generated/apis.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

export function syncGroupHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.SyncGroup, {
    errorResponse(_req, errorCode): SyncGroupResponse {
      return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    },
    async handle(ctx, req): Promise<SyncGroupResponse> {
      const v = ctx.header.apiVersion;
      const r = await coordinator.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        protocolType: v >= 5 ? req.protocolType : null,
        protocolName: v >= 5 ? req.protocolName : null,
        assignments: req.assignments,
      });
      return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
    },
  });
}

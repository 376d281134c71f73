// Heartbeat (v0-4): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import type { HeartbeatResponse } from '../../protocol/generated/heartbeat.js';
import { Api } from '../../protocol/generated/apis.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

export function heartbeatHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.Heartbeat, {
    errorResponse(_req, errorCode): HeartbeatResponse {
      return { throttleTimeMs: 0, errorCode };
    },
    handle(ctx, req): HeartbeatResponse {
      const errorCode = coordinator.heartbeat({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: ctx.header.apiVersion >= 3 ? req.groupInstanceId : null,
      });
      return { throttleTimeMs: 0, errorCode };
    },
  });
}

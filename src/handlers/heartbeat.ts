// Heartbeat (v0-4): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/generated/heartbeat.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { ApiHandler } from '../network/request-context.js';

export function heartbeatHandler(coordinator: GroupCoordinator): ApiHandler<HeartbeatRequest> {
  return {
    apiKey: 12,
    minVersion: 0,
    maxVersion: 4,
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
  };
}

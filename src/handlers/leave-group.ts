// LeaveGroup (v0-5): v0-2 name one member; v3+ a batch (static members by instance id).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { LeaveGroupResponse } from '../../protocol/generated/leave-group.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

export function leaveGroupHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.LeaveGroup, {
    errorResponse(_req, errorCode): LeaveGroupResponse {
      return { throttleTimeMs: 0, errorCode, members: [] };
    },
    handle(ctx, req): LeaveGroupResponse {
      const v = ctx.header.apiVersion;
      const leaving = v >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
      const r = coordinator.leaveGroup(req.groupId, leaving);
      if (v >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
      // v0-2 have only the top-level code: the member's own error when the request was valid.
      const memberError = r.members[0]?.errorCode ?? ErrorCode.NONE;
      return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError, members: [] };
    },
  });
}

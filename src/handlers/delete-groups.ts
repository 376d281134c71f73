// DeleteGroups (v0-3): removes Empty groups and their offsets (tombstones in __consumer_offsets).
// v3 adds a message per failed group, as Kafka words it: its own for a group that does not
// exist, otherwise the error's standard message.
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DeleteGroupsResponse } from '../../protocol/generated/delete-groups.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

function messageFor(groupId: string, errorCode: number): string | null {
  if (errorCode === ErrorCode.NONE) return null;
  if (errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return `Group ${groupId} not found.`;
  return errorMessage(errorCode) || null;
}

export function deleteGroupsHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.DeleteGroups, {
    errorResponse(req, errorCode): DeleteGroupsResponse {
      return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode, errorMessage: messageFor(groupId, errorCode) })) };
    },
    async handle(_ctx, req): Promise<DeleteGroupsResponse> {
      const results = await coordinator.deleteGroups(req.groupsNames);
      return { throttleTimeMs: 0, results: results.map((r) => ({ ...r, errorMessage: messageFor(r.groupId, r.errorCode) })) };
    },
  });
}

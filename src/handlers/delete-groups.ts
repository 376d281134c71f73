// DeleteGroups (v0-2): removes Empty groups and their offsets (tombstones in __consumer_offsets).
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/generated/delete-groups.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { ApiHandler } from '../network/request-context.js';

export function deleteGroupsHandler(coordinator: GroupCoordinator): ApiHandler<DeleteGroupsRequest> {
  return {
    apiKey: 42,
    minVersion: 0,
    maxVersion: 2,
    errorResponse(req, errorCode): DeleteGroupsResponse {
      return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode, errorMessage: null })) };
    },
    async handle(_ctx, req): Promise<DeleteGroupsResponse> {
      return { throttleTimeMs: 0, results: (await coordinator.deleteGroups(req.groupsNames)).map((r) => ({ ...r, errorMessage: null })) };
    },
  };
}

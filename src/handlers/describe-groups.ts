// DescribeGroups (v0-6): state, protocol and members (with metadata and assignment once Stable);
// v6 (KIP-1043) answers GROUP_ID_NOT_FOUND with a message for a group that does not exist.
import type { DescribeGroupsResponse } from '../../protocol/generated/describe-groups.js';
import { Api } from '../../protocol/generated/apis.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

/** Kafka's "not requested" value for authorizedOperations. */
const OPERATIONS_NOT_REQUESTED = -2147483648;
/** Without an authorizer every group operation is allowed: READ(3), DELETE(6), DESCRIBE(8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export function describeGroupsHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.DescribeGroups, {
    errorResponse(req, errorCode): DescribeGroupsResponse {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED })),
      };
    },
    handle(ctx, req): DescribeGroupsResponse {
      const ops = ctx.header.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => ({ ...coordinator.describeGroup(groupId, ctx.header.apiVersion), authorizedOperations: ops })),
      };
    },
  });
}

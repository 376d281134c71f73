// ConsumerGroupDescribe (v0-1, KIP-848): epochs, assignor and every member's current and target
// assignment of consumer groups. Classic or unknown group ids get GROUP_ID_NOT_FOUND. v1 adds each
// member's type (KIP-1099): always CONSUMER here, as classic members never join a consumer group.
import type { ConsumerGroupDescribeResponse } from '../../protocol/generated/consumer-group-describe.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ConsumerGroupCoordinator } from '../coordinator/consumer/consumer-coordinator.js';
import { defineHandler } from '../network/request-context.js';

/** Kafka's "not requested" value for authorizedOperations. */
const OPERATIONS_NOT_REQUESTED = -2147483648;
/** Without an authorizer every group operation is allowed: READ(3), DELETE(6), DESCRIBE(8). */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export function consumerGroupDescribeHandler(coordinator: ConsumerGroupCoordinator) {
  return defineHandler(Api.ConsumerGroupDescribe, {
    errorResponse(req, errorCode): ConsumerGroupDescribeResponse {
      return {
        throttleTimeMs: 0,
        groups: req.groupIds.map((groupId) => ({
          errorCode,
          errorMessage: null,
          groupId,
          groupState: '',
          groupEpoch: -1,
          assignmentEpoch: -1,
          assignorName: '',
          members: [],
          authorizedOperations: OPERATIONS_NOT_REQUESTED,
        })),
      };
    },
    handle(_ctx, req): ConsumerGroupDescribeResponse {
      const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
      return { throttleTimeMs: 0, groups: coordinator.describeGroups(req.groupIds).map((g) => ({ ...g, authorizedOperations: ops })) };
    },
  });
}

// ShareGroupDescribe (v1, KIP-932): members, epochs and assignments of share groups.
import { Api } from '../../protocol/generated/apis.js';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/share-group-describe.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';

// Kafka's "operations not requested" marker for authorizedOperations.
const NOT_REQUESTED = -2147483648;

export function shareGroupDescribeHandler(share: ShareService) {
  return defineHandler(Api.ShareGroupDescribe, {
    errorResponse(req, errorCode): ShareGroupDescribeResponse {
      return {
        throttleTimeMs: 0,
        groups: req.groupIds.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: NOT_REQUESTED })),
      };
    },
    handle(_ctx, req): ShareGroupDescribeResponse {
      return { throttleTimeMs: 0, groups: req.groupIds.map((id) => ({ ...share.groups.describe(id), authorizedOperations: NOT_REQUESTED })) };
    },
  });
}

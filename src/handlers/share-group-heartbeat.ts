// ShareGroupHeartbeat (v1, KIP-932): join, heartbeat and leave of share group members, served by
// the share group coordinator (src/coordinator/share/).
import { Api } from '../../protocol/generated/apis.js';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/share-group-heartbeat.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { defineHandler } from '../network/request-context.js';

export function shareGroupHeartbeatHandler(share: ShareService) {
  return defineHandler(Api.ShareGroupHeartbeat, {
    errorResponse(_req, errorCode): ShareGroupHeartbeatResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    },
    async handle(ctx, req): Promise<ShareGroupHeartbeatResponse> {
      const r = await share.groups.heartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        rackId: req.rackId,
        subscribedTopicNames: req.subscribedTopicNames,
        clientId: ctx.header.clientId ?? '',
        clientHost: `/${ctx.connection.socket.remoteAddress ?? ''}`,
      });
      return { throttleTimeMs: 0, ...r };
    },
  });
}

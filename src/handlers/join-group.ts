// JoinGroup (v0-9): a thin mapping onto the group coordinator. The response is sent when the
// coordinator answers, which for a rebalance is when the join phase completes.
import type { JoinGroupResponse } from '../../protocol/generated/join-group.js';
import { Api } from '../../protocol/generated/apis.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { defineHandler } from '../network/request-context.js';

export function joinGroupHandler(coordinator: GroupCoordinator) {
  return defineHandler(Api.JoinGroup, {
    errorResponse(req, errorCode): JoinGroupResponse {
      return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] };
    },
    async handle(ctx, req): Promise<JoinGroupResponse> {
      const v = ctx.header.apiVersion;
      const r = await coordinator.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: v >= 5 ? req.groupInstanceId : null,
        // KIP-394: v4+ clients understand MEMBER_ID_REQUIRED.
        requireKnownMemberId: v >= 4,
        supportsSkipAssignment: v >= 9,
        clientId: ctx.header.clientId ?? '',
        // Kafka reports the client host as InetAddress.toString(): "/1.2.3.4" (no port).
        clientHost: `/${ctx.connection.socket.remoteAddress ?? ''}`,
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
        sessionTimeoutMs: req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        reason: req.reason,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        // Not nullable before v7.
        protocolName: v < 7 ? (r.protocolName ?? '') : r.protocolName,
        leader: r.leader,
        skipAssignment: r.skipAssignment,
        memberId: r.memberId,
        members: r.members,
      };
    },
  });
}

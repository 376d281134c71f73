// ConsumerGroupHeartbeat (v0-1, KIP-848): join, heartbeat, reconcile and leave in one API, served
// by the consumer group coordinator. v1 adds SubscribedTopicRegex; its clients generate their
// member id (an empty one is still accepted, and the coordinator makes one up as in v0).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/consumer-group-heartbeat.js';
import type { ConsumerGroupCoordinator } from '../coordinator/consumer/consumer-coordinator.js';
import { defineHandler } from '../network/request-context.js';

export function consumerGroupHeartbeatHandler(coordinator: ConsumerGroupCoordinator) {
  return defineHandler(Api.ConsumerGroupHeartbeat, {
    errorResponse(_req, errorCode): ConsumerGroupHeartbeatResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    },
    async handle(ctx, req): Promise<ConsumerGroupHeartbeatResponse> {
      const r = await coordinator.heartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        instanceId: req.instanceId,
        rackId: req.rackId,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        subscribedTopicNames: req.subscribedTopicNames,
        subscribedTopicRegex: ctx.header.apiVersion >= 1 ? req.subscribedTopicRegex : null,
        serverAssignor: req.serverAssignor,
        topicPartitions: req.topicPartitions,
        clientId: ctx.header.clientId ?? '',
        // Kafka reports the client host as InetAddress.toString(): "/1.2.3.4".
        clientHost: `/${ctx.connection.socket.remoteAddress ?? ''}`,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        errorMessage: r.errorCode === ErrorCode.NONE ? null : r.errorMessage,
        memberId: r.memberId,
        memberEpoch: r.memberEpoch,
        heartbeatIntervalMs: r.heartbeatIntervalMs,
        assignment: r.assignment,
      };
    },
  });
}

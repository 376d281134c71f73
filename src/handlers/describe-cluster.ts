// DescribeCluster (KIP-700): the admin client's view of brokers and controller. v2 (KIP-1073)
// flags fenced brokers and lists them only on request; a serving broker is never fenced.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeClusterResponse } from '../../protocol/generated/describe-cluster.js';
import { defineHandler } from '../network/request-context.js';
import type { EndpointDirectory, NodeIdentity } from './handler-deps.js';

const ENDPOINT_BROKERS = 1;

export function describeClusterHandler(broker: EndpointDirectory & NodeIdentity) {
  return defineHandler(Api.DescribeCluster, {
    // Kafka's getErrorResponse: the code at the top level, every other field at its default.
    errorResponse: (_req, errorCode) => ({ ...Api.DescribeCluster.defaultResponse(), errorCode, errorMessage: null }),
    handle(ctx, req): DescribeClusterResponse {
      const endpointType = ctx.header.apiVersion >= 1 ? req.endpointType : ENDPOINT_BROKERS;
      if (endpointType !== ENDPOINT_BROKERS) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'Only broker endpoints (1) are served by brokers',
          endpointType,
          clusterId: broker.clusterId,
          controllerId: -1,
          brokers: [],
          clusterAuthorizedOperations: -2147483648,
        };
      }
      const brokers = broker.brokersFor(ctx.connection.listenerName);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType,
        clusterId: broker.clusterId,
        controllerId: broker.controllerId ?? broker.nodeId,
        brokers: brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: false })),
        clusterAuthorizedOperations: -2147483648,
      };
    },
  });
}

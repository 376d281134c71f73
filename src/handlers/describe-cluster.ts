// DescribeCluster (KIP-700): the admin client's view of brokers and controller. v2 (KIP-1073)
// flags fenced brokers and lists them only on request; a serving broker is never fenced.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeClusterResponse } from '../../protocol/generated/describe-cluster.js';
import { defineHandler } from '../network/request-context.js';
import type { Endpoint, EndpointDirectory, NodeIdentity } from './handler-deps.js';

const ENDPOINT_BROKERS = 1;

/** The broker registry with fenced brokers flagged (Broker.registeredBrokersFor). */
export interface FencedBrokerDirectory {
  registeredBrokersFor(listenerName: string): Promise<(Endpoint & { fenced: boolean })[]>;
}

export function describeClusterHandler(broker: EndpointDirectory & NodeIdentity & Partial<FencedBrokerDirectory>) {
  return defineHandler(Api.DescribeCluster, {
    // Kafka's getErrorResponse: the code at the top level, every other field at its default.
    errorResponse: (_req, errorCode) => ({ ...Api.DescribeCluster.defaultResponse(), errorCode, errorMessage: null }),
    async handle(ctx, req): Promise<DescribeClusterResponse> {
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
      // KIP-1073: v2 with includeFencedBrokers lists the registry (fenced ones flagged); otherwise live brokers only.
      const listener = ctx.connection.listenerName;
      const withFenced = ctx.header.apiVersion >= 2 && req.includeFencedBrokers && broker.registeredBrokersFor !== undefined;
      const brokers = withFenced ? await broker.registeredBrokersFor!(listener) : broker.brokersFor(listener).map((b) => ({ ...b, fenced: false }));
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType,
        clusterId: broker.clusterId,
        controllerId: broker.controllerId ?? broker.nodeId,
        brokers: brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: b.fenced })),
        clusterAuthorizedOperations: -2147483648,
      };
    },
  });
}

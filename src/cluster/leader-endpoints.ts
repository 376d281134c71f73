// KIP-951: a NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answer names the partition's leader
// (currentLeader) and the response carries that leader's endpoint (NodeEndpoints), so the client
// can redirect without a Metadata round trip. As Kafka's KafkaApis, leaders this broker has no
// live endpoint for are left out of NodeEndpoints (the client then refreshes metadata).
import type { BrokerEndpoint, ClusterView } from './cluster-view.js';

/** Produce v10+ carries currentLeader and NodeEndpoints. */
export const LEADER_HINTS_SINCE_PRODUCE = 10;
/** Fetch v12+ carries currentLeader; NodeEndpoints arrive with v16. */
export const LEADER_HINTS_SINCE_FETCH = 12;
export const NODE_ENDPOINTS_SINCE_FETCH = 16;

/** The endpoints, on the request's listener, of the distinct known leaders among `leaderIds`. */
export function leaderEndpoints(cluster: Pick<ClusterView, 'brokersFor'>, listenerName: string, leaderIds: Iterable<number>): BrokerEndpoint[] {
  const wanted = new Set(leaderIds);
  return cluster
    .brokersFor(listenerName)
    .filter((b) => wanted.has(b.nodeId))
    .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
}

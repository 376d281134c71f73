// Narrow views of the broker that handlers declare instead of importing Broker (issue 12): who
// the brokers are, and which topics exist. Broker satisfies them today; with replication a
// metadata cache will.
import type { TopicRegistry } from '../metadata/topic-registry.js';

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterView {
  readonly nodeId: number;
  readonly clusterId: string;
  /** All brokers of the cluster as seen through `listenerName`. */
  brokersFor(listenerName: string): BrokerEndpoint[];
  readonly boundListeners: readonly { name: string }[];
  /** The controller's id (cluster mode); absent means this broker. */
  readonly controllerId?: number;
}

/** Which topics exist (the topic registry's read side). */
export interface TopicLookup {
  readonly topics: Pick<TopicRegistry, 'get' | 'getById' | 'all' | 'collidingTopic'>;
}

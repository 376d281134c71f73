// Keys whose default differs between the single broker and a cluster. The single broker keeps 1
// replica for its internal topics (it has no other broker); in cluster mode a key left unset takes
// Kafka's own default, so a cluster started without them gets replicated __consumer_offsets and
// __transaction_state as in Kafka (and COORDINATOR_NOT_AVAILABLE while fewer brokers are alive).
import type { BrokerConfig } from './broker-config.js';
import type { BrokerKey } from './broker-keys.js';

/** Kafka's defaults for the keys whose single-broker default is smaller. */
export const CLUSTER_MODE_DEFAULTS: Readonly<Partial<Record<BrokerKey, number>>> = {
  'offsets.topic.replication.factor': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'share.coordinator.state.topic.replication.factor': 3,
  'share.coordinator.state.topic.min.isr': 2,
};

/** Cluster mode: the keys above take Kafka's defaults (shown so by DescribeConfigs too). */
export function applyClusterModeDefaults(config: BrokerConfig): void {
  config.useModeDefaults(CLUSTER_MODE_DEFAULTS);
}

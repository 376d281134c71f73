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
};

/** A key's value as the broker acts on it: in cluster mode an unset key above takes Kafka's default. */
export function effectiveValue(config: BrokerConfig, key: BrokerKey, clustered: boolean): unknown {
  const clusterDefault = clustered ? CLUSTER_MODE_DEFAULTS[key] : undefined;
  if (clusterDefault !== undefined && !config.isSet(key)) return clusterDefault;
  return config.get(key);
}

// Cluster mode: dynamic broker configs (KIP-226) live in the metadata store, as Kafka keeps them
// in ZooKeeper's /config/brokers (and KRaft in its metadata log): the cluster-wide default under
// `configs/broker/<default>`, one broker's own values under `configs/broker/<node id>`. An
// AlterConfigs on any broker writes through the store; every broker applies the default, and
// its own entry, from a watch (the writer too: a no-op, it already holds the values).
import type { BrokerConfig } from '../config/broker-config.js';
import type { DynamicConfigStore } from '../metadata/dynamic-config-store.js';
import type { ClusterMetadataStore, Unwatch } from './metadata-store/types.js';

export const CLUSTER_DEFAULT_BROKER = '<default>';

export interface DynamicBrokerConfigDeps {
  nodeId: number;
  config: BrokerConfig;
  dynamicConfigs: DynamicConfigStore;
  /** Broker-level topic defaults changed: topics without their own override follow. */
  onChanged(): void;
  warn(msg: string, fields: Record<string, unknown>): void;
}

export async function mirrorDynamicBrokerConfigs(store: ClusterMetadataStore, deps: DynamicBrokerConfigDeps): Promise<Unwatch[]> {
  const own = String(deps.nodeId);
  const scopeOf = (name: string) => (name === CLUSTER_DEFAULT_BROKER ? 'cluster' : name === own ? 'broker' : null);
  const apply = (name: string, values: Record<string, string>) => {
    const scope = scopeOf(name);
    if (scope && deps.dynamicConfigs.applyRemote(deps.config, scope, values, deps.warn)) deps.onChanged();
  };
  // Any revision read before the values: an event between it and the reads is delivered again,
  // and each event carries a resource's complete values, so applying it twice changes nothing.
  const from = (await store.listBrokers()).revision;
  apply(CLUSTER_DEFAULT_BROKER, await store.getConfigs('broker', CLUSTER_DEFAULT_BROKER));
  apply(own, await store.getConfigs('broker', own));
  deps.dynamicConfigs.useCluster(async (scope, values) => {
    const r = await store.setConfigs('broker', scope === 'cluster' ? CLUSTER_DEFAULT_BROKER : own, values);
    if (r !== 'ok') throw new Error(`writing dynamic broker configs to the metadata store failed: ${r}`);
  });
  const unwatch = await store.watchConfigs(from, (ev) => {
    if (ev.type === 'put' && ev.value.type === 'broker') apply(ev.value.name, ev.value.configs);
    else if (ev.type === 'delete' && ev.key.type === 'broker') apply(ev.key.name, {});
  });
  return [unwatch];
}

// The narrow views of the broker that handlers take instead of `Broker` (issue 12). Each names
// only what a handler reads, by the names today's Broker already has, so Broker satisfies them
// structurally and so will the partition layer and topic manager that replace it. Properties a
// broker sets after the handler table is built (txnCoordinator) are read at request time.
import type { AclStore } from '../auth/acl/acl-store.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { TransactionCoordinator } from '../coordinator/txn/txn-coordinator.js';
import type { Logger } from '../logging/logger.js';
import type { TopicRecord } from '../metadata/topic-registry.js';

/** Topic names and ids as the registry knows them. */
export interface TopicLookup {
  readonly topics: {
    get(name: string): TopicRecord | undefined;
    getById(id: string): TopicRecord | undefined;
  };
}

/** Whether this broker hosts a partition (answers UNKNOWN_TOPIC_OR_PARTITION when not). */
export interface PartitionPresence {
  partition(topic: string, index: number): object | undefined;
}

/** The transaction coordinator, null until the broker has started it. */
export interface TxnCoordinatorRef {
  readonly txnCoordinator: TransactionCoordinator | null;
}

/** The static broker configuration (server.properties plus dynamic overrides). */
export interface ConfigReader {
  readonly config: BrokerConfig;
}

export interface HasLogger {
  readonly logger: Logger;
}

export interface NodeIdentity {
  readonly nodeId: number;
  readonly clusterId: string;
  /** The controller's id in cluster mode; absent means this broker. */
  readonly controllerId?: number;
}

/** How clients reach a broker through one listener. */
export interface Endpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** This broker's and the cluster's addresses as seen through a listener. */
export interface EndpointDirectory {
  endpointFor(listenerName: string): Endpoint;
  brokersFor(listenerName: string): Endpoint[];
}

/** The ACL admin APIs: the stored bindings, the authorizer that enforces them, an audit log. */
export interface AclDeps extends HasAuthorizer, HasLogger {
  readonly acls: Pick<AclStore, 'all' | 'change'>;
}

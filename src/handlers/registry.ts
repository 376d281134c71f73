// The handler table: one handler per API key. ApiVersions advertises exactly these ranges.
// Handlers take narrow views of the broker (handler-deps.ts), so `buildHandlers` takes the union
// of those views rather than `Broker`; today's Broker satisfies it structurally.
import type { ConsumerGroupCoordinator } from '../coordinator/consumer/consumer-coordinator.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { ScramCredentialStore } from '../auth/scram-store.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { HandlerLookup } from '../network/connection.js';
import type { ApiHandler } from '../network/request-context.js';
import { alterConfigsHandler, type ConfigAdmin } from './alter-configs.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { alterPartitionHandler } from './alter-partition.js';
import { brokerHeartbeatHandler } from './broker-heartbeat.js';
import { apiVersionsBody, apiVersionsHandler, type BrokerIdentity } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler, type ConfigView } from './describe-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.js';
import { electLeadersHandler } from './elect-leaders.js';
import { unregisterBrokerHandler } from './unregister-broker.js';
import { fetchHandler } from './fetch.js';
import { groupHandlers, type GroupHandlerDeps } from './group-handlers.js';
import type { AclDeps, EndpointDirectory, NodeIdentity, PartitionPresence, TopicLookup, TxnCoordinatorRef } from './handler-deps.js';
import { consumerGroupDescribeHandler } from './consumer-group-describe.js';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.js';
import type { ShareService } from '../coordinator/share/share-service.js';
import { shareHandlers } from './share-handlers.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { listOffsetsHandler } from './list-offsets.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { metadataHandler } from './metadata.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { produceHandler } from './produce.js';
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.js';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn.js';
import { describeProducersHandler } from './describe-producers.js';
import { describeTransactionsHandler } from './describe-transactions.js';
import { endTxnHandler } from './end-txn.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listTransactionsHandler } from './list-transactions.js';
import { txnOffsetCommitHandler } from './txn-offset-commit.js';
import { writeTxnMarkersHandler } from './write-txn-markers.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';
import { delegationTokenHandlers } from './delegation-tokens.js';
import type { DelegationTokenStore } from '../auth/delegation-token-store.js';
import { createAclsHandler } from './create-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { apiGuards, type Guard } from '../auth/acl/api-guards.js';
import { perItemGuards } from '../auth/acl/per-item-guards.js';
import { authorizedOperationsFillers } from '../auth/acl/authorized-operations.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import type { QuotaDeps } from './handler-deps-quotas.js';
import { quotaEnforced } from '../quota/quota-enforcement.js';
import { quotaEnforcer } from '../quota/quota-config.js';
import type { QuotaStore } from '../quota/quota-store.js';
import { ControllerMutationQuota } from '../quota/controller-mutation-quota.js';
import { envelopeHandler } from './envelope.js';
import { envelopeForwarding } from './envelope-forwarding.js';

/** The handler, answering a refused request with an error response instead of running it. */
function guarded(h: ApiHandler, guard: Guard): ApiHandler {
  const refusal = h.errorResponse;
  if (!refusal) throw new Error(`API ${h.apiKey} has an ACL guard but no way to answer a refusal`);
  return {
    ...h,
    handle(ctx, req) {
      const code = guard(ctx, req);
      return code === null ? h.handle(ctx, req) : refusal(req, code, ctx.header.apiVersion);
    },
  };
}

/**
 * What the data-path handlers (produce, fetch, topic admin, ...) take, read off their factories:
 * they still take `Broker` until the partition layer gives them narrow interfaces, and this type
 * narrows by itself when they do.
 */
type DataPathDeps = Parameters<typeof produceHandler>[0] &
  Parameters<typeof fetchHandler>[0] &
  Parameters<typeof listOffsetsHandler>[0] &
  Parameters<typeof metadataHandler>[0] &
  Parameters<typeof createTopicsHandler>[0] &
  Parameters<typeof deleteTopicsHandler>[0] &
  Parameters<typeof createPartitionsHandler>[0] &
  Parameters<typeof deleteRecordsHandler>[0] &
  Parameters<typeof describeLogDirsHandler>[0] &
  Parameters<typeof offsetForLeaderEpochHandler>[0] &
  Parameters<typeof describeTopicPartitionsHandler>[0] &
  Parameters<typeof electLeadersHandler>[0] &
  Parameters<typeof listPartitionReassignmentsHandler>[0] &
  Parameters<typeof alterPartitionReassignmentsHandler>[0] &
  Parameters<typeof writeTxnMarkersHandler>[0] &
  Parameters<typeof describeProducersHandler>[0] &
  Parameters<typeof findCoordinatorHandler>[0];

/** Everything the handler table is built from, as the narrow views its handlers declare. */
export type HandlerDeps = DataPathDeps &
  GroupHandlerDeps &
  TopicLookup &
  PartitionPresence &
  TxnCoordinatorRef &
  HasAuthorizer &
  ConfigAdmin &
  ConfigView &
  AclDeps &
  QuotaDeps & { readonly quotaStore: QuotaStore } &
  EndpointDirectory &
  NodeIdentity &
  BrokerIdentity & {
    readonly groupCoordinator: GroupCoordinator;
    /** KIP-848 consumer groups; null unless group.coordinator.rebalance.protocols has "consumer". */
    readonly consumerGroupCoordinator: ConsumerGroupCoordinator | null;
    readonly scramCredentials: ScramCredentialStore;
    readonly delegationTokens: DelegationTokenStore;
    /** Share groups (KIP-932); null until started. */
    readonly shareService: ShareService | null;
    /** Request rate and latency per API (src/metrics); absent: handlers are not timed. */
    readonly requestMetrics?: RequestMetrics;
  };

export function buildHandlers(deps: HandlerDeps): HandlerLookup {
  const table = new Map<number, ApiHandler>();
  const add = (h: ApiHandler) => table.set(h.apiKey, h);
  add(produceHandler(deps));
  add(fetchHandler(deps));
  add(listOffsetsHandler(deps));
  add(metadataHandler(deps));
  add(findCoordinatorHandler(deps));
  add(apiVersionsHandler(() => table.values(), deps));
  add(createTopicsHandler(deps));
  add(deleteTopicsHandler(deps));
  add(describeConfigsHandler(deps));
  add(createPartitionsHandler(deps));
  add(describeClusterHandler(deps));
  for (const h of groupHandlers(deps, deps.groupCoordinator)) add(h);
  // KIP-848 consumer groups, when enabled (group.coordinator.rebalance.protocols).
  if (deps.consumerGroupCoordinator) {
    add(consumerGroupHeartbeatHandler(deps.consumerGroupCoordinator));
    add(consumerGroupDescribeHandler(deps.consumerGroupCoordinator));
  }
  // Share groups (KIP-932): ShareGroupHeartbeat/Describe, ShareFetch, ShareAcknowledge, share admin APIs.
  if (deps.shareService) for (const h of shareHandlers(deps.shareService)) add(h);
  // Admin surface: configs, records, log dirs, leader epochs, leadership and reassignment.
  add(alterConfigsHandler(deps));
  add(incrementalAlterConfigsHandler(deps));
  add(deleteRecordsHandler(deps));
  add(describeLogDirsHandler(deps));
  add(offsetForLeaderEpochHandler(deps));
  add(describeTopicPartitionsHandler(deps));
  add(electLeadersHandler(deps));
  add(listPartitionReassignmentsHandler(deps));
  add(alterPartitionReassignmentsHandler(deps));
  // Cluster mode: broker-to-controller requests (ISR changes, controlled shutdown).
  const cluster = deps.cluster;
  if (cluster) {
    add(alterPartitionHandler({ topics: deps.topics, cluster }));
    add(brokerHeartbeatHandler({ cluster }));
    add(unregisterBrokerHandler({ cluster }));
    // KIP-590: forwarded admin requests arrive wrapped with the client's principal.
    add(envelopeHandler({ cluster, authorizer: deps.authorizer, logger: deps.logger, handlerFor: (apiKey) => table.get(apiKey) }));
  }
  // Idempotence and transactions (transaction coordinator).
  add(initProducerIdHandler(deps));
  add(addPartitionsToTxnHandler(deps));
  add(addOffsetsToTxnHandler(deps));
  add(endTxnHandler(deps));
  add(writeTxnMarkersHandler(deps));
  add(txnOffsetCommitHandler(deps));
  add(describeProducersHandler(deps));
  add(describeTransactionsHandler(deps));
  add(listTransactionsHandler(deps));
  // Authentication (src/auth): SASL exchange and SCRAM credential admin.
  add(saslHandshakeHandler());
  add(saslAuthenticateHandler());
  add(describeUserScramCredentialsHandler(deps.scramCredentials));
  add(alterUserScramCredentialsHandler(deps.scramCredentials));
  for (const h of delegationTokenHandlers(deps)) add(h);
  // ACLs (src/auth/acl).
  add(createAclsHandler(deps));
  add(describeAclsHandler(deps));
  add(deleteAclsHandler(deps));
  // Client quotas (src/quota).
  add(describeClientQuotasHandler(deps));
  add(alterClientQuotasHandler(deps));
  // ACL checks of whole requests (src/auth/acl/api-guards.ts), only when an authorizer is set.
  if (deps.authorizer) {
    // Per item where Kafka authorizes per item (src/auth/acl/per-item-guards.ts); those APIs'
    // whole-request guards are replaced.
    const perItem = perItemGuards(deps);
    for (const [apiKey, guard] of apiGuards(deps)) {
      const h = table.get(apiKey);
      if (h && !perItem.has(apiKey)) table.set(apiKey, guarded(h, guard));
    }
    for (const [apiKey, wrap] of perItem) {
      const h = table.get(apiKey);
      if (h) table.set(apiKey, wrap(h));
    }
  }
  // authorizedOperations fields (KIP-430) from the ACLs, when the client asks for them.
  for (const [apiKey, fill] of authorizedOperationsFillers(deps)) {
    const h = table.get(apiKey);
    if (h) table.set(apiKey, fill(h));
  }
  // Client quotas (src/quota/quota-enforcement.ts): measured around every handler, after the ACL
  // checks, so a refused request still counts against request_percentage.
  // controller_mutation_rate (KIP-599) on CreateTopics / CreatePartitions / DeleteTopics, around
  // the ACL checks: a topic they (or the handler) refuse is not a mutation and gives its tokens back.
  for (const [apiKey, wrap] of new ControllerMutationQuota(deps).wrappers()) {
    const h = table.get(apiKey);
    if (h) table.set(apiKey, wrap(h));
  }
  // Cluster mode, on a broker that is not the controller: the admin APIs the controller decides go
  // there in an Envelope with the client's principal, before any ACL or mutation-quota check here
  // (the controller makes them, as the client: src/handlers/envelope-forwarding.ts).
  if (cluster) {
    for (const [apiKey, wrap] of envelopeForwarding({ cluster, logger: deps.logger })) {
      const h = table.get(apiKey);
      if (h) table.set(apiKey, wrap(h));
    }
  }
  const quotas = quotaEnforcer(deps.quotaStore, deps.config);
  for (const [apiKey, h] of table) table.set(apiKey, quotaEnforced(h, quotas));
  // Request rate and latency per API, timed around the whole handler (ACL guard included).
  if (deps.requestMetrics) {
    deps.requestMetrics.topicName = (id) => deps.topics.getById(id)?.name;
    for (const [apiKey, h] of table) table.set(apiKey, deps.requestMetrics.wrap(h));
  }
  return {
    get: (apiKey) => table.get(apiKey),
    apiVersionsFallback: () => apiVersionsBody(table.values()),
  };
}

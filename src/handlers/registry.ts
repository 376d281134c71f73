// The handler table: one handler per API key. ApiVersions advertises exactly these ranges.
import type { Broker } from '../broker.js';
import type { HandlerLookup } from '../network/connection.js';
import type { ApiHandler } from '../network/request-context.js';
import { alterConfigsHandler } from './alter-configs.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { apiVersionsBody, apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.js';
import { electLeadersHandler } from './elect-leaders.js';
import { fetchHandler } from './fetch.js';
import { groupHandlers } from './group-handlers.js';
import { consumerGroupDescribeHandler } from './consumer-group-describe.js';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.js';
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
import { createAclsHandler } from './create-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { apiGuards, type Guard } from '../auth/acl/api-guards.js';
import { REFUSAL_RESPONSES } from '../auth/acl/refusal-responses.js';

/** The handler, answering a refused request with an error response instead of running it. */
function guarded(h: ApiHandler, guard: Guard): ApiHandler {
  const refusal = h.errorResponse ?? REFUSAL_RESPONSES.get(h.apiKey);
  if (!refusal) throw new Error(`API ${h.apiKey} has an ACL guard but no way to answer a refusal`);
  return {
    ...h,
    handle(ctx, req) {
      const code = guard(ctx, req);
      return code === null ? h.handle(ctx, req) : refusal(req, code, ctx.header.apiVersion);
    },
  };
}

export function buildHandlers(broker: Broker): HandlerLookup {
  const table = new Map<number, ApiHandler>();
  const add = (h: ApiHandler) => table.set(h.apiKey, h);
  add(produceHandler(broker));
  add(fetchHandler(broker));
  add(listOffsetsHandler(broker));
  add(metadataHandler(broker));
  add(findCoordinatorHandler(broker));
  add(apiVersionsHandler(() => table.values(), broker));
  add(createTopicsHandler(broker));
  add(deleteTopicsHandler(broker));
  add(describeConfigsHandler(broker));
  add(createPartitionsHandler(broker));
  add(describeClusterHandler(broker));
  for (const h of groupHandlers(broker, broker.groupCoordinator)) add(h);
  // KIP-848 consumer groups, when enabled (group.coordinator.rebalance.protocols).
  if (broker.consumerGroupCoordinator) {
    add(consumerGroupHeartbeatHandler(broker.consumerGroupCoordinator));
    add(consumerGroupDescribeHandler(broker.consumerGroupCoordinator));
  }
  // Admin surface: configs, records, log dirs, leader epochs, leadership and reassignment.
  add(alterConfigsHandler(broker));
  add(incrementalAlterConfigsHandler(broker));
  add(deleteRecordsHandler(broker));
  add(describeLogDirsHandler(broker));
  add(offsetForLeaderEpochHandler(broker));
  add(describeTopicPartitionsHandler(broker));
  add(electLeadersHandler(broker));
  add(listPartitionReassignmentsHandler(broker));
  add(alterPartitionReassignmentsHandler(broker));
  // Idempotence and transactions (transaction coordinator).
  add(initProducerIdHandler(broker));
  add(addPartitionsToTxnHandler(broker));
  add(addOffsetsToTxnHandler(broker));
  add(endTxnHandler(broker));
  add(writeTxnMarkersHandler(broker));
  add(txnOffsetCommitHandler(broker));
  add(describeProducersHandler(broker));
  add(describeTransactionsHandler(broker));
  add(listTransactionsHandler(broker));
  // Authentication (src/auth): SASL exchange and SCRAM credential admin.
  add(saslHandshakeHandler());
  add(saslAuthenticateHandler());
  add(describeUserScramCredentialsHandler(broker.scramCredentials));
  add(alterUserScramCredentialsHandler(broker.scramCredentials));
  // ACLs (src/auth/acl).
  add(createAclsHandler(broker));
  add(describeAclsHandler(broker));
  add(deleteAclsHandler(broker));
  // ACL checks of whole requests (src/auth/acl/api-guards.ts), only when an authorizer is set.
  if (broker.authorizer) {
    for (const [apiKey, guard] of apiGuards(broker, (id) => broker.topics.getById(id)?.name)) {
      const h = table.get(apiKey);
      if (h) table.set(apiKey, guarded(h, guard));
    }
  }
  return {
    get: (apiKey) => table.get(apiKey),
    apiVersionsFallback: () => apiVersionsBody(table.values()),
  };
}

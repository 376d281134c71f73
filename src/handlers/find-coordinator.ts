// FindCoordinator (v0-v3 single key, v4+ batched keys). A single broker coordinates every group
// and transactional id itself. In cluster mode the coordinator of a key is the leader of the key's
// internal-topic partition (Kafka: abs(hashCode) % partitions of __consumer_offsets /
// __transaction_state); the topic is created through the controller on first use, with its
// configured replication factor, and COORDINATOR_NOT_AVAILABLE answers while it cannot be (fewer
// live brokers than that factor) or while the partition has no leader.
// Advertised from v0 because librdkafka < 2.x-late enables LZ4 only when it sees FindCoordinator v0.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { FindCoordinatorResponse, FindCoordinatorResponseCoordinator } from '../../protocol/generated/find-coordinator.js';
import { OFFSETS_TOPIC, TXN_STATE_TOPIC } from '../coordinator/common/internal-topics.js';
import { partitionForGroup } from '../coordinator/common/partition-for.js';
import type { CoordinatorRuntime } from '../coordinator/runtime/coordinator-runtime.js';
import { SHARE_STATE_TOPIC, statePartitionFor } from '../coordinator/share/share-state-store.js';
import { defineHandler } from '../network/request-context.js';
import type { EndpointDirectory } from './handler-deps.js';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;
/** KIP-932 (v6+): the share coordinator of a share partition, key "groupId:topicId:partition". */
const KEY_SHARE = 2;

/** Kafka's SharePartitionKey.getInstance: a group id, a topic id and a partition index; false when malformed. */
function validShareKey(key: string): boolean {
  const parts = key.split(':');
  if (parts.length !== 3) return false;
  const [group, topicId, partition] = parts as [string, string, string];
  return group.length > 0 && /^[A-Za-z0-9_-]{22}$/.test(topicId) && /^\d+$/.test(partition);
}

export interface FindCoordinatorDeps extends Pick<EndpointDirectory, 'endpointFor' | 'brokersFor'> {
  /** Cluster mode when `clustered`; null before the broker started its coordinators. */
  readonly coordinatorRuntime: Pick<CoordinatorRuntime, 'clustered' | 'partitionCount' | 'createInternalTopic'> | null;
  /** Who leads each partition, as this broker knows it. */
  readonly partitionManager: { partition(topic: string, index: number): { readonly leaderId: number } | undefined };
}

function failed(key: string, errorCode: number, errorMessage: string | null = null): FindCoordinatorResponseCoordinator {
  return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage };
}

export function findCoordinatorHandler(deps: FindCoordinatorDeps) {
  /** Cluster mode: the leader of the key's internal-topic partition. */
  const leaderOf = async (key: string, keyType: number, listenerName: string): Promise<FindCoordinatorResponseCoordinator> => {
    const runtime = deps.coordinatorRuntime!;
    const topic = keyType === KEY_GROUP ? OFFSETS_TOPIC : keyType === KEY_TRANSACTION ? TXN_STATE_TOPIC : SHARE_STATE_TOPIC;
    if (!(await runtime.createInternalTopic(topic))) return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, `${topic} cannot be created yet`);
    const partitions = runtime.partitionCount(topic);
    if (partitions === undefined) return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Same hash for all three topics (Kafka's partitionFor: abs(hashCode) % partitions).
    const partition = keyType === KEY_SHARE ? statePartitionFor(key, partitions) : partitionForGroup(key, partitions);
    const leaderId = deps.partitionManager.partition(topic, partition)?.leaderId ?? -1;
    const leader = leaderId < 0 ? undefined : deps.brokersFor(listenerName).find((b) => b.nodeId === leaderId);
    if (!leader) return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, `the ${topic} partition of this key has no leader`);
    return { key, nodeId: leader.nodeId, host: leader.host, port: leader.port, errorCode: ErrorCode.NONE, errorMessage: null };
  };

  return defineHandler(Api.FindCoordinator, {
    errorResponse(req, errorCode, version): FindCoordinatorResponse {
      // v4+ answers per key in `coordinators`; older versions have the single-key fields only.
      if (version >= 4) return { ...Api.FindCoordinator.defaultResponse(), coordinators: req.coordinatorKeys.map((k) => failed(k, errorCode)) };
      return { ...Api.FindCoordinator.defaultResponse(), ...failed(req.key, errorCode) };
    },
    async handle(ctx, req): Promise<FindCoordinatorResponse> {
      const v = ctx.header.apiVersion;
      const listenerName = ctx.connection.listenerName;
      const clustered = deps.coordinatorRuntime?.clustered === true;
      const answer = (key: string): FindCoordinatorResponseCoordinator | Promise<FindCoordinatorResponseCoordinator> => {
        const keyType = v >= 1 ? req.keyType : KEY_GROUP;
        if (keyType === KEY_SHARE) {
          // Kafka: share keys need v6; a malformed key is INVALID_REQUEST.
          if (v < 6) return failed(key, ErrorCode.UNSUPPORTED_VERSION, `FindCoordinator v${v} does not support the share key type`);
          if (!validShareKey(key)) return failed(key, ErrorCode.INVALID_REQUEST, `Invalid share coordinator key ${key}`);
        } else if (keyType !== KEY_GROUP && keyType !== KEY_TRANSACTION) return failed(key, ErrorCode.INVALID_REQUEST, `Unknown key type ${keyType}`);
        if (clustered) return leaderOf(key, keyType, listenerName);
        const self = deps.endpointFor(listenerName);
        return { key, nodeId: self.nodeId, host: self.host, port: self.port, errorCode: ErrorCode.NONE, errorMessage: null };
      };
      if (v >= 4) return { ...Api.FindCoordinator.defaultResponse(), coordinators: await Promise.all(req.coordinatorKeys.map(answer)) };
      const { key: _key, ...one } = await answer(req.key);
      return { ...Api.FindCoordinator.defaultResponse(), ...one };
    },
  });
}

// CreateTopics: name, partition count, replication factor, assignment and config validation with
// Kafka's error codes; validateOnly answers as if created without creating.
import { ClusterTopicError } from '../cluster/topic-manager.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CreateTopicsRequest, CreateTopicsResponse, CreateTopicsResponseCreatableTopicConfigs } from '../../protocol/generated/create-topics.js';
import { Api } from '../../protocol/generated/apis.js';
import type { ClusterView, TopicLookup } from '../cluster/cluster-view.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logging/logger.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import type { HasAuthorizer } from '../auth/acl/request-authz.js';

/** What CreateTopics needs: topics and their creation, broker count and defaults, ACLs. */
export interface CreateTopicsDeps extends Pick<ClusterView, 'nodeId' | 'brokersFor'>, TopicLookup, HasAuthorizer {
  config: BrokerConfig;
  /** `assignment`: manual replica placement (partition p on assignment[p], the first replica preferred). */
  createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>, assignment?: number[][]): Promise<TopicRecord>;
  logger: Logger;
}
import { AclOperation, CLUSTER_NAME, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import { remoteStorageChangeError } from '../config/remote-storage-rules.js';
import { noEffectTopicWarnings } from '../config/no-effect-keys.js';
import { ignoredTopicMessageFormatWarning } from '../config/message-format-version.js';
import { invalidTopicNameReason } from '../metadata/topic-name.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { defineHandler } from '../network/request-context.js';
import { describeTopicConfigEntries } from './config-entries.js';

type Creatable = CreateTopicsRequest['topics'][number];

interface Result {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: CreateTopicsResponseCreatableTopicConfigs[] | null;
}

function fail(name: string, errorCode: number, errorMessage: string | null): Result {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

export function createTopicsHandler(broker: CreateTopicsDeps) {
  return defineHandler(Api.CreateTopics, {
    errorResponse(req, errorCode): CreateTopicsResponse {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => fail(t.name, errorCode, null)) };
    },
    async handle(ctx, req): Promise<CreateTopicsResponse> {
      const v = ctx.header.apiVersion;
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results: Result[] = [];
      const clusterCreate = authorized(broker, ctx, AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME);
      for (const t of req.topics) {
        if (counts.get(t.name)! > 1) {
          results.push(fail(t.name, ErrorCode.INVALID_REQUEST, 'Create topics request from client contains duplicate topic'));
          continue;
        }
        // KafkaApis: CREATE on the cluster, or on the topic; refused topics are answered per topic.
        if (!clusterCreate && !authorized(broker, ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
          results.push(fail(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null));
          continue;
        }
        results.push(await createOne(broker, t, v >= 1 && req.validateOnly));
      }
      return { throttleTimeMs: 0, topics: results };
    },
  });
}

async function createOne(broker: CreateTopicsDeps, t: Creatable, validateOnly: boolean): Promise<Result> {
  const nameError = invalidTopicNameReason(t.name);
  if (nameError) return fail(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
  if (broker.topics.get(t.name)) return fail(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  const collision = broker.topics.collidingTopic(t.name);
  if (collision) {
    return fail(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${collision.name}`);
  }
  const brokerCount = broker.brokersFor('').length;
  // Cluster mode: the controller checks replication factors and broker ids against the broker
  // registry, where a stopped broker stays registered (fenced); brokersFor lists live ones only.
  // (validateOnly never reaches the controller: it is checked against the live brokers here.)
  const byController = broker.config.get('tributary.metadata.store') !== '' && !validateOnly;
  let numPartitions = t.numPartitions;
  let replicationFactor = t.replicationFactor;
  let assignment: number[][] | undefined;
  if (t.assignments.length > 0) {
    if (numPartitions !== -1 || replicationFactor !== -1) {
      return fail(t.name, ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) {
      return fail(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
    }
    const rf = t.assignments[0]!.brokerIds.length;
    // The registered brokers (this one alone on a single broker; every live one in cluster mode).
    const known = new Set(broker.brokersFor('').map((b) => b.nodeId));
    for (const a of t.assignments) {
      if (a.brokerIds.length !== rf || a.brokerIds.length === 0) {
        return fail(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'All partitions should have the same number of replicas');
      }
      if (new Set(a.brokerIds).size !== a.brokerIds.length) {
        return fail(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers not allowed in replica assignment: ${a.brokerIds.join(', ')}`);
      }
      const unknown = a.brokerIds.find((id) => !known.has(id));
      if (unknown !== undefined && !byController) return fail(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in replica assignment`);
    }
    numPartitions = t.assignments.length;
    replicationFactor = rf;
    assignment = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => [...a.brokerIds]);
  } else {
    if (numPartitions === -1) numPartitions = broker.config.get('num.partitions');
    if (replicationFactor === -1) replicationFactor = broker.config.get('default.replication.factor');
    if (numPartitions <= 0) return fail(t.name, ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (replicationFactor <= 0) return fail(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (replicationFactor > brokerCount && !byController) {
      return fail(
        t.name,
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokerCount} broker(s) are registered.`,
      );
    }
  }
  const configs: Record<string, string> = {};
  const entries: Record<string, string | null> = {};
  for (const c of t.configs) entries[c.name] = c.value;
  const configErrors = validateTopicConfigs(entries);
  if (configErrors.length > 0) {
    const e = configErrors[0]!;
    return fail(t.name, ErrorCode.INVALID_CONFIG, e.error);
  }
  for (const [k, val] of Object.entries(entries)) if (val !== null) configs[k] = val;
  const remoteRule = remoteStorageChangeError(broker.config, {}, configs);
  if (remoteRule !== null) return fail(t.name, ErrorCode.INVALID_CONFIG, remoteRule);
  const format = configs['message.format.version'];
  if (format !== undefined && !validateOnly) broker.logger.warn(ignoredTopicMessageFormatWarning(t.name, format));
  if (!validateOnly) for (const w of noEffectTopicWarnings(t.name, {}, configs, broker.config.get('tributary.metadata.store') !== '')) broker.logger.warn(w);
  let topicId = ZERO_UUID;
  if (!validateOnly) {
    try {
      topicId = (await broker.createTopic(t.name, numPartitions, replicationFactor, configs, assignment)).id;
    } catch (err) {
      // Cluster mode: the controller's answer (e.g. INVALID_REPLICATION_FACTOR, TOPIC_ALREADY_EXISTS).
      if (err instanceof ClusterTopicError) return fail(t.name, err.errorCode, err.message);
      broker.logger.error('create topic failed', { topic: t.name, error: (err as Error).message });
      return fail(t.name, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
    }
  }
  return {
    name: t.name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions,
    replicationFactor,
    configs: describeTopicConfigEntries(broker, configs, false, false).map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      configSource: c.configSource,
      isSensitive: c.isSensitive,
    })),
  };
}

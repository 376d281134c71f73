// Describing a consumer group of either protocol. Classic groups answer DescribeGroups; KIP-848
// groups (group.protocol=consumer) are described by ConsumerGroupDescribe v0, sent here to the
// group's coordinator. ListGroups (with no type filter, as Kafka's tools send it) says which
// protocol a group uses.
//
// The client library's own ConsumerGroupDescribe parser (1.35.0) reads subscribed_topic_names as
// one string instead of an array and skips the tagged fields of each assignment, so any member
// breaks it ("Out of bounds"); the response is parsed here instead, after Kafka's
// ConsumerGroupDescribeResponse.json.
import type { Reader } from '@platformatic/kafka';
import type { Kafka } from '../client/common.js';
import type { ClusterClients } from './cluster-clients.js';

interface TopicPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

interface ConsumerGroupDescribeResponse {
  throttleTimeMs: number;
  groups: {
    errorCode: number;
    errorMessage: string | null;
    groupId: string;
    groupState: string;
    groupEpoch: number;
    assignmentEpoch: number;
    assignorName: string;
    members: {
      memberId: string;
      instanceId: string | null;
      rackId: string | null;
      memberEpoch: number;
      clientId: string;
      clientHost: string;
      subscribedTopicNames: string[];
      subscribedTopicRegex: string | null;
      assignment: TopicPartitions[];
      targetAssignment: TopicPartitions[];
    }[];
    authorizedOperations: number;
  }[];
}

/** An Assignment struct: its topic partitions, then its own tagged fields. */
function readAssignment(r: Reader): TopicPartitions[] {
  const topics = r.readArray((t) => ({ topicId: t.readUUID(), topicName: t.readString(), partitions: t.readArray(() => t.readInt32(), true, false) }));
  r.readTaggedFields();
  return topics;
}

function parseConsumerGroupDescribe(_correlationId: number, _apiKey: number, _apiVersion: number, r: Reader): ConsumerGroupDescribeResponse {
  return {
    throttleTimeMs: r.readInt32(),
    // readArray drops each element's trailing tagged fields (groups, members).
    groups: r.readArray((g) => ({
      errorCode: g.readInt16(),
      errorMessage: g.readNullableString(),
      groupId: g.readString(),
      groupState: g.readString(),
      groupEpoch: g.readInt32(),
      assignmentEpoch: g.readInt32(),
      assignorName: g.readString(),
      members: g.readArray((m) => ({
        memberId: m.readString(),
        instanceId: m.readNullableString(),
        rackId: m.readNullableString(),
        memberEpoch: m.readInt32(),
        clientId: m.readString(),
        clientHost: m.readString(),
        subscribedTopicNames: m.readArray(() => m.readString(), true, false),
        subscribedTopicRegex: m.readNullableString(),
        assignment: readAssignment(m),
        targetAssignment: readAssignment(m),
      })),
      authorizedOperations: g.readInt32(),
    })),
  };
}

let consumerGroupDescribeV0: ReturnType<typeof defineApi> | null = null;
function defineApi(kafka: Kafka) {
  return kafka.createAPI<[groupIds: string[], includeAuthorizedOperations: boolean], ConsumerGroupDescribeResponse>(
    69,
    0,
    (groupIds: string[], includeAuthorizedOperations: boolean) =>
      kafka.Writer.create()
        .appendArray(groupIds, (w, id) => w.appendString(id), true, false)
        .appendBoolean(includeAuthorizedOperations)
        .appendTaggedFields(),
    parseConsumerGroupDescribe,
  );
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  assignments: { topic: string; partitions: number[] }[];
}

export interface DescribedGroup {
  /** Kafka's spelling: Stable, PreparingRebalance, Empty, Dead, ... */
  state: string;
  /** classic or consumer (KIP-848); null if the cluster does not say. */
  type: string | null;
  protocolType: string | null;
  /** The assignor (range, roundrobin, uniform, ...). */
  protocol: string | null;
  members: DescribedMember[];
}

/** The client says STABLE, PREPARING_REBALANCE; Kafka's tools say Stable, PreparingRebalance. */
export function kafkaGroupState(s: string): string {
  if (/[a-z]/.test(s)) return s;
  return s
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** Every group of both protocols (the client's default filter lists classic groups only). */
export async function listAllGroups(c: ClusterClients) {
  const admin = await c.admin();
  return admin.listGroups({ types: [] });
}

export async function describeGroup(c: ClusterClients, id: string): Promise<DescribedGroup> {
  const admin = await c.admin();
  const listed = (await listAllGroups(c)).get(id);
  if (listed?.groupType === 'consumer') return describeConsumerGroup(admin, await c.kafka(), id);
  const g = (await admin.describeGroups({ groups: [id] })).get(id);
  return {
    state: kafkaGroupState(g?.state ?? 'DEAD'),
    type: listed?.groupType || null,
    protocolType: g?.protocolType || null,
    protocol: g?.protocol || null,
    members: [...(g?.members.values() ?? [])].map((m) => ({
      memberId: m.id,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      host: m.clientHost,
      assignments: [...(m.assignments ?? [])].map(([topic, a]) => ({ topic, partitions: [...a.partitions] })),
    })),
  };
}

/** A KIP-848 group through ConsumerGroupDescribe v0 at its coordinator (used by the CLI too). */
export async function describeConsumerGroup(admin: import('@platformatic/kafka').Admin, kafka: Kafka, id: string): Promise<DescribedGroup> {
  const [coordinator] = await admin.findCoordinator({ keyType: kafka.FindCoordinatorKeyTypes.GROUP, keys: [id] });
  const connection = (await admin.connectToBrokers([coordinator!.nodeId])).get(coordinator!.nodeId)!;
  consumerGroupDescribeV0 ??= defineApi(kafka);
  const res = await consumerGroupDescribeV0.async(connection, [id], false);
  const g = res.groups[0]!;
  if (g.errorCode !== 0) {
    const name = kafka.protocolErrorsCodesById[g.errorCode] ?? `error code ${g.errorCode}`;
    throw Object.assign(new Error(g.errorMessage ?? name), { apiId: name, apiCode: g.errorCode, serverErrorMessage: g.errorMessage });
  }
  return {
    state: kafkaGroupState(g.groupState),
    type: 'consumer',
    protocolType: 'consumer',
    protocol: g.assignorName || null,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId ?? null,
      clientId: m.clientId,
      host: m.clientHost,
      assignments: m.assignment.map((t) => ({ topic: t.topicName, partitions: [...t.partitions].sort((a, b) => a - b) })),
    })),
  };
}

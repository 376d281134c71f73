// Responses carrying one error code everywhere, for the APIs whose handlers have no
// errorResponse of their own (what Kafka's AbstractRequest.getErrorResponse builds): used when
// a whole request is refused by an ACL check (api-guards.ts).
import { ZERO_UUID } from '../../metadata/uuid.js';

type Build = (req: any, errorCode: number) => object;

const topicsWithPartitions = (topics: any[], name: string, parts: (t: any) => any[], partition: (p: any) => object) =>
  topics.map((t) => ({ [name]: t[name], partitions: parts(t).map(partition) }));

export const REFUSAL_RESPONSES = new Map<number, Build>([
  // ListOffsets
  [2, (req, errorCode) => ({
    throttleTimeMs: 0,
    topics: topicsWithPartitions(req.topics, 'name', (t) => t.partitions, (p) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })),
  })],
  // FindCoordinator
  [10, (req, errorCode) => ({
    throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1,
    coordinators: (req.coordinatorKeys ?? []).map((key: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
  })],
  // DeleteTopics
  [20, (req, errorCode) => ({
    throttleTimeMs: 0,
    responses: [
      ...(req.topicNames ?? []).map((name: string) => ({ name, topicId: ZERO_UUID, errorCode, errorMessage: null })),
      ...(req.topics ?? []).map((t: any) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID, errorCode, errorMessage: null })),
    ],
  })],
  // DeleteRecords
  [21, (req, errorCode) => ({ throttleTimeMs: 0, topics: topicsWithPartitions(req.topics, 'name', (t) => t.partitions, (p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode })) })],
  // OffsetForLeaderEpoch
  [23, (req, errorCode) => ({ throttleTimeMs: 0, topics: topicsWithPartitions(req.topics, 'topic', (t) => t.partitions, (p) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1 })) })],
  // DescribeConfigs
  [32, (req, errorCode) => ({ throttleTimeMs: 0, results: req.resources.map((r: any) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) })],
  // AlterConfigs, IncrementalAlterConfigs
  [33, (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r: any) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) })],
  [44, (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r: any) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) })],
  // DescribeLogDirs
  [35, (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, results: [] })],
  // CreatePartitions
  [37, (req, errorCode) => ({ throttleTimeMs: 0, results: req.topics.map((t: any) => ({ name: t.name, errorCode, errorMessage: null })) })],
  // ElectLeaders
  [43, (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, replicaElectionResults: [] })],
  // AlterPartitionReassignments, ListPartitionReassignments
  [45, (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, responses: [] })],
  [46, (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] })],
  // DescribeTopicPartitions
  [75, (req, errorCode) => ({
    throttleTimeMs: 0, nextCursor: null,
    topics: req.topics.map((t: any) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 })),
  })],
]);

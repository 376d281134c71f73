// DescribeTopicPartitions (pagination with cursors), ElectLeaders and the partition reassignment
// APIs against an in-process broker. With a single broker every partition is led by its only,
// preferred replica: elections are never needed, the only valid reassignment is a no-op and none
// is ever in progress. Driven by the raw client and kafkajs (reassignments).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { TOPIC_AUTHORIZED_OPERATIONS } from '../../src/handlers/describe-topic-partitions.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
let c: RawClient;
let nodeId: number;

beforeAll(async () => {
  tb = await startTestBroker();
  nodeId = tb.broker.nodeId;
  c = await RawClient.connect(tb.port);
  for (const [name, n] of [['dtp-a', 3], ['dtp-b', 5], ['dtp-c', 1]] as const) {
    const r = await c.send(19, 7, { topics: [{ name, numPartitions: n, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(r.topics[0].errorCode).toBe(0);
  }
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

interface Page {
  topics: { name: string; errorCode: number; topicId: string; isInternal: boolean; topicAuthorizedOperations: number; partitions: Record<string, unknown>[] }[];
  nextCursor: { topicName: string; partitionIndex: number } | null;
}

const describeTP = (topics: string[], responsePartitionLimit: number, cursor: Page['nextCursor'] = null): Promise<Page> =>
  c.send(75, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit, cursor });

/** "topic:partition" of every partition in a page. */
const flat = (p: Page) => p.topics.flatMap((t) => t.partitions.map((x) => `${t.name}:${x.partitionIndex as number}`));

describe('DescribeTopicPartitions', () => {
  it('describes partitions like Metadata, in name order', async () => {
    const page = await describeTP(['dtp-c', 'dtp-a'], 2000);
    expect(page.nextCursor).toBeNull();
    expect(page.topics.map((t) => t.name)).toEqual(['dtp-a', 'dtp-c']);
    const a = page.topics[0]!;
    expect(a).toMatchObject({ errorCode: 0, topicId: tb.broker.topics.get('dtp-a')!.id, isInternal: false, topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS });
    expect(a.partitions[1]).toEqual({
      errorCode: 0,
      partitionIndex: 1,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [],
    });
  });

  it('pages through all topics with the cursor', async () => {
    const seen: string[] = [];
    // Start at our topics: internal topics (__consumer_offsets, 50 partitions) sort first.
    let cursor: Page['nextCursor'] = { topicName: 'dtp-a', partitionIndex: 0 };
    const cursors = [];
    for (let i = 0; i < 10; i++) {
      const page = await describeTP([], 2, cursor);
      seen.push(...flat(page).filter((s) => s.startsWith('dtp-')));
      cursor = page.nextCursor;
      cursors.push(cursor);
      if (!cursor) break;
    }
    expect(seen).toEqual(['dtp-a:0', 'dtp-a:1', 'dtp-a:2', 'dtp-b:0', 'dtp-b:1', 'dtp-b:2', 'dtp-b:3', 'dtp-b:4', 'dtp-c:0']);
    // The budget carries across topics (a:2 + b:0 fill page two). A page that ends inside a topic
    // points at its next partition; one that ends exactly at a topic's end points at the next
    // topic's partition 0.
    expect(cursors).toEqual([
      { topicName: 'dtp-a', partitionIndex: 2 },
      { topicName: 'dtp-b', partitionIndex: 1 },
      { topicName: 'dtp-b', partitionIndex: 3 },
      { topicName: 'dtp-c', partitionIndex: 0 },
      null,
    ]);
  });

  it('pages through named topics and reports unknown and illegal names', async () => {
    const first = await describeTP(['dtp-b', 'dtp-missing', 'bad name!'], 3);
    expect(first.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['dtp-b', 0],
    ]);
    expect(first.topics[0]!.topicId).toBe(ZERO_UUID);
    expect(first.nextCursor).toEqual({ topicName: 'dtp-b', partitionIndex: 3 });
    const second = await describeTP(['dtp-b', 'dtp-missing', 'bad name!'], 3, first.nextCursor);
    expect(flat(second)).toEqual(['dtp-b:3', 'dtp-b:4']);
    expect(second.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['dtp-b', 0],
      ['dtp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(second.nextCursor).toBeNull();

    const badCursor = await describeTP(['dtp-a'], 10, { topicName: 'dtp-b', partitionIndex: 0 });
    expect(badCursor.topics.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_REQUEST]);
  });
});

describe('ElectLeaders', () => {
  it('needs no election for existing partitions, in every version and type', async () => {
    for (const [version, electionType] of [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1]] as const) {
      const r = await c.send(43, version, { electionType, topicPartitions: [{ topic: 'dtp-a', partitions: [0, 2, 7] }, { topic: 'dtp-zzz', partitions: [0] }], timeoutMs: 1000 });
      if (version >= 1) expect(r.errorCode).toBe(0);
      expect(r.replicaElectionResults).toEqual([
        {
          topic: 'dtp-a',
          partitionResult: [
            { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
            { partitionId: 2, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' },
            { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as dtp-a-7' },
          ],
        },
        { topic: 'dtp-zzz', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such topic as dtp-zzz' }] },
      ]);
    }
  });

  it('lists every topic without partitions for "all partitions", and refuses unknown election types', async () => {
    const all = await c.send(43, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    expect(all.errorCode).toBe(0);
    const dtp = all.replicaElectionResults.filter((r: { topic: string }) => r.topic.startsWith('dtp-'));
    expect(dtp).toEqual([
      { topic: 'dtp-a', partitionResult: [] },
      { topic: 'dtp-b', partitionResult: [] },
      { topic: 'dtp-c', partitionResult: [] },
    ]);
    const bad = await c.send(43, 2, { electionType: 5, topicPartitions: [{ topic: 'dtp-a', partitions: [0] }], timeoutMs: 1000 });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(bad.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('partition reassignments', () => {
  it('answers AlterPartitionReassignments like Kafka', async () => {
    const r = await c.send(45, 0, {
      timeoutMs: 1000,
      topics: [
        {
          name: 'dtp-a',
          partitions: [
            { partitionIndex: 0, replicas: [nodeId] },
            { partitionIndex: 1, replicas: [nodeId + 1] },
            { partitionIndex: 2, replicas: [] },
            { partitionIndex: 0, replicas: null },
            { partitionIndex: 9, replicas: [nodeId] },
          ],
        },
        { name: 'dtp-zzz', partitions: [{ partitionIndex: 0, replicas: [nodeId] }] },
      ],
    });
    expect(r.errorCode).toBe(0);
    expect(r.responses.map((t: { partitions: { errorCode: number }[] }) => t.partitions.map((p) => p.errorCode))).toEqual([
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(r.responses[0].partitions[0].errorMessage).toBeNull();
    expect(r.responses[0].partitions[1].errorMessage).toContain(`includes broker ${nodeId + 1}, but no such broker is registered`);
    expect(tb.broker.partition('dtp-a', 0)!.replicas).toEqual([nodeId]);
  });

  it('v1 echoes AllowReplicationFactorChange (KIP-860) and still accepts the partition\'s own replica set', async () => {
    for (const allowReplicationFactorChange of [false, true]) {
      const r = await c.send(45, 1, { timeoutMs: 1000, allowReplicationFactorChange, topics: [{ name: 'dtp-a', partitions: [{ partitionIndex: 0, replicas: [nodeId] }, { partitionIndex: 1, replicas: [nodeId, nodeId] }] }] });
      expect(r).toMatchObject({ errorCode: 0, allowReplicationFactorChange });
      // The assignment is checked first: a repeated broker is INVALID_REPLICA_ASSIGNMENT either way.
      expect(r.responses[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([0, ErrorCode.INVALID_REPLICA_ASSIGNMENT]);
    }
  });

  it('lists no reassignments in progress, for all topics or named ones', async () => {
    const all = await c.send(46, 0, { timeoutMs: 1000, topics: null });
    expect(all).toMatchObject({ errorCode: 0, errorMessage: null, topics: [] });
    const named = await c.send(46, 0, { timeoutMs: 1000, topics: [{ name: 'dtp-a', partitionIndexes: [0, 1] }, { name: 'dtp-zzz', partitionIndexes: [0] }] });
    expect(named.topics).toEqual([]);
  });

  it('works from kafkajs alterPartitionReassignments / listPartitionReassignments', async () => {
    const kafka = kafkajs(tb.bootstrap, { clientId: 'kj-reassign', retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterPartitionReassignments({ topics: [{ topic: 'dtp-b', partitionAssignment: [{ partition: 3, replicas: [nodeId] }] }] });
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
      const err = await admin
        .alterPartitionReassignments({ topics: [{ topic: 'dtp-b', partitionAssignment: [{ partition: 3, replicas: [nodeId + 5] }] }] })
        .then(() => null, (e: Error & { errors?: { type?: string }[] }) => e);
      expect(err?.errors?.map((e) => e.type)).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
    } finally {
      await admin.disconnect();
    }
  });
});

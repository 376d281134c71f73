// The API versions added by Kafka 4.1-4.4, over TCP with exact versions (raw client): what
// each new version means on the wire, and that the version before it still answers as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
let tb: TestBroker;
let client: RawClient;
let topicId: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' });
  await tb.broker.createTopic('k44', 2, 1, {});
  topicId = tb.broker.topics.get('k44')!.id;
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

describe('Metadata v13 (KIP-1102)', () => {
  it('carries a top-level error code, NONE from a broker that knows its metadata', async () => {
    const r = await client.send(3, 13, { topics: [{ name: 'k44', topicId: ZERO_UUID }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.clusterId).toBe(tb.broker.clusterId);
    expect(r.topics.map((t: any) => [t.name, t.topicId, t.errorCode, t.partitions.length])).toEqual([
      ['k44', topicId, ErrorCode.NONE, 2],
      [null, 'AAAAAAAAAAAAAAAAAAAAAQ', ErrorCode.UNKNOWN_TOPIC_ID, 0],
    ]);
  });
});

describe('DescribeGroups v6 (KIP-1043)', () => {
  const describe_ = (v: number, groups: string[]) => client.send(15, v, { groups, includeAuthorizedOperations: false });

  it('answers GROUP_ID_NOT_FOUND with a message for an unknown group; v5 still answers Dead without error', async () => {
    const v6 = await describe_(6, ['no-such-group']);
    expect(v6.groups).toEqual([
      expect.objectContaining({ groupId: 'no-such-group', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group no-such-group not found.', groupState: 'Dead', members: [] }),
    ]);
    const v5 = await describe_(5, ['no-such-group']);
    expect(v5.groups[0]).toMatchObject({ groupId: 'no-such-group', errorCode: ErrorCode.NONE, groupState: 'Dead' });
    expect(v5.groups[0].errorMessage).toBeNull(); // not on the wire before v6
  });

  it('says a KIP-848 consumer group is not a classic group', async () => {
    const hb = await client.send(68, 0, {
      groupId: 'k44-modern', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['k44'], serverAssignor: null, topicPartitions: [],
    });
    expect(hb.errorCode).toBe(ErrorCode.NONE);
    const v6 = await describe_(6, ['k44-modern']);
    expect(v6.groups[0]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group k44-modern is not a classic group.', groupState: 'Dead' });
  });

  it('describes a live classic group without error', async () => {
    const join = await client.send(11, 5, {
      groupId: 'k44-classic', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'static-1',
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(join.errorCode).toBe(ErrorCode.NONE);
    const v6 = await describe_(6, ['k44-classic']);
    expect(v6.groups[0]).toMatchObject({ groupId: 'k44-classic', errorCode: ErrorCode.NONE, errorMessage: null, protocolType: 'consumer' });
    expect(v6.groups[0].members.map((m: any) => m.groupInstanceId)).toEqual(['static-1']);
  });
});

describe('OffsetCommit / OffsetFetch v10: topics by id (KIP-848)', () => {
  const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAg';
  const commit = (topics: { topicId: string; partitions: number[] }[], offset: number) =>
    client.send(8, 10, {
      groupId: 'k44-offsets', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' })) })),
    });
  const fetchV10 = (topics: { topicId: string; partitionIndexes: number[] }[] | null) =>
    client.send(9, 10, { requireStable: false, groups: [{ groupId: 'k44-offsets', memberId: null, memberEpoch: -1, topics }] });

  it('commits by topic id and answers with the id; UNKNOWN_TOPIC_ID for an id no topic has', async () => {
    const r = await commit([{ topicId, partitions: [0, 1] }, { topicId: UNKNOWN_ID, partitions: [0] }], 42);
    expect(r.topics.map((t: any) => [t.topicId, t.partitions.map((p: any) => p.errorCode)])).toEqual([
      [topicId, [ErrorCode.NONE, ErrorCode.NONE]],
      [UNKNOWN_ID, [ErrorCode.UNKNOWN_TOPIC_ID]],
    ]);
  });

  it('fetches by topic id, and the offsets are the same ones v9 reads by name', async () => {
    const v10 = await fetchV10([{ topicId, partitionIndexes: [0, 1] }, { topicId: UNKNOWN_ID, partitionIndexes: [3] }]);
    expect(v10.groups[0].errorCode).toBe(ErrorCode.NONE);
    expect(v10.groups[0].topics.map((t: any) => [t.topicId, t.partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])])).toEqual([
      [topicId, [[0, 42, 'm', 0], [1, 42, 'm', 0]]],
      [UNKNOWN_ID, [[3, -1, '', ErrorCode.UNKNOWN_TOPIC_ID]]],
    ]);
    const v9 = await client.send(9, 9, { requireStable: false, groups: [{ groupId: 'k44-offsets', memberId: null, memberEpoch: -1, topics: [{ name: 'k44', partitionIndexes: [1] }] }] });
    expect(v9.groups[0].topics[0]).toMatchObject({ name: 'k44', partitions: [{ partitionIndex: 1, committedOffset: 42 }] });
  });

  it('lists every committed topic with its id when no topics are named', async () => {
    const all = await fetchV10(null);
    expect(all.groups[0].topics.map((t: any) => [t.topicId, t.partitions.map((p: any) => p.committedOffset)])).toEqual([[topicId, [42, 42]]]);
  });

  it('v9 commits by name still work and v10 reads them by id', async () => {
    const r = await client.send(8, 9, {
      groupId: 'k44-offsets', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'k44', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(r.topics[0]).toMatchObject({ name: 'k44', partitions: [{ errorCode: ErrorCode.NONE }] });
    const v10 = await fetchV10([{ topicId, partitionIndexes: [0] }]);
    expect(v10.groups[0].topics[0].partitions[0]).toMatchObject({ committedOffset: 7, errorCode: ErrorCode.NONE });
  });
});

describe('Fetch v18 (KIP-1166)', () => {
  it('accepts the tagged high watermark and answers exactly as v17', async () => {
    const records = buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v18') }] });
    const produced = await client.send(0, 11, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'k44', topicId: ZERO_UUID, partitionData: [{ index: 1, records }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    const fetch = (v: number, partition: object) =>
      client.send(1, v, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topicId, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, ...partition }] }],
        forgottenTopicsData: [], rackId: '',
      });
    const v18 = await fetch(18, { highWatermark: 0 });
    const v17 = await fetch(17, {});
    for (const r of [v18, v17]) {
      expect(r.errorCode).toBe(ErrorCode.NONE);
      expect(r.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 1 });
    }
    expect(v18.responses[0].partitions[0].records.length).toBe(records.length);
    expect(v18.responses[0].partitions[0].records).toEqual(v17.responses[0].partitions[0].records);
  });
});

describe('DescribeCluster v2 (KIP-1073)', () => {
  it('lists this broker, not fenced, whether or not fenced brokers are asked for', async () => {
    for (const includeFencedBrokers of [false, true]) {
      const r = await client.send(60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers });
      expect(r).toMatchObject({ errorCode: ErrorCode.NONE, clusterId: tb.broker.clusterId, controllerId: tb.broker.nodeId });
      expect(r.brokers).toEqual([{ brokerId: tb.broker.nodeId, host: '127.0.0.1', port: tb.port, rack: null, isFenced: false }]);
    }
  });
});

describe('DeleteGroups v3', () => {
  it('explains each failure with a message; v2 carries none', async () => {
    const join = await client.send(11, 5, {
      groupId: 'k44-busy', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'busy-1',
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(join.errorCode).toBe(ErrorCode.NONE);
    const v3 = await client.send(42, 3, { groupsNames: ['k44-busy', 'k44-missing'] });
    expect(v3.results).toEqual([
      { groupId: 'k44-busy', errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: 'The group is not empty.' },
      { groupId: 'k44-missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group k44-missing not found.' },
    ]);
    const v2 = await client.send(42, 2, { groupsNames: ['k44-missing'] });
    expect(v2.results).toEqual([{ groupId: 'k44-missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: null }]);
  });

  it('has no message for a group it deleted', async () => {
    const commit = await client.send(8, 9, {
      groupId: 'k44-empty', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'k44', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const v3 = await client.send(42, 3, { groupsNames: ['k44-empty'] });
    expect(v3.results).toEqual([{ groupId: 'k44-empty', errorCode: ErrorCode.NONE, errorMessage: null }]);
  });
});

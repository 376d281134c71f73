// Share-group admin at the protocol level: Describe/Alter/DeleteShareGroupOffsets, ListGroups
// and DeleteGroups of share groups, classic APIs on a share group id, and the state after a restart.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let client: RawClient;
let topicId: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.share.auto.offset.reset': 'earliest', 'offsets.topic.num.partitions': '1' });
  await tb.broker.createTopic('sa', 2, 1, {});
  topicId = tb.broker.topics.get('sa')!.id;
  const producer = new Kafka({ clientId: 'sa', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let i = 0; i < 6; i++) await producer.send({ topic: 'sa', messages: [{ value: `v${i}`, partition: 0 }] });
  await producer.disconnect();
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

const join = (groupId: string, memberId: string, memberEpoch = 0) =>
  client.send(76, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? ['sa'] : null });

async function consumeAndAccept(groupId: string, memberId: string, upTo: number): Promise<void> {
  const f = await client.send(78, 2, { groupId, memberId, shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
  expect(f.responses[0].partitions[0].acquiredRecords[0].firstOffset).toBe(0);
  const a = await client.send(79, 2, { groupId, memberId, shareSessionEpoch: 1, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: upTo, acknowledgeTypes: [1] }] }] }] });
  expect(a.responses[0].partitions[0].errorCode).toBe(0);
}

const describeOffsets = (groupId: string, topics: { topicName: string; partitions: number[] }[] | null = null) =>
  client.send(90, 1, { groups: [{ groupId, topics }] });

describe('share-group admin APIs', () => {
  it('DescribeShareGroupOffsets reports the SPSO and lag; AlterShareGroupOffsets needs an empty group', async () => {
    await join('ga', 'm1');
    await consumeAndAccept('ga', 'm1', 3);
    const d = await describeOffsets('ga', [{ topicName: 'sa', partitions: [0, 1] }]);
    expect(d.groups[0].errorCode).toBe(0);
    expect(d.groups[0].topics[0].partitions).toMatchObject([
      { partitionIndex: 0, startOffset: 4, lag: 2, errorCode: 0 },
      // Never fetched: uninitialized, -1 as in Kafka.
      { partitionIndex: 1, startOffset: -1, lag: -1, errorCode: 0 },
    ]);
    // All topics with state when Topics is null.
    const all = await describeOffsets('ga');
    expect(all.groups[0].topics.map((t: { topicName: string }) => t.topicName)).toEqual(['sa']);
    expect((await describeOffsets('nope')).groups[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const busy = await client.send(91, 0, { groupId: 'ga', topics: [{ topicName: 'sa', partitions: [{ partitionIndex: 0, startOffset: 1 }] }] });
    expect(busy.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await client.send(76, 1, { groupId: 'ga', memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null })).errorCode).toBe(0);
    const alter = await client.send(91, 0, { groupId: 'ga', topics: [{ topicName: 'sa', partitions: [{ partitionIndex: 0, startOffset: 1 }] }, { topicName: 'missing', partitions: [{ partitionIndex: 0, startOffset: 0 }] }] });
    expect(alter.errorCode).toBe(0);
    expect(alter.responses[0].partitions[0].errorCode).toBe(0);
    expect(alter.responses[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await describeOffsets('ga', [{ topicName: 'sa', partitions: [0] }])).groups[0].topics[0].partitions[0]).toMatchObject({ startOffset: 1, lag: 5 });
    // The next member starts from the altered offset.
    await join('ga', 'm2');
    const f = await client.send(78, 2, { groupId: 'ga', memberId: 'm2', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    expect(f.responses[0].partitions[0].acquiredRecords[0]).toMatchObject({ firstOffset: 1, deliveryCount: 1 });
    await client.send(76, 1, { groupId: 'ga', memberId: 'm2', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
  });

  it('DeleteShareGroupOffsets forgets a topic of an empty group', async () => {
    await join('gd', 'm1');
    await consumeAndAccept('gd', 'm1', 1);
    expect((await client.send(92, 0, { groupId: 'gd', topics: [{ topicName: 'sa' }] })).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await client.send(76, 1, { groupId: 'gd', memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    const del = await client.send(92, 0, { groupId: 'gd', topics: [{ topicName: 'sa' }, { topicName: 'missing' }] });
    expect(del.errorCode).toBe(0);
    expect(del.responses.map((r: { errorCode: number }) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect((await describeOffsets('gd', [{ topicName: 'sa', partitions: [0] }])).groups[0].topics[0].partitions[0].startOffset).toBe(-1);
  });

  it('ListGroups lists share groups by type; classic APIs on a share group id; DeleteGroups', async () => {
    await join('gl', 'm1');
    const listed = await client.send(16, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(listed.groups.map((g: { groupId: string }) => g.groupId)).toContain('gl');
    expect(listed.groups.find((g: { groupId: string }) => g.groupId === 'gl')).toMatchObject({ groupState: 'Stable', groupType: 'share', protocolType: 'share' });
    const classicOnly = await client.send(16, 5, { statesFilter: [], typesFilter: ['classic'] });
    expect(classicOnly.groups.map((g: { groupId: string }) => g.groupId)).not.toContain('gl');
    const joinGroup = await client.send(11, 9, { groupId: 'gl', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
    expect(joinGroup.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const cgh = await client.send(68, 1, { groupId: 'gl', memberId: 'c1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['sa'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
    expect(cgh.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await client.send(42, 2, { groupsNames: ['gl'] })).results[0].errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await client.send(76, 1, { groupId: 'gl', memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    expect((await client.send(42, 2, { groupsNames: ['gl'] })).results[0].errorCode).toBe(0);
    expect((await client.send(16, 5, { statesFilter: [], typesFilter: ['share'] })).groups.map((g: { groupId: string }) => g.groupId)).not.toContain('gl');
  });

  it('an empty share group and its offsets are there after a restart', async () => {
    await join('gr', 'm1');
    await consumeAndAccept('gr', 'm1', 2);
    await client.send(76, 1, { groupId: 'gr', memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    const d = await describeOffsets('gr');
    expect(d.groups[0].errorCode).toBe(0);
    expect(d.groups[0].topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, startOffset: 3, lag: 3 });
    const listed = await client.send(16, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(listed.groups.find((g: { groupId: string }) => g.groupId === 'gr')).toMatchObject({ groupState: 'Empty' });
  });
});

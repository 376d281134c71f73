// The API versions added by Kafka 4.1-4.4, over TCP with exact versions (raw client): what
// each new version means on the wire, and that the version before it still answers as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

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

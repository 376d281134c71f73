// KIP-848 at the protocol level over TCP (test/helpers/raw-client.ts): ApiVersions, three
// simulated members joining / reconciling / revoking / leaving through ConsumerGroupHeartbeat v0
// and v1, ConsumerGroupDescribe, and the classic APIs on a consumer group id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/consumer-group-heartbeat.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let client: RawClient;
let topicId: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '2' });
  await tb.broker.createTopic('raw', 6, 1, {});
  topicId = tb.broker.topics.get('raw')!.id;
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

type TP = { topicId: string; partitions: number[] }[];

class Member {
  memberId = '';
  epoch = 0;
  owned: TP = [];

  constructor(
    readonly version: number,
    memberId = '',
  ) {
    this.memberId = memberId;
  }

  async beat(over: Record<string, unknown> = {}): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await client.send<ConsumerGroupHeartbeatResponse>(68, this.version, {
      groupId: 'raw-g',
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: this.epoch === 0 ? 30_000 : -1,
      subscribedTopicNames: this.epoch === 0 ? ['raw'] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: this.owned,
      ...over,
    });
    if (r.errorCode === 0) {
      if (r.memberId) this.memberId = r.memberId;
      this.epoch = r.memberEpoch;
      if (r.assignment) this.owned = r.assignment.topicPartitions;
    }
    return r;
  }

  partitions(): number[] {
    return [...(this.owned.find((t) => t.topicId === topicId)?.partitions ?? [])].sort((a, b) => a - b);
  }
}

async function settle(members: Member[]): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const before = JSON.stringify(members.map((m) => [m.epoch, m.owned]));
    for (const m of members) await m.beat();
    if (JSON.stringify(members.map((m) => [m.epoch, m.owned])) === before) return;
  }
}

describe('ConsumerGroupHeartbeat over the wire', () => {
  it('advertises ConsumerGroupHeartbeat v0-1 and ConsumerGroupDescribe v0-1', async () => {
    const r = await client.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    const keys = new Map<number, { minVersion: number; maxVersion: number }>(r.apiKeys.map((k: { apiKey: number; minVersion: number; maxVersion: number }) => [k.apiKey, k]));
    expect(keys.get(68)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(keys.get(69)).toMatchObject({ minVersion: 0, maxVersion: 1 });
  });

  it('runs three members through joining, revocation, reassignment and leaving', async () => {
    const a = new Member(0); // v0: the coordinator makes up the member id
    const ra = await a.beat();
    expect(ra.errorCode).toBe(0);
    expect(ra.memberId).not.toBe('');
    expect(ra.heartbeatIntervalMs).toBe(5000);
    expect(a.partitions()).toEqual([0, 1, 2, 3, 4, 5]);

    const b = new Member(1, 'member-b'); // v1: client-generated id
    const c = new Member(1, 'member-c');
    await b.beat();
    await c.beat();
    expect(b.partitions()).toEqual([]); // a still owns everything
    // a is asked to give up four partitions; until it does, b and c get nothing.
    const before = a.partitions();
    await a.beat({ topicPartitions: [{ topicId, partitions: before }] });
    expect(a.partitions()).toHaveLength(2);
    await b.beat();
    expect(b.partitions()).toEqual([]);
    await settle([a, b, c]);
    expect([a, b, c].map((m) => m.partitions().length)).toEqual([2, 2, 2]);
    expect([...a.partitions(), ...b.partitions(), ...c.partitions()].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const d = await client.send(69, 0, { groupIds: ['raw-g', 'nope'], includeAuthorizedOperations: true });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupId: 'raw-g', groupState: 'Stable', groupEpoch: 3, assignmentEpoch: 3, assignorName: 'uniform' });
    expect(d.groups[0].members).toHaveLength(3);
    expect(d.groups[0].members[0].assignment.topicPartitions[0].topicName).toBe('raw');
    // Kafka 4.1's AclEntry.supportedOperations(GROUP): READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
    expect(d.groups[0].authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11));
    expect(d.groups[1]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group nope not found.' });
    // v0 has no member type on the wire (decodes as unknown, -1); v1 (KIP-1099) says CONSUMER (1).
    expect(d.groups[0].members.map((m: { memberType: number }) => m.memberType)).toEqual([-1, -1, -1]);
    const d1 = await client.send(69, 1, { groupIds: ['raw-g'], includeAuthorizedOperations: false });
    expect(d1.groups[0].members.map((m: { memberType: number }) => m.memberType)).toEqual([1, 1, 1]);

    // OffsetCommit v9 carries the member epoch.
    const commit = (memberId: string, epoch: number) =>
      client.send(8, 9, {
        groupId: 'raw-g',
        generationIdOrMemberEpoch: epoch,
        memberId,
        groupInstanceId: null,
        topics: [{ name: 'raw', partitions: [{ partitionIndex: b.partitions()[0], committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commit(b.memberId, b.epoch)).topics[0].partitions[0].errorCode).toBe(0);
    expect((await commit(b.memberId, b.epoch - 1)).topics[0].partitions[0].errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);

    // Classic APIs cannot use the id.
    const join = await client.send(11, 5, {
      groupId: 'raw-g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(join.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    // c leaves: the others share its partitions after revoking nothing.
    const left = await c.beat({ memberEpoch: -1 });
    expect(left).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    await settle([a, b]);
    expect(a.partitions().length + b.partitions().length).toBe(6);
    expect((await c.beat({ memberEpoch: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A stale epoch is fenced.
    expect((await a.beat({ memberEpoch: a.epoch + 1 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });
});

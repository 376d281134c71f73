// Share groups (KIP-932) at the protocol level over TCP with the generated codecs: membership
// (ShareGroupHeartbeat/Describe), share sessions, acquisition, accept / release / reject, lock
// expiry, the delivery-count limit, member departure, group-id conflicts and restart.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/share-acknowledge.js';
import type { ShareFetchResponse } from '../../protocol/generated/share-fetch.js';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/share-group-describe.js';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/share-group-heartbeat.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const HEARTBEAT = 76;
const DESCRIBE = 77;
const FETCH = 78;
const ACK = 79;
const ACCEPT = 1;
const RELEASE = 2;
const REJECT = 3;

let tb: TestBroker;
let client: RawClient;
let producer: Producer;

const config = {
  'group.share.auto.offset.reset': 'earliest',
  'group.share.record.lock.duration.ms': '1000',
  'group.share.delivery.count.limit': '2',
  'offsets.topic.num.partitions': '1',
};

beforeAll(async () => {
  tb = await startTestBroker(config);
  client = await RawClient.connect(tb.port);
  producer = new Kafka({ clientId: 'share-raw', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  client?.close();
  await tb?.cleanup();
});

/** One record per batch, so members can hold different batches. */
async function produce(topic: string, n: number, prefix = 'v'): Promise<void> {
  for (let i = 0; i < n; i++) await producer.send({ topic, messages: [{ value: `${prefix}${i}` }] });
}

class Member {
  epoch = 0;
  session = 0;
  constructor(
    readonly groupId: string,
    readonly memberId: string,
  ) {}

  async join(topics: string[]): Promise<ShareGroupHeartbeatResponse> {
    const r = await client.send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, rackId: null, subscribedTopicNames: topics });
    if (r.errorCode === 0) this.epoch = r.memberEpoch;
    return r;
  }

  leave(): Promise<ShareGroupHeartbeatResponse> {
    return client.send(HEARTBEAT, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
  }

  async fetch(topicId: string, over: Record<string, unknown> = {}, acks: { firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }[] = []): Promise<ShareFetchResponse> {
    const r = await client.send<ShareFetchResponse>(FETCH, 2, {
      groupId: this.groupId,
      memberId: this.memberId,
      shareSessionEpoch: this.session,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 100,
      batchSize: 100,
      shareAcquireMode: 0,
      isRenewAck: false,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }],
      forgottenTopicsData: [],
      ...over,
    });
    if (r.errorCode === 0 && over.shareSessionEpoch === undefined) this.session = this.session === -1 ? 0 : this.session + 1;
    return r;
  }

  async ack(topicId: string, firstOffset: number, lastOffset: number, type: number, epoch?: number): Promise<ShareAcknowledgeResponse> {
    const r = await client.send<ShareAcknowledgeResponse>(ACK, 2, {
      groupId: this.groupId,
      memberId: this.memberId,
      shareSessionEpoch: epoch ?? this.session,
      isRenewAck: false,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset, lastOffset, acknowledgeTypes: [type] }] }] }],
    });
    if (r.errorCode === 0 && epoch === undefined) this.session++;
    return r;
  }
}

function acquired(r: ShareFetchResponse): { firstOffset: number; lastOffset: number; deliveryCount: number }[] {
  return r.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords)).map((a) => ({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, deliveryCount: a.deliveryCount }));
}

async function topic(name: string, partitions = 1): Promise<string> {
  await tb.broker.createTopic(name, partitions, 1, {});
  return tb.broker.topics.get(name)!.id;
}

function spso(groupId: string, topicId: string): number {
  return tb.broker.shareService!.partitions.sharePartition(groupId, topicId, 0)!.startOffset;
}

describe('share groups over the raw protocol', () => {
  it('spreads partitions over members (SimpleAssignor) and describes the group', async () => {
    const id = await topic('sg-assign', 4);
    const a = new Member('g-assign', 'member-a');
    const b = new Member('g-assign', 'member-b');
    const ra = await a.join(['sg-assign']);
    expect(ra.errorCode).toBe(0);
    expect(ra.assignment!.topicPartitions).toEqual([{ topicId: id, partitions: [0, 1, 2, 3] }]);
    await b.join(['sg-assign']);
    const ra2 = await a.join(['sg-assign']);
    const rb = await b.join(['sg-assign']);
    const all = [...ra2.assignment!.topicPartitions[0]!.partitions, ...rb.assignment!.topicPartitions[0]!.partitions].sort();
    expect(all).toEqual([0, 1, 2, 3]);
    expect(rb.assignment!.topicPartitions[0]!.partitions).toHaveLength(2);
    const d = await client.send<ShareGroupDescribeResponse>(DESCRIBE, 1, { groupIds: ['g-assign', 'nope'], includeAuthorizedOperations: false });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', assignorName: 'simple' });
    expect(d.groups[0]!.members.map((m) => m.memberId).sort()).toEqual(['member-a', 'member-b']);
    expect(d.groups[1]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // Wrong epoch: fenced; unknown member: UNKNOWN_MEMBER_ID; empty member id: INVALID_REQUEST.
    const fenced = await client.send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: 'g-assign', memberId: 'member-a', memberEpoch: a.epoch + 7, rackId: null, subscribedTopicNames: null });
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    const unknown = await client.send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: 'g-assign', memberId: 'ghost', memberEpoch: 3, rackId: null, subscribedTopicNames: null });
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const empty = await client.send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: 'g-assign', memberId: '', memberEpoch: 0, rackId: null, subscribedTopicNames: ['sg-assign'] });
    expect(empty.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('two members receive disjoint records; accept advances the SPSO; release redelivers to the other', async () => {
    const id = await topic('sg-basic');
    await produce('sg-basic', 4);
    const a = new Member('g-basic', 'a');
    const b = new Member('g-basic', 'b');
    await a.join(['sg-basic']);
    await b.join(['sg-basic']);
    const fa = await a.fetch(id, { maxRecords: 2 });
    expect(acquired(fa)).toEqual([{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }]);
    const fb = await b.fetch(id, { maxRecords: 2 });
    expect(acquired(fb)).toEqual([{ firstOffset: 2, lastOffset: 3, deliveryCount: 1 }]);
    // The records bytes carry the acquired batches.
    expect(fb.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    // b acknowledging a's records: INVALID_RECORD_STATE, nothing changes.
    const wrong = await b.ack(id, 0, 1, ACCEPT);
    expect(wrong.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    const ok = await a.ack(id, 0, 1, ACCEPT);
    expect(ok.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(spso('g-basic', id)).toBe(2);
    // b releases offset 3; a picks it up (delivery count 2) on its next fetch.
    expect((await b.ack(id, 3, 3, RELEASE)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    const again = await a.fetch(id);
    expect(acquired(again)).toEqual([{ firstOffset: 3, lastOffset: 3, deliveryCount: 2 }]);
    // Accept piggybacked on a fetch, then reject: 2 and 3 done, SPSO at the end.
    const piggy = await b.fetch(id, {}, [{ firstOffset: 2, lastOffset: 2, acknowledgeTypes: [ACCEPT] }]);
    expect(piggy.responses[0]!.partitions[0]!.acknowledgeErrorCode).toBe(0);
    expect((await a.ack(id, 3, 3, REJECT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(spso('g-basic', id)).toBe(4);
  });

  it('checks share session epochs', async () => {
    const id = await topic('sg-session');
    const m = new Member('g-session', 'm');
    await m.join(['sg-session']);
    // No session yet: a non-zero epoch is SHARE_SESSION_NOT_FOUND.
    expect((await m.fetch(id, { shareSessionEpoch: 3 })).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    expect((await m.fetch(id)).errorCode).toBe(0); // opens, next epoch 1
    expect((await m.fetch(id, { shareSessionEpoch: 5 })).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // ShareAcknowledge cannot open a session.
    expect((await m.ack(id, 0, 0, ACCEPT, 0)).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await m.fetch(id)).errorCode).toBe(0); // epoch 1 accepted
    // Renew without IsRenewAck is invalid.
    const renew = await m.fetch(id, { shareSessionEpoch: 2 }, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [4] }]);
    expect(renew.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('an expired acquisition lock redelivers to a long-polling member; the delivery-count limit archives', async () => {
    const id = await topic('sg-lock');
    await produce('sg-lock', 1);
    const a = new Member('g-lock', 'a');
    const b = new Member('g-lock', 'b');
    await a.join(['sg-lock']);
    await b.join(['sg-lock']);
    expect(acquired(await a.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    // b has nothing now; its long poll returns the record once a's 1 s lock runs out.
    const started = Date.now();
    const fb = await b.fetch(id, { maxWaitMs: 5000 });
    expect(acquired(fb)).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    // Delivery count 2 = the limit: a release archives it instead of offering it again.
    expect((await b.ack(id, 0, 0, RELEASE)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(spso('g-lock', id)).toBe(1);
    expect(acquired(await a.fetch(id))).toEqual([]);
  });

  it('renew (v2, IsRenewAck) extends the acquisition lock', async () => {
    const id = await topic('sg-renew');
    await produce('sg-renew', 1);
    const a = new Member('g-renew', 'a');
    await a.join(['sg-renew']);
    const t0 = Date.now();
    expect(acquired(await a.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    await new Promise((res) => setTimeout(res, 600));
    const renew = await a.fetch(id, { isRenewAck: true }, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [4] }]);
    expect(renew.errorCode).toBe(0);
    expect(acquired(renew)).toEqual([]);
    // Past the first lock's 1 s: still a's to accept.
    await new Promise((res) => setTimeout(res, Math.max(0, t0 + 1300 - Date.now())));
    expect((await a.ack(id, 0, 0, ACCEPT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('a member leaving releases what it holds', async () => {
    const id = await topic('sg-leave');
    await produce('sg-leave', 2);
    const a = new Member('g-leave', 'a');
    const b = new Member('g-leave', 'b');
    await a.join(['sg-leave']);
    await b.join(['sg-leave']);
    expect(acquired(await a.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }]);
    expect((await a.leave()).errorCode).toBe(0);
    expect(acquired(await b.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 1, deliveryCount: 2 }]);
  });

  it('a member whose connection drops releases its records at once', async () => {
    const id = await topic('sg-drop');
    await produce('sg-drop', 1);
    const other = await RawClient.connect(tb.port);
    const r = await other.send<ShareFetchResponse>(FETCH, 2, { groupId: 'g-drop', memberId: 'gone', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, topics: [{ topicId: id, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    expect(acquired(r)).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    other.close();
    const sp = tb.broker.shareService!.partitions.sharePartition('g-drop', id, 0)!;
    // Proof of the release first (the 1 s lock would also free it, so it must come sooner).
    const t0 = Date.now();
    while (sp.stateOf(0)?.memberId === 'gone') await new Promise((res) => setTimeout(res, 10));
    expect(Date.now() - t0).toBeLessThan(900);
    const b = new Member('g-drop', 'b');
    expect(acquired(await b.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }]);
  });

  it('a classic group id is not a share group', async () => {
    await topic('sg-conflict');
    // A classic group with committed offsets (a simple-consumer commit, generation -1).
    const commit = await client.send(8, 8, { groupId: 'g-classic', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'sg-conflict', partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(commit.topics[0].partitions[0].errorCode).toBe(0);
    const r = await new Member('g-classic', 'x').join(['sg-conflict']);
    expect(r.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('share-partition state across a restart', () => {
  it('keeps the SPSO and acknowledged records; acquired records come back available', async () => {
    const id = await topic('sg-restart');
    await produce('sg-restart', 3);
    const a = new Member('g-restart', 'a');
    await a.join(['sg-restart']);
    expect(acquired(await a.fetch(id))).toEqual([{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    expect((await a.ack(id, 0, 0, ACCEPT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await a.ack(id, 2, 2, ACCEPT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    await producer.disconnect();
    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    producer = new Kafka({ clientId: 'share-raw', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const b = new Member('g-restart', 'b');
    await b.join(['sg-restart']);
    // Offset 1 was acquired when the broker stopped: offered again (delivery count 2); 0 and 2 are done.
    expect(acquired(await b.fetch(id))).toEqual([{ firstOffset: 1, lastOffset: 1, deliveryCount: 2 }]);
    expect(spso('g-restart', id)).toBe(1);
  });
});

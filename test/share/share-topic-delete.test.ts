// Deleting a topic removes every share group's state of it (tombstones in __share_group_state),
// drops it from share sessions so later fetches of the other partitions carry no errors for it,
// answers UNKNOWN_TOPIC_ID to a request that still names it, drops it from assignments, and a
// topic re-created under the same name starts fresh (new topic id).
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ACCEPT, acquired, RawShareMember } from './raw-share-member.js';

let tb: TestBroker;
let client: RawClient;
const kafka = () => new Kafka({ clientId: 'share-delete', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });

beforeAll(async () => {
  tb = await startTestBroker({ 'group.share.auto.offset.reset': 'earliest', 'offsets.topic.num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

async function produce(topic: string, n: number, prefix: string): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  for (let i = 0; i < n; i++) await producer.send({ topic, messages: [{ value: `${prefix}${i}` }] });
  await producer.disconnect();
}

describe('share state when a topic is deleted', () => {
  it('is removed, and later fetches, describes and restarts carry no trace of it', async () => {
    await tb.broker.createTopic('td-gone', 1, 1, {});
    await tb.broker.createTopic('td-kept', 1, 1, {});
    const gone = tb.broker.topics.get('td-gone')!.id;
    const kept = tb.broker.topics.get('td-kept')!.id;
    await produce('td-gone', 3, 'g');
    await produce('td-kept', 2, 'k');
    const m = new RawShareMember(() => client, 'g-td', 'a');
    const joined = await m.join(['td-gone', 'td-kept']);
    expect(joined.assignment!.topicPartitions.map((t) => t.topicId).sort()).toEqual([gone, kept].sort());
    // One session over both topics.
    const first = await m.fetch(gone, {}, [], 0);
    expect(acquired(first)).toEqual([{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    expect((await m.ack(gone, 0, 0, ACCEPT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(acquired(await m.fetch(kept))).toEqual([{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }]);
    const service = tb.broker.shareService!;
    expect(service.store!.get('g-td', gone, 0)?.startOffset).toBe(1);

    const admin = kafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['td-gone'] });
    await admin.disconnect();
    expect(service.store!.get('g-td', gone, 0)).toBeUndefined();
    expect([...service.partitions.groupPartitions('g-td')].map((x) => x.topicId)).toEqual([kept]);

    // An incremental fetch of the session (no topics named): no error for the deleted topic.
    await produce('td-kept', 1, 'k-after');
    const later = await m.fetch(kept, { topics: [] });
    expect(later.errorCode).toBe(0);
    expect(later.responses.map((t) => t.topicId)).toEqual([kept]);
    expect(later.responses[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    expect(acquired(later)).toEqual([{ firstOffset: 2, lastOffset: 2, deliveryCount: 1 }]);
    // Naming it still: UNKNOWN_TOPIC_ID for that partition.
    const named = await m.fetch(gone);
    expect(named.responses.find((t) => t.topicId === gone)!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    // The assignment drops it; the admin APIs no longer list it.
    const hb = await m.heartbeat();
    expect(hb.errorCode).toBe(0);
    expect(hb.assignment?.topicPartitions.map((t) => t.topicId)).toEqual([kept]);
    const described = await client.send<{ groups: { topics: { topicName: string }[] }[] }>(90, 1, { groups: [{ groupId: 'g-td', topics: null }] });
    expect(described.groups[0]!.topics.map((t) => t.topicName)).toEqual(['td-kept']);
    expect((await m.leave()).errorCode).toBe(0);
    const del = await client.send<{ errorCode: number; responses: { topicName: string; errorCode: number }[] }>(92, 0, { groupId: 'g-td', topics: [{ topicName: 'td-gone' }] });
    expect(del.errorCode).toBe(0);
    expect(del.responses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // After a restart the state stays gone (tombstoned), and a topic of the same name starts fresh.
    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    expect(tb.broker.shareService!.store!.partitionsOf('g-td').map((x) => x.topicId)).toEqual([kept]);
    await tb.broker.createTopic('td-gone', 1, 1, {});
    const again = tb.broker.topics.get('td-gone')!.id;
    expect(again).not.toBe(gone);
    await produce('td-gone', 1, 'new');
    const b = new RawShareMember(() => client, 'g-td', 'b');
    await b.join(['td-gone']);
    expect(acquired(await b.fetch(again))).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
  });
});

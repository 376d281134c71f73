// ShareFetch v2 ShareAcquireMode (KIP-1206): batch-optimized (0) acquires whole batches even past
// MaxRecords; record-limit (1) acquires at most MaxRecords, ending inside a batch, and the next
// fetch continues from there; any other mode is INVALID_REQUEST.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ACCEPT, acquired, RawShareMember } from './raw-share-member.js';

let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.share.auto.offset.reset': 'earliest', 'offsets.topic.num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

/** One topic with one batch of `n` records. */
async function oneBatch(topic: string, n: number): Promise<string> {
  await tb.broker.createTopic(topic, 1, 1, {});
  const producer = new Kafka({ clientId: 'share-mode', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  await producer.disconnect();
  return tb.broker.topics.get(topic)!.id;
}

describe('ShareAcquireMode', () => {
  it('batch-optimized acquires the whole batch past MaxRecords', async () => {
    const id = await oneBatch('am-batch', 10);
    const m = new RawShareMember(() => client, 'g-am-batch', 'a');
    await m.join(['am-batch']);
    expect(acquired(await m.fetch(id, { maxRecords: 3, shareAcquireMode: 0 }))).toEqual([{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }]);
  });

  it('record-limit acquires exactly MaxRecords inside a batch, then continues from there', async () => {
    const id = await oneBatch('am-limit', 10);
    const m = new RawShareMember(() => client, 'g-am-limit', 'a');
    await m.join(['am-limit']);
    const first = await m.fetch(id, { maxRecords: 3, shareAcquireMode: 1 });
    expect(acquired(first)).toEqual([{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    // The whole batch goes out (records are never re-encoded); the client keeps the acquired ones.
    expect(first.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const sp = tb.broker.shareService!.partitions.sharePartition('g-am-limit', id, 0)!;
    expect(sp.endOffset).toBe(3);
    expect(sp.stateOf(3)).toBeUndefined();
    expect(acquired(await m.fetch(id, { maxRecords: 4, shareAcquireMode: 1 }))).toEqual([{ firstOffset: 3, lastOffset: 6, deliveryCount: 1 }]);
    expect((await m.ack(id, 0, 6, ACCEPT)).responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(acquired(await m.fetch(id, { maxRecords: 100, shareAcquireMode: 1 }))).toEqual([{ firstOffset: 7, lastOffset: 9, deliveryCount: 1 }]);
    expect(sp.startOffset).toBe(7);
  });

  it('an unknown acquire mode is INVALID_REQUEST', async () => {
    const id = await oneBatch('am-bad', 1);
    const m = new RawShareMember(() => client, 'g-am-bad', 'a');
    await m.join(['am-bad']);
    const r = await m.fetch(id, { shareAcquireMode: 7, shareSessionEpoch: 0 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

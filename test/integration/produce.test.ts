// Produce error handling at the protocol level: each bad partition gets Kafka's error code while
// the rest of the request (and the connection) carries on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'auto.create.topics.enable': 'false' });
  c = await RawClient.connect(tb.port);
  const r = await c.send(19, 7, {
    topics: [{ name: 'px', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'max.message.bytes', value: '5000' }] }],
    timeoutMs: 5000, validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

const batch = (value = 'v', n = 1) => buildRecordBatch({ records: Array.from({ length: n }, () => ({ key: null, value: Buffer.from(value), timestamp: Date.now() })) });

async function produceOne(partitionData: object[], acks = -1, version = 9, topic = 'px') {
  const r = await c.send(0, version, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData }] });
  return r.responses[0].partitionResponses;
}

describe('produce errors', () => {
  it('assigns consecutive offsets and reports the log start', async () => {
    const [a] = await produceOne([{ index: 0, records: batch('a', 3) }]);
    const [b] = await produceOne([{ index: 0, records: batch('b', 2) }]);
    expect(a).toMatchObject({ errorCode: 0, baseOffset: 0, logStartOffset: 0, logAppendTimeMs: -1 });
    expect(b).toMatchObject({ errorCode: 0, baseOffset: 3 });
  });

  it('answers CORRUPT_MESSAGE for a bad CRC and keeps other partitions', async () => {
    const bad = batch('corrupt me');
    bad[bad.length - 1] ^= 0xff;
    const res = await produceOne([{ index: 0, records: bad }, { index: 1, records: batch() }]);
    expect(res[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(res[1].errorCode).toBe(0);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing partition or topic', async () => {
    expect((await produceOne([{ index: 7, records: batch() }]))[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produceOne([{ index: 0, records: batch() }], -1, 9, 'px-missing'))[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('answers MESSAGE_TOO_LARGE above max.message.bytes', async () => {
    expect((await produceOne([{ index: 0, records: batch('z'.repeat(6000)) }]))[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('answers INVALID_REQUIRED_ACKS for acks=2', async () => {
    expect((await produceOne([{ index: 0, records: batch() }], 2))[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('answers INVALID_RECORD for two batches in one v3+ partition entry and for an empty one', async () => {
    const two = Buffer.concat([batch('1'), batch('2')]);
    expect((await produceOne([{ index: 0, records: two }]))[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produceOne([{ index: 0, records: Buffer.alloc(0) }]))[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('answers NOT_ENOUGH_REPLICAS for acks=-1 when min.insync.replicas exceeds the ISR', async () => {
    const r = await c.send(19, 7, { topics: [{ name: 'px-isr', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }], timeoutMs: 5000, validateOnly: false });
    expect(r.topics[0].errorCode).toBe(0);
    expect((await produceOne([{ index: 0, records: batch() }], -1, 9, 'px-isr'))[0].errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect((await produceOne([{ index: 0, records: batch() }], 1, 9, 'px-isr'))[0].errorCode).toBe(0);
  });

  it('sends no response for acks=0 and closes the connection when such a produce fails', async () => {
    const c2 = await RawClient.connect(tb.port);
    const ok = c2.encode(0, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'px', partitionData: [{ index: 1, records: batch('fire-and-forget') }] }] });
    c2.writeRaw(ok.frame);
    // The next request's answer arrives with nothing before it.
    const api = await c2.send(18, 0, {});
    expect(api.errorCode).toBe(0);
    expect(c2.arrivalOrder).not.toContain(ok.correlationId);
    const bad = c2.encode(0, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'px', partitionData: [{ index: 99, records: batch() }] }] });
    c2.writeRaw(bad.frame);
    await c2.closedPromise;
    expect(c2.closed).toBe(true);
  });

  it('refuses keyless records on a compacted topic with INVALID_RECORD', async () => {
    const r = await c.send(19, 7, { topics: [{ name: 'px-compact', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000, validateOnly: false });
    expect(r.topics[0].errorCode).toBe(0);
    const [bad] = await produceOne([{ index: 0, records: batch('no key') }], -1, 9, 'px-compact');
    expect(bad.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(bad.recordErrors).toEqual([{ batchIndex: 0, batchIndexErrorMessage: 'Compacted topic cannot accept message without key' }]);
    const keyed = buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }] });
    const [ok] = await produceOne([{ index: 0, records: keyed }], -1, 9, 'px-compact');
    expect(ok.errorCode).toBe(0);
  });

  it('stamps LogAppendTime when the topic asks for it', async () => {
    const r = await c.send(19, 7, { topics: [{ name: 'px-lat', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], timeoutMs: 5000, validateOnly: false });
    expect(r.topics[0].errorCode).toBe(0);
    const before = Date.now();
    const [p] = await produceOne([{ index: 0, records: batch() }], -1, 9, 'px-lat');
    expect(p.errorCode).toBe(0);
    expect(p.logAppendTimeMs).toBeGreaterThanOrEqual(before);
  });
});

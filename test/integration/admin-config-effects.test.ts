// Topic configs changed at runtime must act, not just be reported: retention.ms and
// retention.bytes delete old segments, max.message.bytes moves the produce limit,
// message.timestamp.type=LogAppendTime rewrites stored timestamps, segment.bytes changes rolling,
// and a dynamic cluster default (log.retention.ms) reaches topics without their own override.
// The broker checks retention every 50 ms so the waits below stay short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../../protocol/records/record-codec.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { countCalls, waitFor } from '../helpers/wait.js';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const HOUR_AGO = () => Date.now() - 3_600_000;

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'log.retention.check.interval.ms': '50', 'log.segment.delete.delay.ms': '0' });
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<string> {
  const r = await c.send(19, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}

async function alter(resourceType: number, resourceName: string, name: string, value: string | null): Promise<void> {
  const r = await c.send(44, 1, {
    resources: [{ resourceType, resourceName, configs: [{ name, configOperation: value === null ? DELETE : SET, value }] }],
    validateOnly: false,
  });
  expect(r.responses[0].errorCode, r.responses[0].errorMessage).toBe(0);
}

async function produce(topic: string, value: string, timestamp = Date.now()): Promise<{ errorCode: number; baseOffset: number; logAppendTimeMs: number }> {
  const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp }] });
  const r = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0].partitionResponses[0];
}

async function produceOk(topic: string, count: number, size: number, timestamp?: () => number): Promise<void> {
  for (let i = 0; i < count; i++) expect((await produce(topic, `${i}`.padEnd(size, 'x'), timestamp?.())).errorCode).toBe(0);
}

async function fetchFrom(topicId: string, offset: number) {
  const r = await c.send(1, 13, {
    maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  return r.responses[0].partitions[0];
}

/** Every batch up to the high watermark (one fetch returns one segment's worth at most). */
async function readAll(topicId: string) {
  const out = [];
  for (let offset = 0; ; ) {
    const p = await fetchFrom(topicId, offset);
    expect(p.errorCode).toBe(0);
    const batches = decodeRecordBatches(p.records);
    if (batches.length === 0) return out;
    out.push(...batches);
    offset = batches[batches.length - 1]!.baseOffset + batches[batches.length - 1]!.lastOffsetDelta + 1;
    if (offset >= p.highWatermark) return out;
  }
}


const logOf = (topic: string) => tb.broker.partition(topic, 0)!.log;

describe('topic configs altered at runtime take effect', () => {
  it('retention.ms deletes segments older than the new limit', async () => {
    const id = await createTopic('fx-retention-ms', { 'segment.bytes': '1024' });
    await produceOk('fx-retention-ms', 6, 600, HOUR_AGO);
    expect(logOf('fx-retention-ms').segmentInfos().length).toBeGreaterThanOrEqual(3);
    // Proof that retention looked at this log under the 7-day default before asserting it kept
    // everything: two completed passes over it (the first may have started before the produce).
    const passes = countCalls(logOf('fx-retention-ms'), 'enforceRetention');
    try {
      await passes.more(2, 'two retention passes over fx-retention-ms', 5_000);
    } finally {
      passes.restore();
    }
    expect(logOf('fx-retention-ms').logStartOffset).toBe(0);

    await alter(TOPIC, 'fx-retention-ms', 'retention.ms', '60000');
    // Every batch is an hour old: all of it goes, the active segment included.
    await waitFor(() => logOf('fx-retention-ms').logStartOffset === 6, 'log start reaches the end', 5_000);
    expect((await fetchFrom(id, 0)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const earliest = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fx-retention-ms', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }] });
    expect(earliest.topics[0].partitions[0].offset).toBe(6);
  });

  it('retention.bytes deletes the oldest segments once the log is bigger', async () => {
    await createTopic('fx-retention-bytes', { 'segment.bytes': '1024' });
    await produceOk('fx-retention-bytes', 10, 600);
    const log = logOf('fx-retention-bytes');
    const before = log.size();
    expect(log.logStartOffset).toBe(0);
    await alter(TOPIC, 'fx-retention-bytes', 'retention.bytes', '2000');
    await waitFor(() => log.logStartOffset > 0, 'old segments deleted', 5_000);
    expect(log.size()).toBeLessThan(before);
    // Kafka's rule: a segment goes only while the rest still holds at least retention.bytes.
    expect(log.size() - log.segmentInfos()[0]!.size).toBeLessThan(2000);
    expect(log.logEndOffset).toBe(10);
  });

  it('max.message.bytes moves the produce limit both ways', async () => {
    await createTopic('fx-max-message');
    expect((await produce('fx-max-message', 'y'.repeat(2000))).errorCode).toBe(0);
    await alter(TOPIC, 'fx-max-message', 'max.message.bytes', '1000');
    expect((await produce('fx-max-message', 'y'.repeat(2000))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce('fx-max-message', 'small')).errorCode).toBe(0);
    await alter(TOPIC, 'fx-max-message', 'max.message.bytes', null);
    expect((await produce('fx-max-message', 'y'.repeat(2000))).errorCode).toBe(0);
  });

  it('message.max.bytes as a dynamic cluster default limits topics without an override', async () => {
    await createTopic('fx-broker-max');
    await createTopic('fx-broker-max-own', { 'max.message.bytes': '100000' });
    await alter(BROKER, '', 'message.max.bytes', '1000');
    try {
      expect((await produce('fx-broker-max', 'y'.repeat(2000))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
      expect((await produce('fx-broker-max-own', 'y'.repeat(2000))).errorCode).toBe(0);
    } finally {
      await alter(BROKER, '', 'message.max.bytes', null);
    }
    expect((await produce('fx-broker-max', 'y'.repeat(2000))).errorCode).toBe(0);
  });

  it('message.timestamp.type=LogAppendTime stamps new batches with the append time', async () => {
    const id = await createTopic('fx-append-time');
    const created = Date.now() - 60_000; // inside the 7-day retention the 50 ms retention checks enforce
    const first = await produce('fx-append-time', 'before', created);
    expect(first.logAppendTimeMs).toBe(-1);
    await alter(TOPIC, 'fx-append-time', 'message.timestamp.type', 'LogAppendTime');
    const t0 = Date.now();
    const second = await produce('fx-append-time', 'after', created);
    expect(second.logAppendTimeMs).toBeGreaterThanOrEqual(t0);

    const batches = await readAll(id);
    expect(batches.map((b) => b.timestampType)).toEqual(['CreateTime', 'LogAppendTime']);
    expect(batches[0]!.records[0]!.timestamp).toBe(created);
    expect(batches[1]!.records[0]!.timestamp).toBe(second.logAppendTimeMs);
  });

  it('segment.bytes changes when the log rolls', async () => {
    await createTopic('fx-segment-bytes');
    await produceOk('fx-segment-bytes', 3, 600);
    expect(logOf('fx-segment-bytes').segmentInfos()).toHaveLength(1);
    await alter(TOPIC, 'fx-segment-bytes', 'segment.bytes', '1024');
    await produceOk('fx-segment-bytes', 4, 600);
    expect(logOf('fx-segment-bytes').segmentInfos().length).toBeGreaterThanOrEqual(3);
  });

  it('a dynamic cluster default log.retention.ms deletes old data of topics without an override', async () => {
    await createTopic('fx-default-retention', { 'segment.bytes': '1024' });
    await createTopic('fx-own-retention', { 'segment.bytes': '1024', 'retention.ms': '-1' });
    await produceOk('fx-default-retention', 4, 600, HOUR_AGO);
    await produceOk('fx-own-retention', 4, 600, HOUR_AGO);
    await alter(BROKER, '', 'log.retention.ms', '60000');
    try {
      await waitFor(() => logOf('fx-default-retention').logStartOffset === 4, 'default-retention topic emptied', 5_000);
      // Two completed passes over the topic with its own retention.ms=-1 after the default took
      // effect elsewhere: at least one of them saw the new default, and it kept everything.
      const passes = countCalls(logOf('fx-own-retention'), 'enforceRetention');
      try {
        await passes.more(2, 'two retention passes over fx-own-retention', 5_000);
      } finally {
        passes.restore();
      }
      expect(logOf('fx-own-retention').logStartOffset).toBe(0);
    } finally {
      await alter(BROKER, '', 'log.retention.ms', null);
    }
  });
});

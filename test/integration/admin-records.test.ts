// DeleteRecords, DescribeLogDirs and OffsetForLeaderEpoch against an in-process broker: the log
// start moves (and stays moved across a restart), fetches below it are out of range, ListOffsets
// earliest follows it; log dirs list their partitions with sizes and disk space; leader epoch end
// offsets follow Kafka's LeaderEpochFileCache rules, with fencing by the current leader epoch.
// Driven by the raw client, kafkajs (deleteTopicRecords, fetchTopicOffsets) and
// @platformatic/kafka (deleteRecords, describeLogDirs).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs, pkAdmin } from '../helpers/clients.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'log.segment.delete.delay.ms': '0' });
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

async function createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const r = await c.send(19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}

/** Produces `count` one-record batches of `size` bytes to partition `partition`. */
async function produce(topic: string, count: number, partition = 0, size = 100): Promise<void> {
  for (let i = 0; i < count; i++) {
    // Keyed, because compacted topics refuse keyless records.
    const records = buildRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.alloc(size, 97 + (i % 26)), timestamp: Date.now() }] });
    const r = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
  }
}

async function deleteRecords(version: number, topic: string, parts: { partitionIndex: number; offset: number }[]) {
  const r = await c.send(21, version, { topics: [{ name: topic, partitions: parts }], timeoutMs: 5000 });
  return r.topics[0].partitions as { partitionIndex: number; lowWatermark: number; errorCode: number }[];
}

async function fetchError(topicId: string, offset: number): Promise<number> {
  const r = await c.send(1, 13, {
    maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  return r.responses[0].partitions[0].errorCode;
}

async function earliest(topic: string): Promise<number> {
  const r = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }] });
  return r.topics[0].partitions[0].offset;
}

describe('DeleteRecords', () => {
  it('moves the log start offset; fetch below it is out of range; survives a restart', async () => {
    const id = await createTopic('dr-basic', 1, { 'segment.bytes': '1024' });
    await produce('dr-basic', 20);
    for (const v of [0, 1, 2]) {
      const [p] = await deleteRecords(v, 'dr-basic', [{ partitionIndex: 0, offset: 3 + v * 2 }]);
      expect(p).toEqual({ partitionIndex: 0, lowWatermark: 3 + v * 2, errorCode: 0 });
    }
    // Below the current start: nothing moves, the current start is answered.
    expect((await deleteRecords(2, 'dr-basic', [{ partitionIndex: 0, offset: 1 }]))[0]).toMatchObject({ lowWatermark: 7, errorCode: 0 });
    expect(await earliest('dr-basic')).toBe(7);
    expect(await fetchError(id, 6)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await fetchError(id, 7)).toBe(0);
    // Segments wholly below the start are gone.
    expect(tb.broker.partition('dr-basic', 0)!.log.segmentInfos()[0]!.baseOffset).toBeLessThanOrEqual(7);
    expect(tb.broker.partition('dr-basic', 0)!.log.segmentInfos()[0]!.nextOffset).toBeGreaterThan(7);

    c.close();
    tb = await tb.restart();
    c = await RawClient.connect(tb.port);
    expect(await earliest('dr-basic')).toBe(7);
    expect(await fetchError(id, 6)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('offset -1 means the high watermark; beyond it, negative, unknown and compacted are errors', async () => {
    await createTopic('dr-edges', 2);
    await createTopic('dr-compacted', 1, { 'cleanup.policy': 'compact' });
    await produce('dr-edges', 5);
    await produce('dr-compacted', 2);
    expect(await deleteRecords(2, 'dr-edges', [{ partitionIndex: 0, offset: 6 }])).toEqual([{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }]);
    expect((await deleteRecords(2, 'dr-edges', [{ partitionIndex: 0, offset: -2 }]))[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await deleteRecords(2, 'dr-edges', [{ partitionIndex: 0, offset: -1 }, { partitionIndex: 1, offset: -1 }, { partitionIndex: 2, offset: 0 }])).toEqual([
      { partitionIndex: 0, lowWatermark: 5, errorCode: 0 },
      { partitionIndex: 1, lowWatermark: 0, errorCode: 0 },
      { partitionIndex: 2, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    expect((await deleteRecords(1, 'dr-nope', [{ partitionIndex: 0, offset: 0 }]))[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await deleteRecords(1, 'dr-compacted', [{ partitionIndex: 0, offset: 1 }]))[0]!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
  });

  it('works from kafkajs deleteTopicRecords, seen by fetchTopicOffsets', async () => {
    await createTopic('dr-kafkajs', 2);
    await produce('dr-kafkajs', 10, 0);
    await produce('dr-kafkajs', 4, 1);
    const kafka = kafkajs(tb.bootstrap, { clientId: 'kj-dr', retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // kafkajs looks the leaders up in its cached metadata: load the topic first.
      expect((await admin.fetchTopicOffsets('dr-kafkajs')).map((o) => o.low)).toEqual(['0', '0']);
      await admin.deleteTopicRecords({ topic: 'dr-kafkajs', partitions: [{ partition: 0, offset: '6' }, { partition: 1, offset: '-1' }] });
      const offsets = await admin.fetchTopicOffsets('dr-kafkajs');
      expect(offsets.sort((a, b) => a.partition - b.partition).map((o) => [o.low, o.high])).toEqual([
        ['6', '10'],
        ['4', '4'],
      ]);
      await expect(admin.deleteTopicRecords({ topic: 'dr-kafkajs', partitions: [{ partition: 0, offset: '99' }] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });

  it('works from @platformatic/kafka Admin.deleteRecords', async () => {
    await createTopic('dr-pk');
    await produce('dr-pk', 8);
    const admin = pkAdmin(tb.bootstrap, { clientId: 'pk-dr' });
    try {
      const res = await admin.deleteRecords({ topics: [{ name: 'dr-pk', partitions: [{ partition: 0, offset: 5n }] }] });
      expect(res).toEqual([{ name: 'dr-pk', partitions: [{ partition: 0, lowWatermark: 5n }] }]);
    } finally {
      await admin.close();
    }
    expect(await earliest('dr-pk')).toBe(5);
  });
});

describe('DescribeLogDirs', () => {
  it('lists partitions with sizes, filters by request, reports disk space from v4', async () => {
    await createTopic('dld-a', 2);
    await createTopic('dld-b', 1);
    await produce('dld-a', 3, 1, 500);
    const all = await c.send(35, 4, { topics: null });
    expect(all.errorCode).toBe(0);
    expect(all.results).toHaveLength(1);
    const dir = all.results[0];
    expect(dir.errorCode).toBe(0);
    expect(dir.logDir).toBe(path.resolve(tb.dataDir));
    expect(dir.totalBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
    const a = dir.topics.find((t: { name: string }) => t.name === 'dld-a');
    expect(a.partitions).toEqual([
      { partitionIndex: 0, partitionSize: 0, offsetLag: 0, isFutureKey: false },
      { partitionIndex: 1, partitionSize: tb.broker.partition('dld-a', 1)!.log.size(), offsetLag: 0, isFutureKey: false },
    ]);
    expect(a.partitions[1].partitionSize).toBeGreaterThan(1500);

    // Asking for one partition: other topics of the dir stay listed with no partitions (as Kafka).
    const one = await c.send(35, 1, { topics: [{ topic: 'dld-a', partitions: [1] }] });
    const topics = one.results[0].topics as { name: string; partitions: { partitionIndex: number }[] }[];
    expect(topics.find((t) => t.name === 'dld-a')!.partitions.map((p) => p.partitionIndex)).toEqual([1]);
    expect(topics.find((t) => t.name === 'dld-b')!.partitions).toEqual([]);
    expect(one.results[0].totalBytes).toBe(-1); // not in v1
  });

  it('works from @platformatic/kafka Admin.describeLogDirs', async () => {
    const admin = pkAdmin(tb.bootstrap, { clientId: 'pk-dld' });
    try {
      const res = await admin.describeLogDirs({ topics: [{ name: 'dld-a', partitions: [0, 1] }] });
      expect(res).toHaveLength(1);
      expect(res[0]!.broker).toBe(tb.broker.nodeId);
      const t = res[0]!.results[0]!.topics.find((x) => x.name === 'dld-a')!;
      expect(t.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
      expect(Number(t.partitions[1]!.partitionSize)).toBe(tb.broker.partition('dld-a', 1)!.log.size());
    } finally {
      await admin.close();
    }
  });
});

describe('OffsetForLeaderEpoch', () => {
  async function epochEnd(version: number, topic: string, partition: number, leaderEpoch: number, currentLeaderEpoch = -1) {
    const r = await c.send(23, version, { replicaId: -1, topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }] });
    return r.topics[0].partitions[0] as { errorCode: number; partition: number; leaderEpoch: number; endOffset: number };
  }

  it('answers end offsets per epoch from the leader epoch cache', async () => {
    await createTopic('ofle');
    await produce('ofle', 4); // epoch 0: offsets 0-3
    const part = tb.broker.partition('ofle', 0)!;
    part.leaderEpoch = 2; // as after two leader changes
    await produce('ofle', 3); // epoch 2: offsets 4-6
    expect(await epochEnd(4, 'ofle', 0, 0)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 4 });
    expect(await epochEnd(4, 'ofle', 0, 1)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 4 });
    expect(await epochEnd(4, 'ofle', 0, 2)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: 2, endOffset: 7 });
    expect(await epochEnd(4, 'ofle', 0, 3)).toEqual({ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 });
    expect((await epochEnd(0, 'ofle', 0, 0)).endOffset).toBe(4);

    expect((await epochEnd(4, 'ofle', 0, 0, 2)).errorCode).toBe(0);
    expect(await epochEnd(3, 'ofle', 0, 0, 1)).toEqual({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1 });
    expect((await epochEnd(2, 'ofle', 0, 0, 3)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await epochEnd(1, 'ofle', 0, 0, 1)).errorCode).toBe(0); // v0-1 carry no current epoch
    expect((await epochEnd(4, 'ofle', 1, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await epochEnd(4, 'ofle-missing', 0, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('knows where the current epoch starts before anything was appended in it', async () => {
    await createTopic('ofle-fresh');
    await produce('ofle-fresh', 2); // epoch 0: offsets 0-1
    tb.broker.partition('ofle-fresh', 0)!.leaderEpoch = 5; // new leader, no append yet
    expect(await epochEnd(4, 'ofle-fresh', 0, 5)).toMatchObject({ leaderEpoch: 5, endOffset: 2 });
    expect(await epochEnd(4, 'ofle-fresh', 0, 3)).toMatchObject({ leaderEpoch: 0, endOffset: 2 });
    expect(await epochEnd(4, 'ofle-fresh', 0, 0)).toMatchObject({ leaderEpoch: 0, endOffset: 2 });
    expect(await epochEnd(4, 'ofle-fresh', 0, 6)).toMatchObject({ leaderEpoch: -1, endOffset: -1 });

    await createTopic('ofle-empty');
    expect(await epochEnd(4, 'ofle-empty', 0, 0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 0 });
  });
});

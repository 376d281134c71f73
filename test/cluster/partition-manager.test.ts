// The partition layer's checks, on a real broker's PartitionManager: leadership, min.insync with
// the ISR, internal topics refused to clients, reader kinds and isolation bounds, epoch fencing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import type { PartitionManager, ReadOptions } from '../../src/cluster/partition-manager.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const batch = (value: string, extra: Parameters<typeof buildRecordBatch>[0] extends infer O ? Partial<O> : never = {}) =>
  buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from(value) }], ...extra });

const consumer = (isolation: ReadOptions['isolation'] = 'read_uncommitted'): ReadOptions => ({ reader: 'consumer', isolation, currentLeaderEpoch: -1, minOneMessage: true });

describe('partition layer', () => {
  let tb: TestBroker;
  let pm: PartitionManager;

  beforeAll(async () => {
    tb = await startTestBroker();
    pm = tb.broker.partitionManager;
    await tb.broker.createTopic('plain', 1, 1, {});
    await tb.broker.createTopic('strict', 1, 1, { 'min.insync.replicas': '2' });
    await tb.broker.createTopic('led-elsewhere', 1, 1, {});
    await tb.broker.createTopic('txn', 1, 1, {});
  });
  afterAll(() => tb?.cleanup());

  it('appends client records and reads them back; unknown partitions answer UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const r = pm.append('client', 'plain', 0, batch('a'), 1, { produceVersion: 9 });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    await r.completion;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.baseOffset).toBe(0);
    const read = await pm.read('plain', 0, 0, 1 << 20, consumer());
    expect(read.errorCode).toBe(ErrorCode.NONE);
    expect(read.highWatermark).toBe(1);
    expect(read.records.length).toBeGreaterThan(0);
    expect(pm.append('client', 'plain', 7, batch('x'), 1).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await pm.read('nope', 0, 0, 100, consumer())).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(pm.append('client', 'plain', 0, batch('x'), 2).errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('answers NOT_LEADER_OR_FOLLOWER for a partition another broker leads, on every path', async () => {
    const p = pm.hostedPartition('led-elsewhere', 0)!;
    p.leaderId = tb.broker.nodeId + 1;
    expect(pm.append('client', 'led-elsewhere', 0, batch('a'), 1).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await pm.read('led-elsewhere', 0, 0, 100, consumer())).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await pm.fetchOffsetForTimestamp('led-elsewhere', 0, -1, 'read_uncommitted', -1, 1000)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await pm.appendInternal({ topic: 'led-elsewhere', partition: 0 }, batch('a'))).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(pm.lastOffsetForLeaderEpoch('led-elsewhere', 0, 0, -1).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    p.leaderId = tb.broker.nodeId;
    expect(pm.append('client', 'led-elsewhere', 0, batch('a'), 1).errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses acks=-1 while the ISR is smaller than min.insync.replicas; only the ISR decides', async () => {
    const short = pm.append('client', 'strict', 0, batch('a'), -1);
    expect(short.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(short.completion).toBeNull();
    // acks=1 does not wait for the ISR, as in Kafka.
    const one = pm.append('client', 'strict', 0, batch('b'), 1);
    expect(one.errorCode).toBe(ErrorCode.NONE);
    await one.completion;
    // A second in-sync replica (what replication will do) is enough; callers do not change.
    const p = pm.hostedPartition('strict', 0)!;
    p.isr = [tb.broker.nodeId, tb.broker.nodeId + 1];
    const all = pm.append('client', 'strict', 0, batch('c'), -1);
    expect(all.errorCode).toBe(ErrorCode.NONE);
    await all.completion;
    expect(all.baseOffset).toBe(1);
    p.isr = [tb.broker.nodeId];
  });

  it('refuses client appends to internal topics and takes coordinator appends there', async () => {
    const r = pm.append('client', '__consumer_offsets', 0, batch('a'), 1);
    expect(r.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const before = pm.offsets({ topic: '__consumer_offsets', partition: 0 })!.logEndOffset;
    const internal = await pm.appendInternal({ topic: '__consumer_offsets', partition: 0 }, batch('a'));
    expect(internal.errorCode).toBe(ErrorCode.NONE);
    expect(internal.baseOffset).toBe(before);
    expect(pm.offsets({ topic: '__consumer_offsets', partition: 0 })!.highWatermark).toBe(before + 1);
    expect(pm.append('replication', 'plain', 0, batch('a'), 1).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('bounds reads by reader kind and isolation: read_committed stops at an open transaction until its marker', async () => {
    const tp = { topic: 'txn', partition: 0 };
    const plain = await pm.appendInternal(tp, batch('committed'));
    expect(plain.errorCode).toBe(ErrorCode.NONE);
    // A coordinator-written transactional batch (as TxnOffsetCommit writes) opens a transaction here.
    const open = await pm.appendInternal(tp, batch('pending', { producerId: 4242, producerEpoch: 0, transactional: true }));
    expect(open.errorCode).toBe(ErrorCode.NONE);

    const committed = await pm.read('txn', 0, 0, 1 << 20, consumer('read_committed'));
    const uncommitted = await pm.read('txn', 0, 0, 1 << 20, consumer('read_uncommitted'));
    const follower = await pm.read('txn', 0, 0, 1 << 20, { ...consumer('read_committed'), reader: 'follower' });
    const internal = await pm.readInternal(tp, 0, 1 << 20);
    expect(committed.lastStableOffset).toBe(1);
    expect(committed.highWatermark).toBe(2);
    // Consumers with read_committed get the first batch only; the others both.
    expect(committed.records.length).toBe(batch('committed').length);
    expect(committed.abortedTransactions).toEqual([]);
    expect(uncommitted.records.length).toBeGreaterThan(committed.records.length);
    expect(uncommitted.abortedTransactions).toBeNull();
    expect(follower.records.length).toBe(uncommitted.records.length);
    expect(internal.records.length).toBe(uncommitted.records.length);

    const marker = await pm.appendMarker(tp, { producerId: 4242, producerEpoch: 0, coordinatorEpoch: 0, committed: true });
    expect(marker.errorCode).toBe(ErrorCode.NONE);
    const after = await pm.read('txn', 0, 0, 1 << 20, consumer('read_committed'));
    expect(after.lastStableOffset).toBe(3);
    expect(after.records.length).toBeGreaterThan(uncommitted.records.length);
    // A stale producer epoch's marker is refused by the producer state.
    const stale = await pm.appendMarker(tp, { producerId: 4242, producerEpoch: -5, coordinatorEpoch: 0, committed: false });
    expect(stale.errorCode).not.toBe(ErrorCode.NONE);
  });

  it('fences readers naming another leader epoch', async () => {
    const epoch = pm.partition('plain', 0)!.leaderEpoch;
    expect((await pm.read('plain', 0, 0, 100, { ...consumer(), currentLeaderEpoch: epoch + 1 })).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await pm.fetchOffsetForTimestamp('plain', 0, -1, 'read_uncommitted', epoch + 1, 1000)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const p = pm.hostedPartition('plain', 0)!;
    p.leaderEpoch = epoch + 2;
    expect((await pm.read('plain', 0, 0, 100, { ...consumer(), currentLeaderEpoch: epoch + 1 })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    p.leaderEpoch = epoch;
    expect((await pm.read('plain', 0, 0, 100, { ...consumer(), currentLeaderEpoch: epoch })).errorCode).toBe(ErrorCode.NONE);
  });

  it('clients see the layer\'s answers on the wire: Produce, Fetch (with currentLeader) and ListOffsets for a partition led elsewhere', async () => {
    await tb.broker.createTopic('wire', 2, 1, {});
    const p = pm.hostedPartition('wire', 1)!;
    p.leaderId = tb.broker.nodeId + 1;
    const c = await RawClient.connect(tb.port);
    try {
      const produced = await c.send(0, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'wire', partitionData: [{ index: 0, records: batch('a') }, { index: 1, records: batch('b') }] }],
      });
      expect(produced.responses[0].partitionResponses.map((r: { errorCode: number }) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
      const fetched = await c.send(1, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic: 'wire', partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 })) }],
      });
      const [f0, f1] = fetched.responses[0].partitions;
      expect(f0.errorCode).toBe(ErrorCode.NONE);
      expect(f0.records.length).toBeGreaterThan(0);
      expect(f1.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(f1.currentLeader).toMatchObject({ leaderId: tb.broker.nodeId + 1, leaderEpoch: p.leaderEpoch });
      const listed = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'wire', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      expect(listed.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      c.close();
      p.leaderId = tb.broker.nodeId;
    }
  });

  it('KIP-951 on the wire: Produce v10 names the leader of a partition led elsewhere; Fetch v16 FENCED_LEADER_EPOCH names the leader and carries its endpoint', async () => {
    await tb.broker.createTopic('hints', 2, 1, {});
    const elsewhere = pm.hostedPartition('hints', 1)!;
    const here = pm.hostedPartition('hints', 0)!;
    const epochBefore = here.leaderEpoch;
    const topicId = tb.broker.topics.get('hints')!.id;
    elsewhere.leaderId = tb.broker.nodeId + 1;
    const c = await RawClient.connect(tb.port);
    try {
      const produced = await c.send(0, 10, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 'hints', partitionData: [{ index: 0, records: batch('a') }, { index: 1, records: batch('b') }] }],
      });
      const [p0, p1] = produced.responses[0].partitionResponses;
      expect(p0.errorCode).toBe(ErrorCode.NONE);
      expect(p0.currentLeader).toBeUndefined();
      expect(p1.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(p1.currentLeader).toEqual({ leaderId: tb.broker.nodeId + 1, leaderEpoch: elsewhere.leaderEpoch });

      here.leaderEpoch = epochBefore + 5; // a newer epoch than the fetcher knows: it is fenced
      const fetched = await c.send(1, 16, {
        replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic: '', topicId, partitions: [{ partition: 0, currentLeaderEpoch: epochBefore + 4, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      const f0 = fetched.responses[0].partitions[0];
      expect(f0.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
      expect(f0.currentLeader).toEqual({ leaderId: tb.broker.nodeId, leaderEpoch: here.leaderEpoch });
      expect(fetched.nodeEndpoints).toEqual([expect.objectContaining({ nodeId: tb.broker.nodeId, port: tb.port })]);
    } finally {
      c.close();
      elsewhere.leaderId = tb.broker.nodeId;
      here.leaderEpoch = epochBefore;
    }
  });
});

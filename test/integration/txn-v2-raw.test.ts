// Transactions v2 (KIP-890 part 2) over TCP with exact versions (raw client): Produce v12 adds
// its partition to the transaction itself, TxnOffsetCommit v5 adds the group's offsets partition,
// EndTxn v5 bumps the epoch and fences the old one; Produce v13 / TxnOffsetCommit v6 address
// topics by id. Old clients (AddPartitionsToTxn, Produce v11, EndTxn v4) keep their semantics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAg';
let tb: TestBroker;
let c: RawClient;
let topicId: string;

beforeAll(async () => {
  tb = await startTestBroker({ 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' });
  await tb.broker.createTopic('tv2', 3, 1, {});
  topicId = tb.broker.topics.get('tv2')!.id;
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

async function initProducer(transactionalId: string): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await c.send(22, 5, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

function batch(producerId: number, producerEpoch: number, baseSequence: number, value: string): Buffer {
  return buildRecordBatch({ producerId, producerEpoch, baseSequence, transactional: true, records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });
}

async function produce(version: number, transactionalId: string | null, partition: number, records: Buffer): Promise<any> {
  const topic = version >= 13 ? { topicId } : { name: 'tv2' };
  const r = await c.send(0, version, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ ...topic, partitionData: [{ index: partition, records }] }] });
  return r.responses[0].partitionResponses[0];
}

function endTxn(version: number, transactionalId: string, p: { producerId: number; producerEpoch: number }, committed: boolean): Promise<any> {
  return c.send(26, version, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });
}

/** read_committed fetch of one partition from offset 0: the values visible and the aborted list. */
async function readCommitted(partition: number): Promise<{ lso: number; aborted: number[]; batches: number }> {
  const r = await c.send(1, 13, {
    maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = r.responses[0].partitions[0];
  expect(p.errorCode).toBe(ErrorCode.NONE);
  return { lso: Number(p.lastStableOffset), aborted: (p.abortedTransactions ?? []).map((a: any) => Number(a.producerId)), batches: scanBatches(p.records ?? Buffer.alloc(0)).batches.length };
}

describe('transactions v2: Produce v12 + EndTxn v5', () => {
  it('Produce v12 adds the partition (no AddPartitionsToTxn); v11 without it is TRANSACTION_ABORTABLE', async () => {
    const p = await initProducer('tv2-add');
    const v11 = await produce(11, 'tv2-add', 1, batch(p.producerId, p.producerEpoch, 0, 'old'));
    expect(v11.errorCode).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    const v12 = await produce(12, 'tv2-add', 0, batch(p.producerId, p.producerEpoch, 0, 'new'));
    expect(v12.errorCode).toBe(ErrorCode.NONE);
    const d = await c.send(65, 0, { transactionalIds: ['tv2-add'] });
    expect(d.transactionStates[0]).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic: 'tv2', partitions: [0] }] });
    expect((await endTxn(5, 'tv2-add', p, false)).errorCode).toBe(ErrorCode.NONE);
  });

  it('pipelined Produce v12 requests to a partition being added both succeed, in order', async () => {
    const p = await initProducer('tv2-pipelined');
    // Both frames in one write, so the broker starts the second before the first's add is written.
    const body = (seq: number, v: string) => ({ transactionalId: 'tv2-pipelined', acks: -1, timeoutMs: 5000, topicData: [{ name: 'tv2', partitionData: [{ index: 1, records: batch(p.producerId, p.producerEpoch, seq, v) }] }] });
    const f1 = c.encode(0, 12, body(0, 'first'));
    const f2 = c.encode(0, 12, body(1, 'second'));
    const answers = Promise.all([c.expect(f1.correlationId, 0, 12), c.expect(f2.correlationId, 0, 12)]);
    c.writeRaw(Buffer.concat([f1.frame, f2.frame]));
    const [a, b] = (await answers).map((r: any) => r.responses[0].partitionResponses[0]);
    expect([a.errorCode, b.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(Number(b.baseOffset)).toBe(Number(a.baseOffset) + 1);
    expect((await endTxn(5, 'tv2-pipelined', p, false)).errorCode).toBe(ErrorCode.NONE);
  });

  it('abort hides the data from read_committed; EndTxn v5 bumps the epoch; the old epoch is fenced', async () => {
    const p = await initProducer('tv2-abort');
    const part = 2;
    expect((await produce(12, 'tv2-abort', part, batch(p.producerId, p.producerEpoch, 0, 'gone'))).errorCode).toBe(ErrorCode.NONE);
    const before = await readCommitted(part);
    expect(before.batches).toBe(0); // open transaction: nothing stable yet
    const end = await endTxn(5, 'tv2-abort', p, false);
    expect(end).toMatchObject({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    const after = await readCommitted(part);
    expect(after.lso).toBe(2); // the data batch and the ABORT marker
    expect(after.aborted).toEqual([p.producerId]);

    // Next transaction on the bumped epoch: a commit becomes visible.
    const next = { producerId: end.producerId, producerEpoch: end.producerEpoch };
    expect((await produce(12, 'tv2-abort', part, batch(next.producerId, next.producerEpoch, 0, 'kept'))).errorCode).toBe(ErrorCode.NONE);
    const end2 = await endTxn(5, 'tv2-abort', next, true);
    expect(end2).toMatchObject({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 2 });
    const committed = await readCommitted(part);
    expect(committed.lso).toBe(4);
    expect(committed.aborted).toEqual([p.producerId]); // only the first transaction's range

    // A zombie on the first epoch: fenced by the partition (markers carry newer epochs) and by
    // the coordinator for a partition it never wrote to.
    expect((await produce(12, 'tv2-abort', part, batch(p.producerId, p.producerEpoch, 1, 'zombie'))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await produce(12, 'tv2-abort', 1, batch(p.producerId, p.producerEpoch, 0, 'zombie'))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await endTxn(5, 'tv2-abort', p, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('TxnOffsetCommit v5 adds the group offsets partition itself; the offset is committed with the transaction', async () => {
    const p = await initProducer('tv2-offsets');
    expect((await produce(12, 'tv2-offsets', 0, batch(p.producerId, p.producerEpoch, 0, 'x'))).errorCode).toBe(ErrorCode.NONE);
    const commitOffsets = (version: number, topics: any[]) =>
      c.send(28, version, { transactionalId: 'tv2-offsets', groupId: 'tv2-group', producerId: p.producerId, producerEpoch: p.producerEpoch, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics });
    const v5 = await commitOffsets(5, [{ name: 'tv2', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: 'm' }] }]);
    expect(v5.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    // v6 by topic id; an unknown id is UNKNOWN_TOPIC_ID.
    const v6 = await commitOffsets(6, [
      { topicId, partitions: [{ partitionIndex: 1, committedOffset: 9, committedLeaderEpoch: -1, committedMetadata: null }] },
      { topicId: UNKNOWN_ID, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
    ]);
    expect(v6.topics.map((t: any) => [t.topicId, t.partitions[0].errorCode])).toEqual([[topicId, ErrorCode.NONE], [UNKNOWN_ID, ErrorCode.UNKNOWN_TOPIC_ID]]);
    const d = await c.send(65, 0, { transactionalIds: ['tv2-offsets'] });
    expect(d.transactionStates[0].topics.map((t: any) => t.topic).sort()).toEqual(['__consumer_offsets', 'tv2']);
    expect((await endTxn(5, 'tv2-offsets', p, true)).errorCode).toBe(ErrorCode.NONE);
    const f = await c.send(9, 8, { requireStable: true, groups: [{ groupId: 'tv2-group', topics: [{ name: 'tv2', partitionIndexes: [0, 1] }] }] });
    expect(f.groups[0].topics[0].partitions.map((x: any) => [x.partitionIndex, Number(x.committedOffset)])).toEqual([[0, 7], [1, 9]]);
  });

  it('TxnOffsetCommit v6 for a KIP-848 consumer group: checked against the member epoch, applied on commit', async () => {
    const hb = await c.send(68, 0, {
      groupId: 'tv2-848', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['tv2'], serverAssignor: null, topicPartitions: [],
    });
    expect(hb.errorCode).toBe(ErrorCode.NONE);
    const p = await initProducer('tv2-848-txn');
    const commitOffsets = (memberEpoch: number, offset: number) =>
      c.send(28, 6, {
        transactionalId: 'tv2-848-txn', groupId: 'tv2-848', producerId: p.producerId, producerEpoch: p.producerEpoch,
        generationIdOrMemberEpoch: memberEpoch, memberId: hb.memberId, groupInstanceId: null,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commitOffsets(hb.memberEpoch + 5, 3)).topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION); // Kafka maps a stale member epoch to ILLEGAL_GENERATION on TxnOffsetCommit
    expect((await commitOffsets(hb.memberEpoch, 11)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await endTxn(5, 'tv2-848-txn', p, true)).errorCode).toBe(ErrorCode.NONE);
    const f = await c.send(9, 10, { requireStable: true, groups: [{ groupId: 'tv2-848', memberId: hb.memberId, memberEpoch: hb.memberEpoch, topics: [{ topicId, partitionIndexes: [0] }] }] });
    expect(f.groups[0].topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.NONE });
    expect(Number(f.groups[0].topics[0].partitions[0].committedOffset)).toBe(11);
    // No classic group was made up under the consumer group's id.
    expect(tb.broker.groupCoordinator!.core.groups.has('tv2-848')).toBe(false);
  });

  it('classic clients are unaffected: AddPartitionsToTxn, Produce v11, EndTxn v4 keep the epoch', async () => {
    const p = await initProducer('tv1-client');
    const add = await c.send(24, 3, { v3AndBelowTransactionalId: 'tv1-client', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'tv2', partitions: [1] }] });
    expect(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.NONE);
    expect((await produce(11, 'tv1-client', 1, batch(p.producerId, p.producerEpoch, 0, 'a'))).errorCode).toBe(ErrorCode.NONE);
    expect(await endTxn(4, 'tv1-client', p, true)).toMatchObject({ errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 });
    const add2 = await c.send(24, 3, { v3AndBelowTransactionalId: 'tv1-client', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'tv2', partitions: [1] }] });
    expect(add2.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.NONE);
    expect((await produce(11, 'tv1-client', 1, batch(p.producerId, p.producerEpoch, 1, 'b'))).errorCode).toBe(ErrorCode.NONE);
    expect((await endTxn(4, 'tv1-client', p, false)).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('Produce v13: topics by id (KIP-516)', () => {
  it('answers with the topic id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('by-id'), timestamp: Date.now() }] });
    const r = await c.send(0, 13, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ topicId, partitionData: [{ index: 1, records }] }, { topicId: UNKNOWN_ID, partitionData: [{ index: 0, records }] }],
    });
    expect(r.responses.map((t: any) => [t.topicId, t.partitionResponses[0].errorCode])).toEqual([[topicId, ErrorCode.NONE], [UNKNOWN_ID, ErrorCode.UNKNOWN_TOPIC_ID]]);
    expect(Number(r.responses[0].partitionResponses[0].baseOffset)).toBeGreaterThanOrEqual(0);
  });
});

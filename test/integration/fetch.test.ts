// Fetch semantics at the protocol level: long polling, byte budgets (at least one whole batch),
// offsets out of range, unknown topic ids, read_committed bounds and KIP-227 sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker();
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

async function createTopic(name: string, partitions = 1): Promise<string> {
  const r = await c.send(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0].topicId;
}

async function produce(topic: string, partition: number, values: string[]): Promise<number> {
  const records = buildRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) });
  const r = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const p = r.responses[0].partitionResponses[0];
  expect(p.errorCode).toBe(0);
  return p.baseOffset;
}

function fetchBody(topicId: string, parts: { partition: number; fetchOffset: number; partitionMaxBytes?: number }[], extra: Record<string, unknown> = {}) {
  return {
    maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: parts.length ? [{ topicId, partitions: parts.map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }] : [],
    forgottenTopicsData: [], rackId: '',
    ...extra,
  };
}

describe('long polling', () => {
  it('waits for an append and returns it', async () => {
    const id = await createTopic('fx-poll');
    const pending = c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 20_000, minBytes: 1 }));
    // Produce on a second connection (the first is busy with the parked fetch, answers are in order).
    const other = await RawClient.connect(tb.port);
    await new Promise((r) => setTimeout(r, 100));
    const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('wake'), timestamp: Date.now() }] });
    await other.send(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'fx-poll', partitionData: [{ index: 0, records }] }] });
    other.close();
    const r = await pending;
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(1);
    expect(scanBatches(p.records).batches).toHaveLength(1);
  });

  it('returns empty after max.wait.ms when nothing arrives', async () => {
    const id = await createTopic('fx-idle');
    const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 200, minBytes: 1 }));
    expect(r.responses[0].partitions[0].errorCode).toBe(0);
    expect(r.responses[0].partitions[0].records.length).toBe(0);
  });
});

describe('long polling without a watch', () => {
  it('registers no append watch when the first read already has min.bytes, one when it must wait', async () => {
    const id = await createTopic('fx-nowatch');
    await produce('fx-nowatch', 0, ['a', 'b']);
    const waiters = tb.broker.waiters;
    const before = waiters.watchesOpened;
    for (let i = 0; i < 3; i++) {
      const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 20_000, minBytes: 1 }));
      expect(scanBatches(r.responses[0].partitions[0].records).batches).toHaveLength(1);
    }
    // A consumer catching up (every fetch answered from data) costs no watch per fetch.
    expect(waiters.watchesOpened).toBe(before);
    // At the log end the fetch waits (one watch) and returns after max.wait.ms, empty.
    const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 2 }], { maxWaitMs: 50, minBytes: 1 }));
    expect(r.responses[0].partitions[0].records.length).toBe(0);
    expect(waiters.watchesOpened).toBe(before + 1);
  });
});

describe('byte budgets', () => {
  it('returns at least one whole batch, then respects partition and request max bytes', async () => {
    const id = await createTopic('fx-bytes');
    for (let i = 0; i < 3; i++) await produce('fx-bytes', 0, [`${i}`.repeat(10_000)]);
    const count = async (body: object) => {
      const r = await c.send(1, 13, body);
      return scanBatches(r.responses[0].partitions[0].records).batches.length;
    };
    expect(await count(fetchBody(id, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 }]))).toBe(1);
    expect(await count(fetchBody(id, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 25_000 }]))).toBe(2);
    expect(await count(fetchBody(id, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }], { maxBytes: 15_000 }))).toBe(1);
    expect(await count(fetchBody(id, [{ partition: 0, fetchOffset: 1 }]))).toBe(2);
  });

  it('gives later partitions nothing once the request budget is spent, but reports their watermarks', async () => {
    const id = await createTopic('fx-two', 2);
    await produce('fx-two', 0, ['a'.repeat(20_000)]);
    await produce('fx-two', 1, ['b'.repeat(20_000)]);
    const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }], { maxBytes: 100 }));
    const [p0, p1] = r.responses[0].partitions;
    expect(p0.records.length).toBeGreaterThan(20_000);
    expect(p1.records.length).toBe(0);
    expect(p1.highWatermark).toBe(1);
  });
});

describe('errors', () => {
  it('answers OFFSET_OUT_OF_RANGE past the log end and below the log start', async () => {
    const id = await createTopic('fx-range');
    await produce('fx-range', 0, ['x']);
    const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 5 }]));
    expect(r.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const r2 = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: -3 }]));
    expect(r2.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const atEnd = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 1 }]));
    expect(atEnd.responses[0].partitions[0].errorCode).toBe(0);
  });

  it('answers UNKNOWN_TOPIC_ID for an unknown id and UNKNOWN_TOPIC_OR_PARTITION by name', async () => {
    const r = await c.send(1, 13, fetchBody('AAAAAAAAAAAAAAAAAAAAAQ', [{ partition: 0, fetchOffset: 0 }]));
    expect(r.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    const byName = await c.send(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'fx-missing', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    expect(byName.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('fences a stale leader epoch and flags a future one', async () => {
    const id = await createTopic('fx-epoch');
    const body = (epoch: number) => {
      const b = fetchBody(id, [{ partition: 0, fetchOffset: 0 }]);
      (b.topics[0] as any).partitions[0].currentLeaderEpoch = epoch;
      return b;
    };
    expect((await c.send(1, 13, body(5))).responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await c.send(1, 13, body(0))).responses[0].partitions[0].errorCode).toBe(0);
  });
});

describe('isolation', () => {
  it('read_committed is bounded by the LSO and carries an aborted-transactions list', async () => {
    const id = await createTopic('fx-iso');
    await produce('fx-iso', 0, ['a', 'b']);
    const rc = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { isolationLevel: 1 }));
    const p = rc.responses[0].partitions[0];
    expect(p.lastStableOffset).toBe(2);
    expect(p.highWatermark).toBe(2);
    expect(p.abortedTransactions).toEqual([]);
    const ru = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }]));
    expect(ru.responses[0].partitions[0].abortedTransactions).toBeNull();
  });
});

describe('fetch sessions (KIP-227)', () => {
  it('creates a session, sends only changes incrementally, forgets partitions and validates epochs', async () => {
    const id = await createTopic('fx-session', 3);
    for (let p = 0; p < 3; p++) await produce('fx-session', p, [`p${p}`]);
    const full = await c.send(1, 13, fetchBody(id, [0, 1, 2].map((p) => ({ partition: p, fetchOffset: 0 })), { sessionId: 0, sessionEpoch: 0 }));
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses[0].partitions).toHaveLength(3);
    const sid = full.sessionId;

    // Epoch 1: the client advances its positions past what it received; nothing is new anywhere.
    const inc1 = await c.send(1, 13, fetchBody(id, [0, 1, 2].map((p) => ({ partition: p, fetchOffset: 1 })), { sessionId: sid, sessionEpoch: 1 }));
    expect(inc1.errorCode).toBe(0);
    expect(inc1.sessionId).toBe(sid);
    expect(inc1.responses).toEqual([]);

    // New data on partition 2 only: the incremental response carries exactly that partition.
    await produce('fx-session', 2, ['more']);
    const inc2 = await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 2 }));
    // The client then moves partition 2 past the new record (incremental requests carry changes only).
    expect(inc2.responses).toHaveLength(1);
    expect(inc2.responses[0].partitions.map((p: any) => p.partitionIndex)).toEqual([2]);
    expect(inc2.responses[0].partitions[0].highWatermark).toBe(2);

    // Wrong epoch and unknown session.
    expect((await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 7 }))).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect((await c.send(1, 13, fetchBody(id, [], { sessionId: 987654, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    // Forget partition 2, then data there no longer shows up.
    const inc3 = await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 3, forgottenTopicsData: [{ topicId: id, partitions: [2] }] }));
    expect(inc3.errorCode).toBe(0);
    expect(inc3.responses).toEqual([]);
    await produce('fx-session', 2, ['ignored']);
    await produce('fx-session', 1, ['seen']);
    const inc4 = await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 4 }));
    expect(inc4.responses[0].partitions.map((p: any) => p.partitionIndex)).toEqual([1]);

    // Closing the session (epoch -1) makes its id unknown.
    const closed = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { sessionId: sid, sessionEpoch: -1 }));
    expect(closed.sessionId).toBe(0);
    expect((await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 5 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  // Issue 11: a Streams consumer was told a valid position was OUT OF RANGE. A session built by
  // topic id (v13+) and continued by name (v12) held the partition twice; the stale id-keyed copy
  // kept its old position and failed once DeleteRecords moved the log start past it.
  it('refuses to switch a session between topic ids and names (FETCH_SESSION_TOPIC_ID_ERROR)', async () => {
    const topic = 'fx-session-ids';
    const id = await createTopic(topic);
    await produce(topic, 0, ['a', 'b', 'c', 'd']);
    const byName = (fetchOffset: number | null, extra: Record<string, unknown>) => ({
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
      topics: fetchOffset === null ? [] : [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [], rackId: '', ...extra,
    });

    const full = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { sessionId: 0, sessionEpoch: 0 }));
    expect(full.errorCode).toBe(0);
    const sid = full.sessionId;
    expect(sid).toBeGreaterThan(0);
    // The client consumed everything, then Streams-style purges up to its position.
    const trim = await c.send(21, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 4 }] }], timeoutMs: 5000 });
    expect(trim.topics[0].partitions[0].errorCode).toBe(0);

    // Continuing the id-keyed session by name: Kafka refuses; the session survives for the right kind.
    const switched = await c.send(1, 12, byName(4, { sessionId: sid, sessionEpoch: 1 }));
    expect(switched.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    expect(switched.responses).toEqual([]);
    const sameKind = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 4 }], { sessionId: sid, sessionEpoch: 1 }));
    expect(sameKind.errorCode).toBe(0);
    expect(sameKind.responses.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))).toEqual([0]);

    // A full fetch by name with the old id replaces it with a name-keyed session, which an id-keyed
    // incremental may not continue either.
    const fullByName = await c.send(1, 12, byName(4, { sessionId: sid, sessionEpoch: 0 }));
    expect(fullByName.errorCode).toBe(0);
    const sid2 = fullByName.sessionId;
    expect(sid2).toBeGreaterThan(0);
    expect(sid2).not.toBe(sid);
    expect(fullByName.responses[0].partitions[0].errorCode).toBe(0);
    expect(fullByName.responses[0].partitions[0].logStartOffset).toBe(4);
    expect((await c.send(1, 13, fetchBody(id, [], { sessionId: sid2, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    const inc = await c.send(1, 12, byName(null, { sessionId: sid2, sessionEpoch: 1 }));
    expect(inc.errorCode).toBe(0);
    expect(inc.responses).toEqual([]);
    // The replaced session is gone.
    expect((await c.send(1, 13, fetchBody(id, [], { sessionId: sid, sessionEpoch: 2 }))).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('a full fetch (epoch 0) with an unknown session id starts a new session', async () => {
    const id = await createTopic('fx-session-stale');
    const r = await c.send(1, 13, fetchBody(id, [{ partition: 0, fetchOffset: 0 }], { sessionId: 424242, sessionEpoch: 0 }));
    expect(r.errorCode).toBe(0);
    expect(r.sessionId).toBeGreaterThan(0);
    expect(r.sessionId).not.toBe(424242);
    expect(r.responses[0].partitions[0].errorCode).toBe(0);
  });

  it('a session partition whose topic was deleted and recreated answers UNKNOWN_TOPIC_ID, not the new topic', async () => {
    const topic = 'fx-session-recreated';
    const oldId = await createTopic(topic);
    await produce(topic, 0, ['old']);
    const full = await c.send(1, 13, fetchBody(oldId, [{ partition: 0, fetchOffset: 1 }], { sessionId: 0, sessionEpoch: 0 }));
    expect(full.responses[0].partitions[0].errorCode).toBe(0);
    const del = await c.send(20, 6, { topics: [{ name: null, topicId: oldId }], topicNames: [], timeoutMs: 5000 });
    expect(del.responses[0].errorCode).toBe(0);
    const newId = await createTopic(topic);
    expect(newId).not.toBe(oldId);
    await produce(topic, 0, ['new']);
    const inc = await c.send(1, 13, fetchBody(oldId, [], { sessionId: full.sessionId, sessionEpoch: 1 }));
    expect(inc.errorCode).toBe(0);
    expect(inc.responses).toHaveLength(1);
    expect(inc.responses[0].topicId).toBe(oldId);
    expect(inc.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(inc.responses[0].partitions[0].records.length).toBe(0);
  });
});

// Transactions from AddPartitions to Complete*: the producer checks, EndTxn in every state, the
// markers written to each partition, verify-only, timeouts, id expiration, and recovery of
// __transaction_state (including Prepare* transactions whose markers must still be written).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue } from '../../../src/coordinator/txn/txn-records.js';
import { harness, until, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const both = [
  { topic: 't', partition: 0 },
  { topic: 't', partition: 1 },
];

async function begin(id = 'x', timeoutMs = 60_000) {
  const r = await h.tc.initProducerId(id, timeoutMs);
  expect(await h.tc.addPartitions(id, r.producerId, r.producerEpoch, both)).toBe(ErrorCode.NONE);
  return r;
}

describe('producer checks', () => {
  it('verify-only is not refused while another AddPartitionsToTxn of the producer is being written (Kafka: pending state unchecked)', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[0]!])).toBe(ErrorCode.NONE);
    let open!: () => void;
    h.txnLog.gate = new Promise<void>((res) => (open = res));
    // A client adding its partitions per broker, in parallel: the second add is in flight.
    const adding = h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[1]!]);
    try {
      // The leader of t-0 verifies meanwhile: t-0 is in the transaction, t-1 not yet.
      expect(h.tc.verifyPartitions('x', r.producerId, r.producerEpoch, both)).toEqual({ errorCode: ErrorCode.NONE, partitions: [ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE] });
      expect(h.tc.verifyForProduce('x', r.producerId, r.producerEpoch, 't', 0)).toBe(ErrorCode.NONE);
    } finally {
      h.txnLog.gate = null;
      open();
    }
    expect(await adding).toBe(ErrorCode.NONE);
    expect(h.tc.verifyForProduce('x', r.producerId, r.producerEpoch, 't', 1)).toBe(ErrorCode.NONE);
  });

  it('rejects unknown ids, other producer ids and stale epochs', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect(await h.tc.addPartitions('nope', r.producerId, 0, both)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await h.tc.addPartitions('x', r.producerId + 1, 0, both)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await h.tc.addPartitions('x', r.producerId, 5, both)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await h.tc.endTxn('x', r.producerId, 5, true)).toBe(ErrorCode.PRODUCER_FENCED);
  });
});

describe('EndTxn', () => {
  it('commits: PrepareCommit, a COMMIT marker in every partition, CompleteCommit', async () => {
    const r = await begin();
    expect(h.tc.core.txns.get('x')!.state).toBe('Ongoing');
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
    // Answered once the markers are written; Complete* follows (the next request waits for it).
    for (const p of [0, 1]) expect(await h.markers('t', p)).toEqual([{ committed: true, producerId: r.producerId, epoch: 0 }]);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
    // A retry of the commit is answered NONE; an abort now is invalid.
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts afresh.
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[0]!])).toBe(ErrorCode.NONE);
    expect(h.tc.describe(['x'])[0]!.topics).toEqual([{ topic: 't', partitions: [0] }]);
  });

  it('aborts with ABORT markers; committing without a transaction is INVALID_TXN_STATE', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect(await h.tc.endTxn('x', r.producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    await h.tc.addPartitions('x', r.producerId, 0, both);
    expect(await h.tc.endTxn('x', r.producerId, 0, false)).toBe(ErrorCode.NONE);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteAbort', 'CompleteAbort');
    expect(await h.markers('t', 1)).toEqual([{ committed: false, producerId: r.producerId, epoch: 0 }]);
    expect(await h.tc.endTxn('x', r.producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('skips partitions whose topic is gone and still completes', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    await h.tc.addPartitions('x', r.producerId, 0, [{ topic: 'deleted', partition: 0 }, both[0]!]);
    expect(await h.tc.endTxn('x', r.producerId, 0, true)).toBe(ErrorCode.NONE);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
  });

  it('lets the next transaction start while the previous Complete* is still being written', async () => {
    const r = await begin();
    let open!: () => void;
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
    // Hold the Complete* write if it has not happened yet; the next AddPartitions waits for it.
    h.txnLog.gate = new Promise<void>((res) => (open = res));
    const next = h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[0]!]);
    setTimeout(() => {
      h.txnLog.gate = null;
      open();
    }, 20);
    expect(await next).toBe(ErrorCode.NONE);
    expect(h.tc.core.txns.get('x')!.state).toBe('Ongoing');
  });
});

describe('bounded waits for markers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers EndTxn after about 5 s when a marker write stalls, and completes once it lands', async () => {
    const r = await begin();
    const parts = h.tc.core.opts.partitions as { appendMarker: (...a: never[]) => Promise<unknown> };
    const appendMarker = parts.appendMarker.bind(parts);
    let release!: () => void;
    const stalled = new Promise<void>((res) => (release = res));
    parts.appendMarker = async (...a: never[]) => {
      await stalled;
      return appendMarker(...a);
    };
    // A fresh wait bucket: the fake clock is an hour ahead of any bucket a real timer serves.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.now() + 3_600_000);
    try {
      let answered: number | null = null;
      const end = h.tc.endTxn('x', r.producerId, r.producerEpoch, true).then((c) => (answered = c));
      await vi.advanceTimersByTimeAsync(0);
      expect(h.tc.core.txns.get('x')!.state).toBe('PrepareCommit'); // written; the markers are stalled
      let nextAnswer: number | null = null;
      void h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[0]!]).then((c) => (nextAnswer = c));
      await vi.advanceTimersByTimeAsync(4_900);
      expect(answered).toBeNull(); // still waiting for the markers (the wait is at least 5 s)
      expect(nextAnswer).toBeNull(); // waits behind the completion too
      await vi.advanceTimersByTimeAsync(1_200);
      await end;
      expect(answered).toBe(ErrorCode.NONE);
      // The request that waited behind the completion gets the state it found: still preparing.
      expect(nextAnswer).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
      expect(h.tc.core.txns.get('x')!.state).toBe('PrepareCommit');
    } finally {
      vi.useRealTimers();
      release();
    }
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit once the markers land');
    expect((await h.markers('t', 0)).map((m) => m.committed)).toEqual([true]);
  });
});

describe('__transaction_state writes per transaction', () => {
  const states = () =>
    [...h.txnLog.records.values()].flat().map((r) => (r.value === null ? 'tombstone' : decodeTxnLogValue(r.value).state));

  it('lets the next AddPartitions carry Complete* instead of writing it separately', async () => {
    const r = await begin();
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [both[0]!])).toBe(ErrorCode.NONE);
    await new Promise((res) => setTimeout(res, 60));
    // Empty (init), Ongoing, PrepareCommit, Ongoing: no CompleteCommit record in between.
    expect(states()).toEqual(['Empty', 'Ongoing', 'PrepareCommit', 'Ongoing']);
  });

  it('writes Complete* on its own when no newer transition comes', async () => {
    const r = await begin();
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, false)).toBe(ErrorCode.NONE);
    expect(h.tc.core.txns.get('x')!.state).toBe('CompleteAbort');
    await until(() => states().at(-1) === 'CompleteAbort', 'the deferred CompleteAbort record');
    await h.restart();
    expect(h.tc.core.txns.get('x')!.state).toBe('CompleteAbort');
  });
});

describe('verify-only (KIP-890)', () => {
  it('reports per partition whether it is in the open transaction', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    await h.tc.addPartitions('x', r.producerId, 0, [both[0]!]);
    const v = h.tc.verifyPartitions('x', r.producerId, 0, both);
    expect(v).toEqual({ errorCode: ErrorCode.NONE, partitions: [ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE] });
    expect(h.tc.verifyPartitions('x', r.producerId, 3, both).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(h.tc.verifyForProduce(null, r.producerId, 0, 't', 0)).toBe(ErrorCode.NONE);
    expect(h.tc.verifyForProduce('x', r.producerId, 0, 't', 1)).toBe(ErrorCode.INVALID_TXN_STATE);
  });
});

describe('timeouts and expiration', () => {
  it('fences and aborts a transaction open longer than its timeout', async () => {
    const r = await begin('x', 5_000);
    h.clock.now += 4_000;
    expect(h.tc.abortTimedOut()).toBe(0);
    h.clock.now += 2_000;
    expect(h.tc.abortTimedOut()).toBe(1);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteAbort', 'the timeout abort');
    expect(h.tc.core.txns.get('x')!.producerEpoch).toBe(r.producerEpoch + 1);
    expect(await h.markers('t', 0)).toEqual([{ committed: false, producerId: r.producerId, epoch: r.producerEpoch + 1 }]);
    // The abandoned producer finds itself fenced.
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('removes transactional ids idle longer than transactional.id.expiration.ms', async () => {
    const r = await begin('x');
    await h.tc.endTxn('x', r.producerId, r.producerEpoch, true);
    await h.tc.initProducerId('busy', 60_000).then((b) => h.tc.addPartitions('busy', b.producerId, 0, [both[0]!]));
    h.clock.now += h.tc.core.config.transactionalIdExpirationMs + 1;
    expect(h.tc.removeExpired()).toBe(1); // 'busy' has an open transaction
    await until(() => !h.tc.core.txns.has('x'), 'the id to be removed');
    await h.restart();
    expect(h.tc.core.txns.has('x')).toBe(false);
    expect(h.tc.core.txns.has('busy')).toBe(true);
  });
});

describe('recovery', () => {
  it('reloads every id with its state, epoch, partitions and timestamps', async () => {
    const r = await begin('x');
    await h.restart();
    const md = h.tc.core.txns.get('x')!;
    expect(md.state).toBe('Ongoing');
    expect(md.producerId).toBe(r.producerId);
    expect(md.partitionList()).toEqual([{ topic: 't', partitions: [0, 1] }]);
    expect(md.startTimestamp).toBe(h.clock.now);
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
  });

  it('writes the markers of a transaction that was left in PrepareCommit', async () => {
    const r = await begin('x');
    const md = h.tc.core.txns.get('x')!;
    // Persist PrepareCommit without writing markers (a crash in between).
    expect(await h.tc.core.persist(md, md.prepareAbortOrCommit('PrepareCommit', h.clock.now))).toBe(ErrorCode.NONE);
    expect(await h.markers('t', 0)).toEqual([]);
    await h.restart();
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'the resumed commit');
    for (const p of [0, 1]) expect(await h.markers('t', p)).toEqual([{ committed: true, producerId: r.producerId, epoch: 0 }]);
  });

  it('keeps producer ids unique across a restart even without the producer-id file', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    const { rm } = await import('node:fs/promises');
    await rm(`${h.dir}/producer-ids.json`, { force: true });
    await h.restart();
    const next = await h.tc.initProducerId(null, 60_000);
    expect(next.producerId).toBeGreaterThan(r.producerId);
  });
});

describe('__transaction_state records', () => {
  it('round-trip in Kafka TransactionLogValue v0 format', () => {
    const v = {
      producerId: 12345678901,
      producerEpoch: 7,
      timeoutMs: 60_000,
      state: 'Ongoing' as const,
      partitions: [{ topic: 'orders', partitions: [0, 3] }],
      lastUpdateTimestamp: 1_700_000_000_001,
      startTimestamp: 1_700_000_000_000,
    };
    const bytes = encodeTxnLogValue(v);
    expect(bytes.readInt16BE(0)).toBe(0);
    expect(bytes.readInt8(2 + 8 + 2 + 4)).toBe(1); // Ongoing's status code
    expect(decodeTxnLogValue(bytes)).toEqual(v);
    expect(encodeTxnLogKey('x')).toEqual(Buffer.from([0, 0, 0, 1, 0x78]));
  });
});

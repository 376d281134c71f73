// Transaction version 2 (KIP-890 part 2) in the coordinator: EndTxn v5 bumps the epoch at every
// transaction end and the markers carry the bumped epoch; an exhausted epoch moves the producer to
// a new id at Complete*; retries are recognised by the epoch one behind; partitions added on the
// producer's behalf (Produce v12) mark the transaction TV2; __transaction_state keeps it (v1 record).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeTxnLogValue, encodeTxnLogValue } from '../../../src/coordinator/txn/txn-records.js';
import { harness, until, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const t0 = { topic: 't', partition: 0 };

describe('EndTxn v5 (transaction version 2)', () => {
  it('bumps the epoch at every end, writes markers with the bumped epoch and fences the old epoch', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [t0], 2)).toBe(ErrorCode.NONE);
    const end1 = await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, true);
    expect(end1).toEqual({ errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch + 1 });
    expect(await h.markers('t', 0)).toEqual([{ committed: true, producerId: r.producerId, epoch: r.producerEpoch + 1 }]);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
    // The answer was lost: the same EndTxn again (epoch one behind) gets the same answer.
    expect(await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, true)).toEqual(end1);
    // The next transaction runs on the new epoch; the old one is fenced once it is two behind.
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [t0], 2)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await h.tc.addPartitions('x', r.producerId, end1.producerEpoch, [t0], 2)).toBe(ErrorCode.NONE);
    const end2 = await h.tc.endTxnV2('x', r.producerId, end1.producerEpoch, false);
    expect(end2).toEqual({ errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch + 2 });
    expect((await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, false)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('aborts with nothing open (bumping the epoch); committing nothing is INVALID_TXN_STATE', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect((await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const a = await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, false);
    expect(a).toEqual({ errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch + 1 });
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteAbort', 'CompleteAbort');
  });

  it('moves to a new producer id at epoch 0 when the epoch is exhausted', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    const md = h.tc.core.txns.get('x')!;
    md.producerEpoch = 32766; // as after 32766 transactions
    expect(await h.tc.addPartitions('x', r.producerId, 32766, [t0], 2)).toBe(ErrorCode.NONE);
    const end = await h.tc.endTxnV2('x', r.producerId, 32766, true);
    expect(end.errorCode).toBe(ErrorCode.NONE);
    expect(end.producerId).not.toBe(r.producerId);
    expect(end.producerEpoch).toBe(0);
    // The markers carry the old id at the last epoch: every write of the old id is fenced.
    expect(await h.markers('t', 0)).toEqual([{ committed: true, producerId: r.producerId, epoch: 32767 }]);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
    expect(md.producerId).toBe(end.producerId);
    // A retry with the old id at its last visible epoch is answered with the new id again.
    expect(await h.tc.endTxnV2('x', r.producerId, 32766, true)).toEqual(end);
    expect(await h.tc.addPartitions('x', end.producerId, 0, [t0], 2)).toBe(ErrorCode.NONE);
  });

  it('a producer whose transaction timed out aborts with its old epoch and goes on with the bumped one', async () => {
    const r = await h.tc.initProducerId('x', 1_000);
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [t0], 2)).toBe(ErrorCode.NONE);
    h.clock.now += 2_000;
    expect(h.tc.abortTimedOut()).toBe(1);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteAbort', 'the timeout abort');
    expect(await h.markers('t', 0)).toEqual([{ committed: false, producerId: r.producerId, epoch: r.producerEpoch + 1 }]);
    // The producer learns of it on its EndTxn: an abort is answered with the epoch to use next ...
    expect((await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await h.tc.endTxnV2('x', r.producerId, r.producerEpoch, false)).toEqual({ errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch + 1 });
    // ... on which the next transaction runs.
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch + 1, [t0], 2)).toBe(ErrorCode.NONE);
  });

  it('a classic EndTxn (v4) keeps the epoch', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    expect(await h.tc.addPartitions('x', r.producerId, r.producerEpoch, [t0])).toBe(ErrorCode.NONE);
    expect(await h.tc.endTxn('x', r.producerId, r.producerEpoch, true)).toBe(ErrorCode.NONE);
    expect(await h.markers('t', 0)).toEqual([{ committed: true, producerId: r.producerId, epoch: r.producerEpoch }]);
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'CompleteCommit');
    expect(h.tc.core.txns.get('x')!.producerEpoch).toBe(r.producerEpoch);
  });
});

describe('__transaction_state for transaction version 2', () => {
  it('writes a v1 value with the client transaction version and next producer id, and reads it back', () => {
    const v = { producerId: 7, producerEpoch: 32767, timeoutMs: 1000, state: 'PrepareCommit' as const, partitions: [{ topic: 't', partitions: [0] }], lastUpdateTimestamp: 5, startTimestamp: 4, previousProducerId: 6, nextProducerId: 8, clientTransactionVersion: 2 };
    const buf = encodeTxnLogValue(v);
    expect(buf.readInt16BE(0)).toBe(1);
    expect(decodeTxnLogValue(buf)).toEqual(v);
    // Classic transactions keep the v0 value every reader knows.
    expect(encodeTxnLogValue({ ...v, clientTransactionVersion: 0, nextProducerId: -1 }).readInt16BE(0)).toBe(0);
  });

  it('lays the v1 value out as Kafka TransactionLogValue v1 (tags 0-2, defaults left out)', () => {
    const bytes = encodeTxnLogValue({ producerId: 7, producerEpoch: 1, timeoutMs: 1000, state: 'Ongoing', partitions: [{ topic: 't', partitions: [0] }], lastUpdateTimestamp: 5, startTimestamp: 4, previousProducerId: -1, nextProducerId: -1, clientTransactionVersion: 2 });
    const hex = (x: string) => Buffer.from(x.replace(/[\s|]/g, ''), 'hex');
    expect(bytes).toEqual(hex(
      '0001 | 0000000000000007 | 0001 | 000003e8 | 01 |' + // version 1, producer 7, epoch 1, timeout 1000, Ongoing
        '02 02 74 02 00000000 00 |' + // compact [{ topic "t", partitions [0] }] with its tag byte
        '0000000000000005 | 0000000000000004 |' + // last update, start
        '01 02 02 0002', // one tagged field: ClientTransactionVersion (tag 2) = 2
    ));
  });

  it('a PrepareCommit left by a crash is resumed with its TV2 epoch and id rotation', async () => {
    const r = await h.tc.initProducerId('x', 60_000);
    const md = h.tc.core.txns.get('x')!;
    md.producerEpoch = 32766;
    expect(await h.tc.addPartitions('x', r.producerId, 32766, [t0], 2)).toBe(ErrorCode.NONE);
    // Persist PrepareCommit without writing markers (a crash in between).
    expect(await h.tc.core.persist(md, md.prepareAbortOrCommit('PrepareCommit', h.clock.now, 2, 999_999))).toBe(ErrorCode.NONE);
    await h.restart();
    await until(() => h.tc.core.txns.get('x')!.state === 'CompleteCommit', 'the resumed commit');
    expect(await h.markers('t', 0)).toEqual([{ committed: true, producerId: r.producerId, epoch: 32767 }]);
    const after = h.tc.core.txns.get('x')!;
    expect([after.producerId, after.producerEpoch, after.clientTransactionVersion]).toEqual([999_999, 0, 2]);
  });
});

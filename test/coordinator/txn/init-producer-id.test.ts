// InitProducerId: producer-id blocks that survive restarts, epoch bumps that fence older
// producers, KIP-360 retries, epoch exhaustion, and fencing of an open transaction.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ErrorCode } from '../../../protocol/errors.js';
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from '../../../src/coordinator/txn/producer-ids.js';
import { harness, until, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('producer ids', () => {
  it('never repeats an id after a restart (blocks are reserved on disk first)', async () => {
    const path = join(h.dir, 'ids.json');
    const a = await ProducerIdManager.load(path);
    const first = [await a.generate(), await a.generate(), await a.generate()];
    expect(first).toEqual([0, 1, 2]);
    const b = await ProducerIdManager.load(path);
    const next = await b.generate();
    expect(next).toBeGreaterThanOrEqual(PRODUCER_ID_BLOCK_SIZE);
  });

  it('hands out a fresh id at epoch 0 to each idempotent producer', async () => {
    const a = await h.tc.initProducerId(null, 60_000);
    const b = await h.tc.initProducerId(null, 60_000);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(b.producerId).toBeGreaterThan(a.producerId);
  });
});

describe('InitProducerId with a transactional id', () => {
  it('validates the id and the timeout', async () => {
    expect((await h.tc.initProducerId('', 60_000)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await h.tc.initProducerId('t', 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await h.tc.initProducerId('t', 900_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('bumps the epoch on every init, fencing the previous producer', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    const b = await h.tc.initProducerId('t', 60_000);
    expect(b).toMatchObject({ errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: 1 });
    expect(await h.tc.addPartitions('t', a.producerId, 0, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await h.tc.addPartitions('t', b.producerId, 1, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.NONE);
  });

  it('KIP-360: bumps its own epoch, returns the same epoch to a retry, fences a stale one', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    const bumped = await h.tc.initProducerId('t', 60_000, a.producerId, a.producerEpoch);
    expect(bumped.producerEpoch).toBe(a.producerEpoch + 1);
    // The answer was lost; the producer retries with the epoch it still has.
    const retry = await h.tc.initProducerId('t', 60_000, a.producerId, a.producerEpoch);
    expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: bumped.producerEpoch });
    expect((await h.tc.initProducerId('t', 60_000, a.producerId, 77)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await h.tc.initProducerId('t', 60_000, a.producerId + 999, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('rotates to a new producer id when the epoch is exhausted', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    h.tc.core.txns.get('t')!.producerEpoch = 32766;
    const b = await h.tc.initProducerId('t', 60_000);
    expect(b.errorCode).toBe(ErrorCode.NONE);
    expect(b.producerId).not.toBe(a.producerId);
    expect(b.producerEpoch).toBe(0);
  });

  it('aborts an open transaction with a bumped epoch and asks the new producer to retry', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    expect(await h.tc.addPartitions('t', a.producerId, 0, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])).toBe(ErrorCode.NONE);
    const first = await h.tc.initProducerId('t', 60_000);
    expect(first.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    await until(() => h.tc.core.txns.get('t')!.state === 'CompleteAbort', 'the fencing abort');
    // Markers carry the fencing epoch, so late writes of epoch 0 are rejected by the partitions.
    expect(await h.markers('t', 0)).toEqual([{ committed: false, producerId: a.producerId, epoch: 1 }]);
    const second = await h.tc.initProducerId('t', 60_000);
    expect(second).toMatchObject({ errorCode: ErrorCode.NONE, producerId: a.producerId, producerEpoch: 2 });
  });

  it('answers CONCURRENT_TRANSACTIONS while a write for the id is in flight', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    let open!: () => void;
    h.txnLog.gate = new Promise<void>((r) => (open = r));
    const adding = h.tc.addPartitions('t', a.producerId, 0, [{ topic: 't', partition: 0 }]);
    await new Promise((r) => setTimeout(r, 5));
    expect((await h.tc.initProducerId('t', 60_000)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await h.tc.endTxn('t', a.producerId, 0, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    h.txnLog.gate = null;
    open();
    expect(await adding).toBe(ErrorCode.NONE);
  });

  it('leaves the id unchanged when the state write fails', async () => {
    const a = await h.tc.initProducerId('t', 60_000);
    h.txnLog.failNext = 1;
    expect(await h.tc.addPartitions('t', a.producerId, 0, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.NOT_COORDINATOR);
    const md = h.tc.core.txns.get('t')!;
    expect(md.state).toBe('Empty');
    expect(md.pending).toBe(false);
    expect(await h.tc.addPartitions('t', a.producerId, 0, [{ topic: 't', partition: 0 }])).toBe(ErrorCode.NONE);
  });
});

// What the in-process transaction benches share (txn-ab.ts, txn-calls.ts): a broker from a given
// checkout's src/ started in this process on a temp dir, with its Produce / InitProducerId /
// AddPartitionsToTxn / EndTxn handlers to call directly (no network, no client), and the request
// batches they send — 100 × 1 KiB records, transactional ones patched per producer, epoch and
// sequence from one template (the same bytes whichever checkout's builder made them).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { OFF_BASE_SEQUENCE, OFF_CRC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, writeInt64 } from '../../protocol/records/batch-header.js';

const value = Buffer.alloc(1024, 7);
const records = Array.from({ length: 100 }, () => ({ key: null, value }));
const template = buildRecordBatch({ producerId: 0, producerEpoch: 0, baseSequence: 0, transactional: true, records });

/** A fresh transactional batch of the 100 records for this producer, epoch and base sequence. */
export function txnBatch(pid: number, epoch: number, seq: number): Buffer {
  const b = Buffer.from(template);
  writeInt64(b, OFF_PRODUCER_ID, pid);
  b.writeInt16BE(epoch, OFF_PRODUCER_EPOCH);
  b.writeInt32BE(seq, OFF_BASE_SEQUENCE);
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, OFF_CRC);
  return b;
}

/** The same 100 records without a producer id (a plain Produce); copy it per request. */
export const plainBatch = buildRecordBatch({ records });

/** A request context of this API version, all a handler reads of it here. */
export const ctx = (v: number) => ({ header: { apiVersion: v } }) as never;

/** A broker of the checkout whose src/ is `srcRoot`, topic 'ab' with `partitions` partitions, and its transaction handlers. */
export async function startHandlerBroker(srcRoot: string, dirPrefix: string, partitions: number) {
  const { startBroker } = await import(`${srcRoot}/broker.ts`);
  const { loadBrokerConfig } = await import(`${srcRoot}/config/broker-config.ts`);
  const { createLogger } = await import(`${srcRoot}/logging/logger.ts`);
  const { produceHandler } = await import(`${srcRoot}/handlers/produce.ts`);
  const { initProducerIdHandler } = await import(`${srcRoot}/handlers/init-producer-id.ts`);
  const { addPartitionsToTxnHandler } = await import(`${srcRoot}/handlers/add-partitions-to-txn.ts`);
  const { endTxnHandler } = await import(`${srcRoot}/handlers/end-txn.ts`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), dirPrefix));
  const config = loadBrokerConfig({
    overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'tributary.metrics.port=-1', 'transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4'],
    env: {},
  });
  const started = await startBroker(config, createLogger({ level: 'silent' }));
  await started.broker.createTopic('ab', partitions, 1, {});
  const b = started.broker;
  const h = { produce: produceHandler(b), init: initProducerIdHandler(b), add: addPartitionsToTxnHandler(b), end: endTxnHandler(b) };
  return {
    h,
    /** InitProducerId for `txnId`: the producer to use with txnBatch, writing to `partition`. */
    async producer(txnId: string, partition: number) {
      const r: any = await h.init.handle(ctx(4), { transactionalId: txnId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
      if (r.errorCode !== 0) throw new Error(`InitProducerId ${r.errorCode}`);
      return { txnId, pid: r.producerId as number, epoch: r.producerEpoch as number, seq: 0, partition };
    },
    async close() {
      await started.stop?.();
      await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

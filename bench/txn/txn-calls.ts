// `npx tsx bench/txn/txn-calls.ts <checkout>/src [iterations=15000] [all|txn|noprod|plain]`: one producer's
// transaction handlers called in a loop in-process, one call at a time, with the process CPU of
// each call (deferred work included where it runs) and of the whole loop (first 200 iterations are
// warm-up). Modes: all = AddPartitionsToTxn, a 100 x 1 KiB transactional Produce, EndTxn(commit),
// then a plain Produce of the same records; txn = without the plain one; noprod = AddPartitionsToTxn
// and EndTxn only (the coordinator's own cost, no 100 KB buffers whose GC lands on whichever call
// comes next); plain = plain Produce only. The Produce figures include building the request's
// batch (a 100 KB copy, plus its CRC for the transactional one). PROF=1 skips the per-call
// measurement (for `node --cpu-prof --import tsx bench/txn/txn-calls.ts ...`). Alternate
// checkouts run by run for an A/B (issue 14, bench/txn/README.md).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
const ROOT = process.argv[2]!;
const N = Number(process.argv[3] ?? 15000);
const MODE = process.argv[4] ?? 'all';
const { buildRecordBatch } = await import(`${ROOT}/../protocol/records/batch-builder.ts`);
const { OFF_BASE_SEQUENCE, OFF_CRC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, writeInt64 } = await import(`${ROOT}/../protocol/records/batch-header.ts`);
const { crc32c } = await import('@node-rs/crc32');
const value = Buffer.alloc(1024, 7);
const template = buildRecordBatch({ producerId: 0, producerEpoch: 0, baseSequence: 0, transactional: true, records: Array.from({ length: 100 }, () => ({ key: null, value })) });
function batch(pid: number, epoch: number, seq: number): Buffer {
  const b = Buffer.from(template);
  writeInt64(b, OFF_PRODUCER_ID, pid);
  b.writeInt16BE(epoch, OFF_PRODUCER_EPOCH);
  b.writeInt32BE(seq, OFF_BASE_SEQUENCE);
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, OFF_CRC);
  return b;
}
const ctx = (v: number) => ({ header: { apiVersion: v } }) as never;
const { startBroker } = await import(`${ROOT}/broker.ts`);
const { loadBrokerConfig } = await import(`${ROOT}/config/broker-config.ts`);
const { createLogger } = await import(`${ROOT}/logging/logger.ts`);
const { produceHandler } = await import(`${ROOT}/handlers/produce.ts`);
const { initProducerIdHandler } = await import(`${ROOT}/handlers/init-producer-id.ts`);
const { addPartitionsToTxnHandler } = await import(`${ROOT}/handlers/add-partitions-to-txn.ts`);
const { endTxnHandler } = await import(`${ROOT}/handlers/end-txn.ts`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'txn-calls-'));
const config = loadBrokerConfig({ overrides: [`log.dirs=${dir}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'tributary.metrics.port=-1', 'transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4'], env: {} });
const started = await startBroker(config, createLogger({ level: 'silent' }));
await started.broker.createTopic('ab', 4, 1, {});
const b = started.broker;
const h = { produce: produceHandler(b), init: initProducerIdHandler(b), add: addPartitionsToTxnHandler(b), end: endTxnHandler(b) };
const r: any = await h.init.handle(ctx(4), { transactionalId: 'x', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
const p = { txnId: 'x', pid: r.producerId, epoch: r.producerEpoch, seq: 0, partition: 0 };
const plain = buildRecordBatch({ records: Array.from({ length: 100 }, () => ({ key: null, value })) });
let T0 = process.cpuUsage();
const sum = { add: 0, produce: 0, end: 0, plain: 0 };
const PROF = process.env.PROF === '1';
async function cpuOf(k: keyof typeof sum, fn: () => Promise<unknown>): Promise<void> {
  if (PROF) return void (await fn());
  const c0 = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(c0);
  sum[k] += d.user + d.system;
}
const WARM_UP = 200;
for (let i = 0; i < N; i++) {
  if (i === WARM_UP) {
    T0 = process.cpuUsage();
    sum.add = sum.produce = sum.end = sum.plain = 0;
  }
  if (MODE !== 'plain') {
    await cpuOf('add', () => h.add.handle(ctx(3), { transactions: [], v3AndBelowTransactionalId: p.txnId, v3AndBelowProducerId: p.pid, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: 'ab', partitions: [p.partition] }] }));
    if (MODE !== 'noprod') {
      await cpuOf('produce', () => h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: p.txnId, topicData: [{ name: 'ab', partitionData: [{ index: p.partition, records: batch(p.pid, p.epoch, p.seq) }] }] }));
      p.seq += 100;
    }
    await cpuOf('end', () => h.end.handle(ctx(3), { transactionalId: p.txnId, producerId: p.pid, producerEpoch: p.epoch, committed: true }));
  }
  if (MODE === 'all' || MODE === 'plain') await cpuOf('plain', () => h.produce.handle(ctx(9), { acks: -1, timeoutMs: 30000, transactionalId: null, topicData: [{ name: 'ab', partitionData: [{ index: 1, records: Buffer.from(plain) }] }] }));
}
const n = N - WARM_UP;
const total = process.cpuUsage(T0);
console.log(`${n} iterations (${MODE}), load average ${os.loadavg()[0]!.toFixed(2)}: process CPU µs per iteration ${((total.user + total.system) / n).toFixed(1)}; per call ${Object.entries(sum).map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ')}`);
await started.stop?.();
await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
process.exit(0);

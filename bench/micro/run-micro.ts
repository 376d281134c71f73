// Micro-benchmarks of the functions on the produce and fetch hot paths (`npm run bench -- --micro`).
// Plain loops timed with process.hrtime.bigint(): each case runs a warmup, then batches of
// iterations until at least MIN_MS have passed; the best of ROUNDS rounds is reported (the
// machine is a noisy 2-core VM, and the minimum is the least noisy estimator of the cost).
import { crc32c } from '@node-rs/crc32';
import { createRequire } from 'node:module';
import { decodeFetchResponse, encodeFetchResponse, type FetchResponse } from '../../protocol/generated/fetch.js';
import { decodeProduceRequest } from '../../protocol/generated/produce.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { validateProduceRecords } from '../../protocol/records/validate.js';
import { BATCH_HEADER_SIZE, Compression, readBatchHeader } from '../../protocol/records/batch-header.js';
import { inspectBatchRecords } from '../../protocol/records/batch-records.js';
import { decompress } from '../../protocol/records/compression.js';
import { ZERO_UUID } from '../../protocol/wire/defaults.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { buildBenchBatch, encodeProduceBody, PRODUCE_VERSION, FETCH_VERSION } from '../lib/payloads.js';

const MIN_MS = 300;
const ROUNDS = 3;
const MiB = 1024 * 1024;

export interface MicroResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  mibPerSec: number | null;
}

/** Keeps results observable so the JIT cannot drop the work. */
let sink = 0;

function measure(name: string, bytesPerOp: number | null, fn: () => number): MicroResult {
  for (let i = 0; i < 50; i++) sink ^= fn();
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    let batch = 1;
    while (elapsed < BigInt(MIN_MS) * 1_000_000n) {
      for (let i = 0; i < batch; i++) sink ^= fn();
      ops += batch;
      batch = Math.min(batch * 2, 4096);
      elapsed = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsed) / ops);
  }
  return { name, nsPerOp: best, opsPerSec: 1e9 / best, mibPerSec: bytesPerOp === null ? null : (bytesPerOp / MiB) * (1e9 / best) };
}

export function microCases(): (() => MicroResult)[] {
  const require = createRequire(import.meta.url);
  const crcJs = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

  const batch1m = buildBenchBatch(MiB).bytes;
  const batch16k = buildBenchBatch(16 * 1024).bytes;
  const many16k = Buffer.concat(Array.from({ length: 64 }, () => buildBenchBatch(16 * 1024).bytes));
  const produceBody = encodeProduceBody('bench', [{ index: 0, records: batch1m }], 1);
  const fetchRecords = Buffer.concat(Array.from({ length: 4 }, () => buildBenchBatch(256 * 1024).bytes));
  const fetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench',
        topicId: ZERO_UUID,
        partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1e6, lastStableOffset: 1e6, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records: fetchRecords }],
      },
    ],
  } as unknown as FetchResponse;
  const encodedFetch = (() => {
    const w = new Writer(256);
    encodeFetchResponse(w, FETCH_VERSION, fetchResponse);
    return w.toBuffer();
  })();
  const frame1m = Buffer.allocUnsafe(4 + produceBody.length);
  frame1m.writeInt32BE(produceBody.length, 0);
  produceBody.copy(frame1m, 4);
  const chunks: Buffer[] = [];
  for (let p = 0; p < frame1m.length; p += 64 * 1024) chunks.push(frame1m.subarray(p, Math.min(frame1m.length, p + 64 * 1024)));
  const value = Buffer.alloc(1024, 7);
  // Compressible records (log-line-like JSON, ~4:1 with gzip) for the compressed-produce cases:
  // 128 records of ~500 bytes, about what a client puts in one 16 KiB compressed batch.
  const jsonRecords = Array.from({ length: 128 }, (_, i) => ({
    key: Buffer.from(`user-${i % 17}`),
    value: Buffer.from(JSON.stringify({ ts: 1_700_000_000_000 + i, level: i % 5 ? 'info' : 'warn', service: `svc-${i % 7}`, msg: `request ${i} served in ${(i * 37) % 1000} ms`, path: `/api/v1/items/${i * 7919}`, pad: 'abcdefghij'.repeat(30 + (i % 10)) })),
  }));
  const compressedCase = (name: string, codec: Compression) => {
    const b = buildRecordBatch({ compression: codec, records: jsonRecords, baseTimestamp: 1 });
    const info = readBatchHeader(b, 0);
    const inflated = decompress(codec, b.subarray(BATCH_HEADER_SIZE)).length;
    return [
      () => measure(`${name} batch ${(b.length / 1024).toFixed(1)} KiB (${(inflated / 1024).toFixed(0)} KiB inflated): decompress only`, b.length, () => decompress(codec, b.subarray(BATCH_HEADER_SIZE)).length),
      () => measure(`${name} batch: inspectBatchRecords (decompress + walk ${jsonRecords.length} records)`, b.length, () => inspectBatchRecords(b, info, 64 * MiB).maxTimestamp),
    ];
  };
  const plain16k = buildRecordBatch({ records: Array.from({ length: 16 }, () => ({ key: null, value })), baseTimestamp: 1 });
  const plainJson = buildRecordBatch({ records: jsonRecords, baseTimestamp: 1 });
  const reused = Buffer.allocUnsafe(frame1m.length);

  return [
    () => measure('crc32c 1 MiB (@node-rs/crc32, native)', batch1m.length, () => crc32c(batch1m)),
    () => measure('crc32c 1 MiB (crc-32, pure JS)', batch1m.length, () => crcJs.buf(batch1m)),
    () => measure('validateProduceRecords 1 MiB batch (CRC incl.)', batch1m.length, () => {
      const v = validateProduceRecords(batch1m, { maxMessageBytes: 2 * MiB });
      return v.ok ? v.batches.length : 0;
    }),
    () => measure('validateProduceRecords 16 KiB batch', batch16k.length, () => {
      const v = validateProduceRecords(batch16k, { maxMessageBytes: 2 * MiB });
      return v.ok ? v.batches.length : 0;
    }),
    () => measure('scanBatches 1 MiB of 16 KiB batches, no CRC', many16k.length, () => scanBatches(many16k, 0, many16k.length, false).batches.length),
    () => measure(`decodeProduceRequest v${PRODUCE_VERSION}, 1 MiB batch`, produceBody.length, () => {
      const req = decodeProduceRequest(new Reader(produceBody), PRODUCE_VERSION);
      return req.topicData.length;
    }),
    () => measure('baseline: copy 1 MiB into a reused buffer', MiB, () => {
      let f = 0;
      for (const c of chunks) f += c.copy(reused, f);
      return f;
    }),
    () => measure('baseline: copy 1 MiB into a fresh Buffer.allocUnsafe', MiB, () => {
      const b = Buffer.allocUnsafe(frame1m.length);
      let f = 0;
      for (const c of chunks) f += c.copy(b, f);
      return f;
    }),
    () => measure('FrameDecoder: 1 MiB frame in 64 KiB chunks', frame1m.length, () => {
      const d = new FrameDecoder(100 * MiB);
      for (const c of chunks) d.push(c);
      return d.next()!.length;
    }),
    () => measure(`encodeFetchResponse v${FETCH_VERSION}, 1 MiB records`, fetchRecords.length, () => {
      const w = new Writer(256);
      encodeFetchResponse(w, FETCH_VERSION, fetchResponse);
      return w.toChunks().length;
    }),
    () => measure(`decodeFetchResponse v${FETCH_VERSION}, 1 MiB records`, encodedFetch.length, () => decodeFetchResponse(new Reader(encodedFetch), FETCH_VERSION).responses.length),
    ...compressedCase('gzip', Compression.Gzip),
    ...compressedCase('snappy', Compression.Snappy),
    ...compressedCase('lz4', Compression.Lz4),
    ...compressedCase('zstd', Compression.Zstd),
    () => measure('walk records of an uncompressed 16 KiB batch (16 x 1 KiB), not done on the fast path', plain16k.length, () => inspectBatchRecords(plain16k, readBatchHeader(plain16k, 0), 0).maxTimestamp),
    () => measure(`walk records of an uncompressed ${(plainJson.length / 1024).toFixed(0)} KiB batch (128 small records)`, plainJson.length, () => inspectBatchRecords(plainJson, readBatchHeader(plainJson, 0), 0).maxTimestamp),
    () => measure('buildRecordBatch 16 x 1 KiB records (client side)', 16 * 1024, () => {
      const records = [];
      for (let i = 0; i < 16; i++) records.push({ key: null, value });
      return buildRecordBatch({ records, baseTimestamp: 1 }).length;
    }),
  ];
}

export function renderMicro(results: MicroResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.nsPerOp >= 1e5 ? `${(r.nsPerOp / 1e3).toFixed(0)} µs` : `${r.nsPerOp.toFixed(0)} ns`} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${r.mibPerSec === null ? '-' : r.mibPerSec.toFixed(0)} |`,
  );
  return ['| case | time/op | ops/s | MiB/s |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export async function runMicro(): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const c of microCases()) {
    const r = c();
    results.push(r);
    console.log(`  ${r.name}: ${r.nsPerOp.toFixed(0)} ns/op${r.mibPerSec === null ? '' : `, ${r.mibPerSec.toFixed(0)} MiB/s`}`);
  }
  console.log('');
  console.log(renderMicro(results));
  if (sink === 0.5) console.log(''); // never true; keeps `sink` live
  return results;
}

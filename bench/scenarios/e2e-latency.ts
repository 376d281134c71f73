// End-to-end latency: produce send -> record arrives at a long-polling consumer.
//
//   producer connection: one-record batches (1 KiB value, bytes 0..3 = slot number), pre-encoded
//                        for POOL slots, sent at a fixed rate with acks=1; send time per slot
//   consumer connection: Fetch(maxWait 500 ms, minBytes 1) in a loop on the same partition
//
// Latency = arrival of the Fetch response carrying the record - its send time. Both ends live in
// this process, so one clock. A slot is reused after POOL sends (POOL/rate seconds), far longer
// than any latency worth measuring.
import { performance } from 'node:perf_hooks';
import { errorName } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.js';
import { readVarint, readVarlong, type Cursor } from '../../protocol/records/varint.js';
import { BenchConnection } from '../load-generator.js';
import { decodeFetch, produceResponseErrors, walkBatches } from '../lib/kafka-calls.js';
import { Meter, pace, sleep, type RunFigures } from '../lib/meter.js';
import { buildSeqBatch, encodeFetchBody, encodeProduceBody, FETCH_VERSION, PRODUCE_VERSION } from '../lib/payloads.js';
import type { Target } from '../lib/targets.js';

export interface E2eParams {
  /** Must contain "e2e" (the null sink keeps only such topics in memory). */
  topic: string;
  rate: number;
  warmupMs: number;
  measureMs: number;
}

const POOL = 8192;

/** Value of the first record of the batch at `pos` (uncompressed; layout in record-codec.ts). */
function firstValueSlot(buf: Buffer, pos: number): number {
  const c: Cursor = { buf, pos: pos + BATCH_HEADER_SIZE, end: buf.length };
  readVarint(c); // record length
  c.pos += 1; // attributes
  readVarlong(c); // timestampDelta
  readVarint(c); // offsetDelta
  const keyLen = readVarint(c);
  if (keyLen > 0) c.pos += keyLen;
  readVarint(c); // value length
  return buf.readUInt32BE(c.pos);
}

let pool: { topic: string; bodies: Buffer[] } | null = null;

/** The POOL pre-encoded requests, built once per topic (every round and target reuse them). */
function poolFor(topic: string): Buffer[] {
  if (pool?.topic !== topic) {
    const bodies: Buffer[] = [];
    for (let i = 0; i < POOL; i++) bodies.push(encodeProduceBody(topic, [{ index: 0, records: buildSeqBatch(i) }], 1));
    pool = { topic, bodies };
  }
  return pool.bodies;
}

export async function runE2eLatency(target: Target, o: E2eParams): Promise<RunFigures> {
  const producer = await BenchConnection.connect(target.host, target.port, 'bench-e2e-producer');
  const consumer = await BenchConnection.connect(target.host, target.port, 'bench-e2e-consumer');
  const meter = new Meter(target);
  try {
    const bodies = poolFor(o.topic);
    const sentAt = new Float64Array(POOL).fill(NaN);
    let running = true;
    let offset = 0;
    let received = 0;

    const fetchNext = (): void => {
      if (!running || consumer.error) return;
      const body = encodeFetchBody([{ topic: o.topic, partition: 0, offset, partitionMaxBytes: 1024 * 1024 }], 500, 1, 50 * 1024 * 1024);
      consumer.send(1, FETCH_VERSION, body, (r) => {
        const now = performance.now();
        const res = decodeFetch(r);
        const p = res.responses[0]?.partitions[0];
        if (res.errorCode !== 0 || !p || p.errorCode !== 0) {
          meter.error(`fetch: ${errorName(p?.errorCode ?? res.errorCode)}`);
          setTimeout(fetchNext, 10);
          return;
        }
        const w = walkBatches(p.records, true);
        for (const pos of w.positions!) {
          const slot = firstValueSlot(p.records!, pos);
          const t = sentAt[slot % POOL]!;
          received++;
          if (!Number.isNaN(t)) meter.complete(0, 1, now - t);
        }
        if (w.nextOffset >= 0) offset = w.nextOffset;
        fetchNext();
      });
    };
    fetchNext();

    let seq = 0;
    const stopAt = performance.now() + o.warmupMs + o.measureMs;
    const schedule = pace(o.rate, stopAt, () => {
      if (producer.error) return;
      const slot = seq++ % POOL;
      sentAt[slot] = performance.now();
      producer.send(0, PRODUCE_VERSION, bodies[slot]!, (r) => {
        for (const e of produceResponseErrors(r)) meter.error(`produce: ${e}`);
      });
    });
    await meter.window(o.warmupMs, o.measureMs);
    await schedule;
    // Let the consumer see the tail, then stop its loop (its last long poll ends within 500 ms).
    const deadline = performance.now() + 2000;
    while (received < seq && performance.now() < deadline) await sleep(5);
    meter.extra.sent = seq;
    meter.extra.received = received;
    running = false;
    await producer.drain(10_000).catch((e: Error) => meter.error(`producer: ${e.message}`));
    await consumer.drain(10_000).catch((e: Error) => meter.error(`consumer: ${e.message}`));
    if (received < seq) meter.error('records never received', seq - received);
    return meter.figures();
  } finally {
    producer.close();
    consumer.close();
  }
}

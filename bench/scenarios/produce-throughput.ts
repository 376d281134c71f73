// Produce throughput: closed loop, as fast as the target acknowledges.
//
//   connections (default 2) x partitions owned per connection (partitions / connections)
//   each request = one v2 batch of 1 KiB records per owned partition, pre-encoded;
//   up to `inflight` requests pipelined per connection (Kafka's default producer allows 5).
//
// Counted: batch bytes and records acknowledged without error inside the measure window.
import { performance } from 'node:perf_hooks';
import { BenchConnection } from '../load-generator.js';
import { produceResponseErrors } from '../lib/kafka-calls.js';
import { Meter, type RunFigures } from '../lib/meter.js';
import { buildBenchBatch, encodeProduceBody, PRODUCE_VERSION } from '../lib/payloads.js';
import { connectTo, type Target } from '../lib/targets.js';

export interface ProduceParams {
  topic: string;
  partitions: number;
  connections: number;
  batchBytes: number;
  acks: number;
  inflight: number;
  warmupMs: number;
  measureMs: number;
}

interface Prepared {
  body: Buffer;
  bytes: number;
  records: number;
}

let cache: { key: string; value: Prepared[] }[] = [];

/**
 * Distinct pre-encoded requests for one connection (cycled through while sending). Memoised for
 * the scenario being run (every round and both targets send the very same bytes); building
 * 16 MiB of batches with their CRCs takes long enough to be worth it.
 */
export function prepareRequests(topic: string, owned: number[], batchBytes: number, acks: number): Prepared[] {
  const key = `${topic}|${owned.join(',')}|${batchBytes}|${acks}`;
  const hit = cache.find((c) => c.key === key);
  if (hit) return hit.value;
  if (!cache.some((c) => c.key.startsWith(`${topic}|`))) cache = [];
  const requestBytes = owned.length * batchBytes;
  const distinct = Math.max(4, Math.min(64, Math.floor((16 * 1024 * 1024) / requestBytes)));
  const out: Prepared[] = [];
  for (let i = 0; i < distinct; i++) {
    const batches = owned.map((index) => ({ index, batch: buildBenchBatch(batchBytes) }));
    out.push({
      body: encodeProduceBody(topic, batches.map((b) => ({ index: b.index, records: b.batch.bytes })), acks),
      bytes: batches.reduce((s, b) => s + b.batch.bytes.length, 0),
      records: batches.reduce((s, b) => s + b.batch.records, 0),
    });
  }
  cache.push({ key, value: out });
  return out;
}

export function ownedPartitions(partitions: number, connections: number, c: number): number[] {
  const owned: number[] = [];
  for (let p = c; p < partitions; p += connections) owned.push(p);
  return owned;
}

/**
 * Drives closed-loop produce on `conns` until `isRunning()` turns false. Returns a promise for the
 * moment all connections have drained their in-flight requests.
 */
export function driveProduce(
  conns: BenchConnection[],
  prepared: Prepared[][],
  inflight: number,
  meter: Meter,
  isRunning: () => boolean,
  budgetRequests = Infinity,
): void {
  let issued = 0;
  conns.forEach((conn, c) => {
    const reqs = prepared[c]!;
    let next = 0;
    const pump = (): void => {
      while (isRunning() && issued < budgetRequests && conn.inflight < inflight && conn.error === null) {
        const p = reqs[next]!;
        next = (next + 1) % reqs.length;
        issued++;
        conn.send(0, PRODUCE_VERSION, p.body, (r, sentAt) => {
          const now = performance.now();
          const errors = produceResponseErrors(r);
          if (errors.length === 0) meter.complete(p.bytes, p.records, now - sentAt);
          else for (const e of errors) meter.error(e);
          pump();
        });
      }
    };
    pump();
  });
}

export async function runProduceThroughput(target: Target, o: ProduceParams): Promise<RunFigures> {
  const conns: BenchConnection[] = [];
  for (let c = 0; c < o.connections; c++) conns.push(await connectTo(target));
  try {
    const prepared = conns.map((_, c) => prepareRequests(o.topic, ownedPartitions(o.partitions, o.connections, c), o.batchBytes, o.acks));
    const meter = new Meter(target);
    let running = true;
    driveProduce(conns, prepared, o.inflight, meter, () => running);
    await meter.window(o.warmupMs, o.measureMs);
    running = false;
    await drainAll(conns, meter);
    meter.extra.requestBytes = prepared[0]![0]!.bytes;
    meter.extra.recordsPerBatch = prepared[0]![0]!.records / ownedPartitions(o.partitions, o.connections, 0).length;
    return meter.figures();
  } finally {
    for (const c of conns) c.close();
  }
}

/** Waits for every connection's in-flight requests; a failure or stall is reported, not thrown. */
export async function drainAll(conns: BenchConnection[], meter: Meter, timeoutMs = 60_000): Promise<void> {
  for (const c of conns) {
    try {
      await c.drain(timeoutMs);
    } catch (err) {
      meter.error(`connection: ${(err as Error).message}`);
    }
  }
}

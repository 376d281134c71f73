// Fetch throughput: read a topic back as fast as the target serves it.
//
// Prepare (broker only; the null sink serves a pre-built in-memory log): produce `prepareBytes`
// of batches of `batchBytes` into `topic`. Then, per partition, one Fetch in flight at a time
// (like a consumer; the next fetch offset comes from the previous response), one partition per
// request, `partitionMaxBytes` per partition. Reaching the high watermark wraps back to
// offset 0, so the scenario is time-bounded regardless of how much data there is -- it measures
// serving page-cache-resident data, i.e. a consumer catching up.
import { performance } from 'node:perf_hooks';
import { errorName } from '../../protocol/errors.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { BenchConnection } from '../load-generator.js';
import { decodeFetch, walkBatches } from '../lib/kafka-calls.js';
import { Meter, sleep, type RunFigures } from '../lib/meter.js';
import { encodeFetchBody, FETCH_VERSION } from '../lib/payloads.js';
import { connectTo, type Target } from '../lib/targets.js';
import { driveProduce, drainAll, ownedPartitions, prepareRequests } from './produce-throughput.js';

export interface FetchParams {
  topic: string;
  partitions: number;
  connections: number;
  batchBytes: number;
  /** Bytes to produce first; 0 = the target already serves data (null sink). */
  prepareBytes: number;
  partitionMaxBytes: number;
  warmupMs: number;
  measureMs: number;
}

const FETCH_MAX_BYTES = 50 * 1024 * 1024; // Kafka consumer default fetch.max.bytes
/** Every Nth response is checked (CRC of every batch, first batch at the fetch offset). */
const VERIFY_EVERY = 16;

/** A cheap correctness check on what the target served; failures are counted as errors. */
function verify(records: Buffer | null, fetchOffset: number, completeBytes: number, meter: Meter): void {
  if (records === null || completeBytes === 0) return;
  const scan = scanBatches(records, 0, completeBytes, true);
  if (scan.error !== null) meter.error(`fetched data: ${scan.error}`);
  const first = scan.batches[0];
  if (first && (first.baseOffset > fetchOffset || first.baseOffset + first.lastOffsetDelta < fetchOffset)) {
    meter.error('fetched data: first batch does not contain the fetch offset');
  }
}

/** Produces `bytes` into the topic (acks=1, 5 in flight per connection) and waits for the acks. */
export async function fill(target: Target, o: FetchParams): Promise<{ seconds: number; errors: Record<string, number> }> {
  const conns: BenchConnection[] = [];
  for (let c = 0; c < o.connections; c++) conns.push(await connectTo(target));
  try {
    const prepared = conns.map((_, c) => prepareRequests(o.topic, ownedPartitions(o.partitions, o.connections, c), o.batchBytes, 1));
    const budget = Math.ceil(o.prepareBytes / prepared[0]![0]!.bytes);
    const meter = new Meter(target);
    const t0 = performance.now();
    driveProduce(conns, prepared, 5, meter, () => true, budget);
    while (meter.requests + Object.values(meter.errors).reduce((a, b) => a + b, 0) < budget) {
      if (conns.some((c) => c.error)) break;
      await sleep(5);
    }
    await drainAll(conns, meter);
    return { seconds: (performance.now() - t0) / 1000, errors: meter.errors };
  } finally {
    for (const c of conns) c.close();
  }
}

export async function runFetchThroughput(target: Target, o: FetchParams): Promise<RunFigures> {
  let fillInfo: { seconds: number; errors: Record<string, number> } | null = null;
  if (o.prepareBytes > 0) fillInfo = await fill(target, o);
  const conns: BenchConnection[] = [];
  for (let c = 0; c < o.connections; c++) conns.push(await connectTo(target));
  const meter = new Meter(target);
  if (fillInfo) {
    meter.extra.preparedMiB = Math.round(o.prepareBytes / 1024 / 1024);
    meter.extra.prepareSeconds = Number(fillInfo.seconds.toFixed(2));
    for (const [k, v] of Object.entries(fillInfo.errors)) meter.error(`prepare: ${k}`, v);
  }
  let wraps = 0;
  let responses = 0;
  let running = true;
  try {
    conns.forEach((conn, c) => {
      for (const partition of ownedPartitions(o.partitions, o.connections, c)) {
        let offset = 0;
        const fetchNext = (): void => {
          if (!running || conn.error) return;
          const body = encodeFetchBody([{ topic: o.topic, partition, offset, partitionMaxBytes: o.partitionMaxBytes }], 500, 1, FETCH_MAX_BYTES);
          conn.send(1, FETCH_VERSION, body, (r, sentAt) => {
            const now = performance.now();
            const res = decodeFetch(r);
            if (res.errorCode !== 0) meter.error(errorName(res.errorCode));
            const p = res.responses[0]?.partitions[0];
            if (!p) {
              meter.error('fetch response without the partition');
            } else if (p.errorCode !== 0) {
              meter.error(errorName(p.errorCode));
              offset = 0;
            } else {
              const w = walkBatches(p.records);
              if (++responses % VERIFY_EVERY === 0) verify(p.records, offset, w.bytes, meter);
              meter.complete(w.bytes, w.records, now - sentAt);
              if (w.nextOffset < 0 || w.nextOffset >= p.highWatermark) {
                offset = 0;
                wraps++;
              } else {
                offset = w.nextOffset;
              }
            }
            fetchNext();
          });
        };
        fetchNext();
      }
    });
    await meter.window(o.warmupMs, o.measureMs);
    running = false;
    await drainAll(conns, meter);
    meter.extra.wraps = wraps;
    return meter.figures();
  } finally {
    for (const c of conns) c.close();
  }
}

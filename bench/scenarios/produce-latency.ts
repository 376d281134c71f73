// Produce latency at a fixed rate (open loop): one connection sends pre-encoded single-partition
// requests on a schedule, whatever the answers do, and records send -> response time per request.
// The schedule does not wait for responses, so a slow target queues work like it would for real
// clients (no coordinated omission within the in-flight cap; sends skipped at the cap are counted).
import { performance } from 'node:perf_hooks';
import { BenchConnection } from '../load-generator.js';
import { produceResponseErrors } from '../lib/kafka-calls.js';
import { Meter, pace, type RunFigures } from '../lib/meter.js';
import { PRODUCE_VERSION } from '../lib/payloads.js';
import type { Target } from '../lib/targets.js';
import { drainAll, prepareRequests } from './produce-throughput.js';

export interface LatencyParams {
  topic: string;
  partition: number;
  batchBytes: number;
  acks: number;
  /** Requests per second (each carries one batch of `batchBytes`). */
  rate: number;
  warmupMs: number;
  measureMs: number;
  maxInflight: number;
}

export async function runProduceLatency(target: Target, o: LatencyParams): Promise<RunFigures> {
  const conn = await BenchConnection.connect(target.host, target.port);
  try {
    const prepared = prepareRequests(o.topic, [o.partition], o.batchBytes, o.acks);
    const meter = new Meter(target);
    let next = 0;
    let skipped = 0;
    const start = performance.now();
    const stopAt = start + o.warmupMs + o.measureMs;
    const schedule = pace(o.rate, stopAt, () => {
      if (conn.error || conn.inflight >= o.maxInflight) {
        if (meter.measuring) skipped++;
        return;
      }
      const p = prepared[next]!;
      next = (next + 1) % prepared.length;
      conn.send(0, PRODUCE_VERSION, p.body, (r, sentAt) => {
        const now = performance.now();
        const errors = produceResponseErrors(r);
        if (errors.length === 0) meter.complete(p.bytes, p.records, now - sentAt);
        else for (const e of errors) meter.error(e);
      });
    });
    await meter.window(o.warmupMs, o.measureMs);
    await schedule;
    await drainAll([conn], meter);
    meter.extra.targetRequestsPerSec = Math.round(o.rate);
    meter.extra.targetMiBPerSec = Number(((o.rate * prepared[0]!.bytes) / 1024 / 1024).toFixed(1));
    meter.extra.skippedAtInflightCap = skipped;
    return meter.figures();
  } finally {
    conn.close();
  }
}

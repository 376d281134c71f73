// What a run consists of: the scenario list with their parameters and time budgets.
//
//   full (~2.5 min): produce latency acks 1 / -1, end-to-end latency, produce 16 KiB / 256 KiB /
//                    1 MiB batches x acks 1 / -1, fetch, real client; 2 rounds per target
//   quick (< 40 s):  latency, e2e, produce 16 KiB / 1 MiB x acks 1 / -1, fetch; 1 round
import type { RunFigures } from './lib/meter.js';
import type { Target } from './lib/targets.js';
import type { ScenarioKind } from './report.js';
import { runClientProduce } from './scenarios/client-produce.js';
import { runE2eLatency } from './scenarios/e2e-latency.js';
import { runFetchThroughput } from './scenarios/fetch-throughput.js';
import { runProduceLatency } from './scenarios/produce-latency.js';
import { runProduceThroughput } from './scenarios/produce-throughput.js';

const KiB = 1024;
const MiB = 1024 * 1024;

export interface PlannedScenario {
  id: string;
  title: string;
  kind: ScenarioKind;
  params: Record<string, unknown>;
  topics: { name: string; partitions: number }[];
  run: (t: Target) => Promise<RunFigures>;
}

export interface Plan {
  rounds: number;
  partitions: number;
  fetchBatchBytes: number;
  scenarios: PlannedScenario[];
}

export interface PlanOptions {
  quick: boolean;
  only?: string[];
  rounds?: number;
  /** Produce-latency requests/s (one 16 KiB batch each). */
  latencyRate?: number;
}

function sizeName(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
}

export function planScenarios(o: PlanOptions): Plan {
  const partitions = 4;
  const fetchBatchBytes = 256 * KiB;
  const latencyBatch = 16 * KiB;
  const t = o.quick
    ? { warmupMs: 300, measureMs: 1000, latWarmupMs: 300, latMeasureMs: 1500, batches: [16 * KiB, MiB], fetchPrepare: 64 * MiB, rounds: 1 }
    : { warmupMs: 500, measureMs: 2000, latWarmupMs: 500, latMeasureMs: 3000, batches: [16 * KiB, 256 * KiB, MiB], fetchPrepare: 512 * MiB, rounds: 2 };
  const only = new Set(o.only ?? (o.quick ? ['produce', 'fetch', 'latency', 'e2e'] : ['produce', 'fetch', 'latency', 'e2e', 'client']));
  const scenarios: PlannedScenario[] = [];

  // Latency first: the throughput scenarios leave gigabytes of dirty page cache behind, and the
  // kernel's writeback of it (dirty_background_ratio) stalls later file writes for tens of ms.
  if (only.has('latency')) {
    const rate = Math.round(o.latencyRate ?? 2048);
    for (const acks of [1, -1]) {
      const topic = `latency-acks${acks === -1 ? 'all' : acks}`;
      const params = { topic, partition: 0, batchBytes: latencyBatch, acks, rate, warmupMs: t.latWarmupMs, measureMs: t.latMeasureMs, maxInflight: 1000 };
      scenarios.push({
        id: topic,
        title: `produce latency ${sizeName(latencyBatch)} acks=${acks}`,
        kind: 'latency',
        params,
        topics: [{ name: topic, partitions: 1 }],
        run: (target) => runProduceLatency(target, params),
      });
    }
  }

  if (only.has('e2e')) {
    const params = { topic: 'e2e-latency', rate: 1000, warmupMs: t.latWarmupMs, measureMs: t.latMeasureMs };
    scenarios.push({
      id: 'e2e',
      title: 'end-to-end 1 KiB records, acks=1',
      kind: 'e2e',
      params,
      topics: [{ name: params.topic, partitions: 1 }],
      run: (target) => runE2eLatency(target, params),
    });
  }

  if (only.has('produce')) {
    for (const batch of t.batches) {
      for (const acks of [1, -1]) {
        const topic = `produce-${sizeName(batch)}-acks${acks === -1 ? 'all' : acks}`;
        const params = { topic, partitions, connections: 2, batchBytes: batch, acks, inflight: 5, warmupMs: t.warmupMs, measureMs: t.measureMs };
        scenarios.push({
          id: topic,
          title: `produce ${sizeName(batch)} batches acks=${acks}`,
          kind: 'produce',
          params,
          topics: [{ name: topic, partitions }],
          run: (target) => runProduceThroughput(target, params),
        });
      }
    }
  }

  if (only.has('fetch')) {
    const topic = `fetch-${sizeName(fetchBatchBytes)}`;
    const params = { topic, partitions, connections: 2, batchBytes: fetchBatchBytes, partitionMaxBytes: MiB, warmupMs: t.warmupMs, measureMs: t.measureMs };
    // The topic is filled once per broker (the first round); later rounds read the same data.
    const filled = new Set<number>();
    scenarios.push({
      id: topic,
      title: `fetch ${sizeName(fetchBatchBytes)} batches, 1 MiB/partition`,
      kind: 'fetch',
      params: { ...params, prepareBytes: t.fetchPrepare },
      topics: [{ name: topic, partitions }],
      run: (target) => {
        const prepare = target.name !== 'null' && !filled.has(target.pid);
        filled.add(target.pid);
        return runFetchThroughput(target, { ...params, prepareBytes: prepare ? t.fetchPrepare : 0 });
      },
    });
  }

  if (only.has('client')) {
    const params = { topic: 'client-produce', partitions, recordsPerPartition: 16, concurrency: 4, warmupMs: t.warmupMs, measureMs: t.measureMs };
    scenarios.push({
      id: 'client-produce',
      title: '@platformatic/kafka producer, 4 x 16 x 1 KiB per send, acks=1',
      kind: 'client',
      params,
      topics: [{ name: params.topic, partitions }],
      run: (target) => runClientProduce(target, params),
    });
  }

  return { rounds: o.rounds ?? t.rounds, partitions, fetchBatchBytes, scenarios };
}

// Combining the rounds of one scenario on one target. The machine is a shared, noisy 2-core VM
// (other people's test runs come and go), so every scenario runs in several short rounds,
// alternating targets (null, broker, broker, null, ...), and:
//
//   throughput kinds  keep the best round: the least-disturbed estimate of what the target can
//                     do (disturbance only ever lowers throughput)
//   latency kinds     merge the samples of all rounds (percentiles over everything)
//
// Errors are summed over all rounds either way; every round's figures stay in the JSON.
import { Histogram } from './histogram.js';
import type { RunFigures } from './meter.js';

export function combineRounds(latencyKind: boolean, rounds: RunFigures[]): RunFigures {
  if (rounds.length === 1) return rounds[0]!;
  const errors: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  if (!latencyKind) {
    const best = rounds.reduce((a, b) => (b.throughput.mibPerSec > a.throughput.mibPerSec ? b : a));
    return { ...best, errors };
  }
  const merged = new Histogram();
  for (const r of rounds) if (r.histogram) merged.merge(r.histogram);
  const sum = (f: (r: RunFigures) => number): number => rounds.reduce((s, r) => s + f(r), 0);
  const avg = (f: (r: RunFigures) => number): number => sum(f) / rounds.length;
  const seconds = sum((r) => r.throughput.seconds);
  const bytes = sum((r) => r.throughput.bytes);
  const records = sum((r) => r.throughput.records);
  const requests = sum((r) => r.throughput.requests);
  return {
    throughput: {
      seconds,
      bytes,
      records,
      requests,
      mibPerSec: bytes / 1024 / 1024 / seconds,
      recordsPerSec: records / seconds,
      requestsPerSec: requests / seconds,
    },
    latency: merged.summary(),
    histogram: merged,
    cpu: {
      targetPct: avg((r) => r.cpu.targetPct),
      generatorPct: avg((r) => r.cpu.generatorPct),
      machineBusyPct: avg((r) => r.cpu.machineBusyPct),
      machineStealPct: avg((r) => r.cpu.machineStealPct),
      generatorLoopDelayP99Ms: Math.max(...rounds.map((r) => r.cpu.generatorLoopDelayP99Ms)),
      otherLoadCores: avg((r) => r.cpu.otherLoadCores),
    },
    errors,
    extra: rounds[rounds.length - 1]!.extra,
  };
}

/** JSON replacer: histograms are working state, not results. */
export function withoutHistograms(key: string, value: unknown): unknown {
  return key === 'histogram' ? undefined : value;
}

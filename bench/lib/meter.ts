// Counting, timing windows and CPU accounting shared by all scenarios.
//
//   |-- warmup --|====== measure window ======|-- drain (in-flight answered, not counted) --|
//                t0 (snapshot)                t1 (snapshot)
//
// Throughput = counters(t1) - counters(t0) over (t1 - t0); latency samples are recorded only
// while the window is open. CPU% is each process's user+system time over the same window
// (can exceed 100 % when a process uses the libuv thread pool or GC threads).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { Histogram, type LatencySummary } from './histogram.js';
import type { Target } from './targets.js';

export const MiB = 1024 * 1024;

export interface ThroughputFigures {
  seconds: number;
  bytes: number;
  records: number;
  requests: number;
  mibPerSec: number;
  recordsPerSec: number;
  requestsPerSec: number;
}

export interface CpuFigures {
  /** CPU% of the measured process (broker or null sink) during the window. */
  targetPct: number;
  /** CPU% of the load generator during the window. */
  generatorPct: number;
  /** Whole machine, % of all cores: busy (not idle/iowait) and stolen by the hypervisor. */
  machineBusyPct: number;
  machineStealPct: number;
  /** p99 of the generator's event-loop delay (ms): high values mean the generator, not the target, added latency. */
  generatorLoopDelayP99Ms: number;
  /**
   * CPU used by everything else on the machine (other people's tests, the kernel), in cores:
   * machine busy time minus target and generator. Anything well above ~0.2 means the figures
   * of this round were disturbed.
   */
  otherLoadCores: number;
}

/** Machine-wide jiffies from /proc/stat: [busy, steal, total]. */
function machineTicks(): [number, number, number] {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return [user + nice + system + irq + softirq, steal, total];
  } catch {
    return [NaN, NaN, NaN];
  }
}

export interface RunFigures {
  throughput: ThroughputFigures;
  latency: LatencySummary;
  /** The samples behind `latency`, for merging rounds (dropped from the JSON). */
  histogram?: Histogram;
  cpu: CpuFigures;
  /** Error name (Kafka error code name or failure kind) -> count. */
  errors: Record<string, number>;
  /** Anything else a scenario wants to report (requested rate, skipped sends, ...). */
  extra: Record<string, number | string>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Meter {
  bytes = 0;
  records = 0;
  requests = 0;
  readonly latency = new Histogram();
  readonly errors: Record<string, number> = {};
  readonly extra: Record<string, number | string> = {};
  /** True while the measure window is open. */
  measuring = false;
  private t0 = 0;
  private t1 = 0;
  private start: ReturnType<Meter['snap']>;
  private end: ReturnType<Meter['snap']>;
  private loopDelay: IntervalHistogram | null = null;

  constructor(private readonly target: Target) {
    this.start = this.end = this.snap();
  }

  /** Counts one completed request; `latencyMs` is recorded only inside the window. */
  complete(bytes: number, records: number, latencyMs: number): void {
    this.bytes += bytes;
    this.records += records;
    this.requests++;
    if (this.measuring) this.latency.record(latencyMs * 1000);
  }

  error(name: string, n = 1): void {
    this.errors[name] = (this.errors[name] ?? 0) + n;
  }

  private snap() {
    const u = process.cpuUsage();
    return {
      bytes: this.bytes,
      records: this.records,
      requests: this.requests,
      cpuTarget: this.target.cpuSeconds(),
      cpuGen: (u.user + u.system) / 1e6,
      machine: machineTicks(),
    };
  }

  open(): void {
    this.loopDelay = monitorEventLoopDelay({ resolution: 1 });
    this.loopDelay.enable();
    this.t0 = performance.now();
    this.start = this.snap();
    this.measuring = true;
  }

  close(): void {
    this.measuring = false;
    this.t1 = performance.now();
    this.end = this.snap();
    this.loopDelay?.disable();
  }

  /** Warmup, then the measure window; `stop` (optional) is called when the window closes. */
  async window(warmupMs: number, measureMs: number): Promise<void> {
    await sleep(warmupMs);
    this.open();
    await sleep(measureMs);
    this.close();
  }

  figures(): RunFigures {
    const f = this.rawFigures();
    const cores = os.cpus().length;
    f.cpu.otherLoadCores = Math.max(0, (f.cpu.machineBusyPct * cores - f.cpu.targetPct - f.cpu.generatorPct) / 100);
    return f;
  }

  private rawFigures(): RunFigures {
    const seconds = (this.t1 - this.t0) / 1000;
    const bytes = this.end.bytes - this.start.bytes;
    const records = this.end.records - this.start.records;
    const requests = this.end.requests - this.start.requests;
    return {
      throughput: {
        seconds,
        bytes,
        records,
        requests,
        mibPerSec: bytes / MiB / seconds,
        recordsPerSec: records / seconds,
        requestsPerSec: requests / seconds,
      },
      latency: this.latency.summary(),
      histogram: this.latency,
      cpu: {
        targetPct: ((this.end.cpuTarget - this.start.cpuTarget) / seconds) * 100,
        generatorPct: ((this.end.cpuGen - this.start.cpuGen) / seconds) * 100,
        machineBusyPct: ((this.end.machine[0] - this.start.machine[0]) / (this.end.machine[2] - this.start.machine[2])) * 100,
        machineStealPct: ((this.end.machine[1] - this.start.machine[1]) / (this.end.machine[2] - this.start.machine[2])) * 100,
        generatorLoopDelayP99Ms: this.loopDelay ? this.loopDelay.percentile(99) / 1e6 : NaN,
        otherLoadCores: 0,
      },
      errors: this.errors,
      extra: this.extra,
    };
  }
}

/**
 * Calls `send()` `rate` times per second until `stopAt` (performance.now() ms). Node timers tick
 * at ~1 ms, so at high rates several sends go out per tick (each one due is sent; none are
 * dropped or bunched beyond what the schedule says). Resolves when the schedule ends.
 */
export function pace(rate: number, stopAt: number, send: () => void): Promise<void> {
  const interval = 1000 / rate;
  let next = performance.now();
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next <= now && next < stopAt) {
        send();
        next += interval;
      }
      if (next >= stopAt) return resolve();
      setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  });
}

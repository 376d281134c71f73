// `tributary bench produce|consume|e2e`: a benchmark for any Kafka-compatible cluster in the
// spirit of kafka-producer-perf-test and the OpenMessaging Benchmark, built on
// @platformatic/kafka. Prints a live progress line (stderr), a summary line (stdout) with
// records/s, MB/s and latency percentiles from a log-linear histogram (< 0.8 % relative error),
// --json for scripts, and --report for an HTML or SVG report with latency-over-time and
// percentile plots.
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { ParsedArgs } from '../cli-args.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, UsageError, baseOptions, durationOption, errorText, intOption, loadKafka, printJson, runClientCommand } from '../client/common.js';
import { parseAcks, parseCompression } from '../client/produce-command.js';
import { BenchStats, type IntervalStats, type LatencyMs } from './bench-stats.js';
import { renderHtmlReport, renderSvgReport } from './bench-report.js';

export const BENCH_USAGE = 'bench <produce|consume|e2e> --topic T [--record-size B] [--duration 10s] [--rate N] [options]';

export function benchHelp(): string {
  return commandHelpText({
    usage: BENCH_USAGE,
    description:
      'Measures a Kafka-compatible cluster (Tributary, Apache Kafka, Redpanda, ...). produce: producer throughput and acknowledgement latency. consume: how fast consumers read the topic from its start. e2e: producers and consumers together; latency is from send to receipt. Example: tributary bench produce --topic bench --record-size 1024 --duration 10s',
    options: [
      ['--topic T', 'Topic to use (default tributary-bench); created if missing'],
      ['--partitions N', 'Partitions when the topic is created (default 3)'],
      ['--record-size B', 'Value size in bytes (default 1024)'],
      ['--duration D', 'How long to run: 10s, 500ms, 2m (default 10s)'],
      ['--warmup D', 'Run this long first without measuring (default 0s)'],
      ['--rate N', 'Records/s over all producers; 0 = full speed (default 0)'],
      ['--producers N', 'Producer clients (default 1)'],
      ['--consumers N', 'consume/e2e: consumers in one group (default 1)'],
      ['--batch N', 'Records per send request (default 100)'],
      ['--in-flight N', 'Sends in flight per producer (default 4)'],
      ['--acks all|1|0', 'Acknowledgements (default all)'],
      ['--compression TYPE', 'none|gzip|snappy|lz4|zstd (default none)'],
      ['--report FILE', 'Write an .html or .svg report (latency over time, percentiles)'],
      BOOTSTRAP_HELP,
      ...SECURITY_HELP,
      ['--json', 'Print the result as JSON instead of the summary line'],
    ],
    notes: ['Exit codes: 0 ok, 1 errors during the run or a cluster error, 2 usage.'],
  });
}

export interface BenchConfig {
  mode: 'produce' | 'consume' | 'e2e';
  topic: string;
  partitions: number;
  recordSize: number;
  durationMs: number;
  warmupMs: number;
  rate: number;
  producers: number;
  consumers: number;
  batch: number;
  inFlight: number;
  acks: number;
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  bootstrap: string[];
}

export interface BenchResult {
  mode: BenchConfig['mode'];
  config: BenchConfig;
  records: number;
  bytes: number;
  errors: number;
  firstError: string | null;
  durationMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** produce: acknowledgement latency; e2e: send-to-receipt latency; consume: none. */
  latencyMs: LatencyMs;
  latencyKind: 'ack' | 'end-to-end' | 'none';
  percentiles: { percentile: number; ms: number }[];
  timeline: IntervalStats[];
}

export async function runBenchCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  return runClientCommand(
    'bench',
    BENCH_USAGE,
    args,
    deps,
    {
      values: ['topic', 'partitions', 'record-size', 'duration', 'warmup', 'rate', 'producers', 'consumers', 'batch', 'in-flight', 'acks', 'compression', 'report'],
      booleans: [],
    },
    (p) => bench(p, deps),
  );
}

function configFrom(p: ParsedArgs, deps: CliDeps): BenchConfig {
  const mode = p.positional[0];
  if (mode !== 'produce' && mode !== 'consume' && mode !== 'e2e') throw new UsageError(mode ? `unknown mode '${mode}' (produce, consume or e2e)` : 'a mode is required: produce, consume or e2e');
  if (p.positional.length > 1) throw new UsageError(`unexpected argument '${p.positional[1]}'`);
  const report = p.flags.get('report');
  if (report !== undefined && !/\.(html?|svg)$/i.test(report)) throw new UsageError('--report must name an .html or .svg file');
  return {
    mode,
    topic: p.flags.get('topic') ?? 'tributary-bench',
    partitions: intOption(p, 'partitions', 3, 1),
    recordSize: intOption(p, 'record-size', 1024, 8),
    durationMs: durationOption(p, 'duration', 10_000),
    warmupMs: durationOption(p, 'warmup', 0),
    rate: intOption(p, 'rate', 0, 0),
    producers: intOption(p, 'producers', 1, 1),
    consumers: intOption(p, 'consumers', 1, 1),
    batch: intOption(p, 'batch', 100, 1),
    inFlight: intOption(p, 'in-flight', 4, 1),
    acks: parseAcks(p.flags.get('acks')),
    compression: parseCompression(p.flags.get('compression')),
    bootstrap: baseOptions(p, deps.env, 'x').bootstrapBrokers,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
const nowMs = () => performance.timeOrigin + performance.now();

async function bench(p: ParsedArgs, deps: CliDeps): Promise<number> {
  const cfg = configFrom(p, deps);
  const kafka = await loadKafka();
  await ensureTopic(kafka, p, deps, cfg);

  const stats = new BenchStats();
  let measuring = false;
  let stopping = false;
  const unsubscribe = deps.onSignal(() => (stopping = true));
  const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY);
  const producerStats = cfg.mode === 'e2e' ? new BenchStats() : stats;

  const workers: Promise<void>[] = [];
  const closers: (() => Promise<void>)[] = [];
  const payload = Buffer.alloc(cfg.recordSize);
  for (let i = 0; i < cfg.recordSize; i++) payload[i] = 32 + ((i * 7919) % 95);

  try {
    let ready: Promise<void> = Promise.resolve();
    if (cfg.mode !== 'produce') {
      const started: Promise<void>[] = [];
      for (let c = 0; c < cfg.consumers; c++) {
        const consumer = new kafka.Consumer({ ...baseOptions(p, deps.env, `tributary-bench-consumer-${c}`), groupId: `tributary-bench-${process.pid}-${Date.now()}` });
        closers.push(() => new Promise<void>((r) => consumer.close(true, () => r())));
        const stream = await consumer.consume({ topics: [cfg.topic], mode: cfg.mode === 'consume' ? 'earliest' : 'latest', autocommit: false, maxWaitTime: 100 });
        closers.unshift(() => new Promise<void>((r) => stream.close(() => r())));
        started.push(
          new Promise<void>((resolve) => {
            stream.once('data', () => resolve());
            // e2e: the first fetch means the group is joined and the offsets are resolved.
            if (cfg.mode === 'e2e') stream.once('fetch', () => resolve());
          }),
        );
        stream.on('data', (m) => {
          if (!measuring) return;
          const v = m.value as Buffer;
          const size = v.length + ((m.key as Buffer | undefined)?.length ?? 0);
          if (cfg.mode === 'e2e' && v.length >= 8) stats.record(size, nowMs() - v.readDoubleLE(0));
          else stats.record(size);
        });
        stream.on('error', (e) => stats.error(1, e));
      }
      // e2e starts producing once the consumers have joined; consume starts the clock at the
      // first record so connecting and the group join are not measured.
      ready = Promise.race([Promise.all(started).then(() => undefined), sleep(30_000)]);
    }
    await ready;

    if (cfg.mode !== 'consume') {
      const perProducerRate = cfg.rate / cfg.producers;
      for (let i = 0; i < cfg.producers; i++) {
        const producer = new kafka.Producer({ ...baseOptions(p, deps.env, `tributary-bench-producer-${i}`), acks: cfg.acks, compression: cfg.compression, autocreateTopics: false });
        closers.push(() => producer.close().catch(() => undefined));
        workers.push(produceLoop(producer, cfg, perProducerRate, payload, producerStats, () => measuring, () => stopping));
      }
    }

    if (cfg.warmupMs > 0) await sleep(cfg.warmupMs);
    measuring = true;
    const t0 = performance.now();
    let lastProgress = 0;
    // One tick per second on a fixed schedule (the last one may be shorter), so intervals never
    // drift or shrink to slivers.
    const ticks = Math.ceil(cfg.durationMs / 1000);
    for (let i = 1; i <= ticks && !stopping; i++) {
      const due = Math.min(i * 1000, cfg.durationMs);
      const wait = due - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      const t = (performance.now() - t0) / 1000;
      const s = stats.tick(Math.round(t * 1000) / 1000);
      const seconds = s.t - (stats.timeline.at(-2)?.t ?? 0);
      if (cfg.mode === 'e2e') producerStats.tick(s.t);
      if (tty) deps.stderr(`\r${progressLine(s, seconds, cfg.mode !== 'consume')}\x1b[K`);
      else if (t - lastProgress >= 5 || i === ticks) {
        deps.stderr(`${progressLine(s, seconds, cfg.mode !== 'consume')}\n`);
        lastProgress = t;
      }
    }
    stopping = true;
    measuring = false;
    const durationMs = performance.now() - t0;
    if (tty) deps.stderr('\n');
    await Promise.race([Promise.all(workers), sleep(10_000)]);

    const result: BenchResult = {
      mode: cfg.mode,
      config: cfg,
      records: stats.records,
      bytes: Math.round(stats.bytes),
      errors: stats.errors + (cfg.mode === 'e2e' ? producerStats.errors : 0),
      firstError: stats.firstError ?? producerStats.firstError,
      durationMs: Math.round(durationMs),
      recordsPerSec: Math.round((stats.records / durationMs) * 1000 * 10) / 10,
      mbPerSec: Math.round((stats.bytes / durationMs / 1000) * 1000) / 1000,
      latencyMs: stats.latency(),
      latencyKind: cfg.mode === 'produce' ? 'ack' : cfg.mode === 'e2e' ? 'end-to-end' : 'none',
      percentiles: stats.percentileCurve(),
      timeline: stats.timeline,
    };
    const reportFile = p.flags.get('report');
    if (reportFile) await writeFile(reportFile, /\.svg$/i.test(reportFile) ? renderSvgReport(result) : renderHtmlReport(result));
    if (p.booleans.has('json')) printJson(deps, result);
    else deps.stdout(summaryLine(result) + '\n');
    if (result.errors > 0) deps.stderr(`tributary bench: ${result.errors} error(s); first: ${result.firstError}\n`);
    if (result.records === 0) {
      deps.stderr('tributary bench: no records were measured\n');
      return 1;
    }
    return result.errors > 0 ? 1 : 0;
  } finally {
    unsubscribe();
    for (const close of closers) await Promise.race([close(), sleep(5000)]);
  }
}

async function ensureTopic(kafka: Awaited<ReturnType<typeof loadKafka>>, p: ParsedArgs, deps: CliDeps, cfg: BenchConfig): Promise<void> {
  const admin = new kafka.Admin(baseOptions(p, deps.env, 'tributary-bench'));
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(cfg.topic)) {
      if (cfg.mode === 'consume') throw new Error(`topic ${cfg.topic} does not exist: fill it first (tributary bench produce --topic ${cfg.topic})`);
      await admin.createTopics({ topics: [cfg.topic], partitions: cfg.partitions, replicas: -1 }).catch((e) => {
        if (!/TOPIC_ALREADY_EXISTS/.test(errorText(e))) throw e;
      });
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function produceLoop(
  producer: import('@platformatic/kafka').Producer<Buffer, Buffer, Buffer, Buffer>,
  cfg: BenchConfig,
  rate: number,
  payload: Buffer,
  stats: BenchStats,
  measuring: () => boolean,
  stopping: () => boolean,
): Promise<void> {
  const start = performance.now();
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  while (!stopping()) {
    if (rate > 0) {
      // Paced: each batch is due when the rate says so; a late batch goes at once.
      const due = start + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (stopping()) break;
    }
    const n = rate > 0 ? Math.max(1, Math.min(cfg.batch, Math.ceil(rate / 100))) : cfg.batch;
    const messages = [];
    const sentAt = nowMs();
    for (let i = 0; i < n; i++) {
      const value = Buffer.from(payload);
      value.writeDoubleLE(sentAt, 0);
      messages.push({ topic: cfg.topic, value });
    }
    sent += n;
    const counted = measuring();
    const t = performance.now();
    const op = producer
      .send({ messages })
      .then(
        () => {
          if (counted && cfg.mode === 'produce') stats.batch(n, n * payload.length, performance.now() - t);
          else if (counted) stats.batch(n, n * payload.length, performance.now() - t);
        },
        (e) => {
          if (counted) stats.error(n, e);
        },
      )
      .finally(() => inFlight.delete(op));
    inFlight.add(op);
    if (inFlight.size >= cfg.inFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

const fmt = (v: number | null, digits = 2) => (v === null ? '-' : v.toFixed(digits));

function progressLine(s: IntervalStats, seconds: number, latency: boolean): string {
  const per = seconds > 0 ? 1 / seconds : 1;
  const lat = latency ? `  p50 ${fmt(s.p50Ms)} ms  p99 ${fmt(s.p99Ms)} ms` : '';
  return `${s.t.toFixed(Number.isInteger(s.t) ? 0 : 1).padStart(4)}s  ${Math.round(s.records * per).toLocaleString('en-US').padStart(10)} rec/s  ${((s.bytes * per) / 1e6).toFixed(2).padStart(8)} MB/s${lat}  errors ${s.errors}`;
}

export function summaryLine(r: BenchResult): string {
  const l = r.latencyMs;
  const latency = r.latencyKind === 'none' ? '' : `, ${r.latencyKind} latency ms p50 ${fmt(l.p50)} p95 ${fmt(l.p95)} p99 ${fmt(l.p99)} p99.9 ${fmt(l.p999)} max ${fmt(l.max)}`;
  return `${r.mode}: ${r.records} records in ${(r.durationMs / 1000).toFixed(1)}s, ${r.recordsPerSec.toFixed(1)} records/s, ${r.mbPerSec.toFixed(2)} MB/s${latency}, errors ${r.errors}`;
}

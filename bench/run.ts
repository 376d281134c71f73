// `npm run bench [-- options]`: runs every scenario against the null sink and the broker in the
// same run (interleaved: null, then broker, per scenario), prints the tables and writes
// bench/results/<timestamp>.json plus latest.json (latest-quick.json for --quick).
//
//   --quick            short windows, fewer sizes (under ~40 s)
//   --micro            run the micro-benchmarks (bench/micro/) instead
//   --target T         null | broker | both (default both)
//   --only a,b         produce, fetch, latency, e2e, client (client = @platformatic/kafka
//                      producer; part of full runs, not of --quick)
//   --latency-rate N   produce-latency rate in requests/s (default: 50 % of the slower target's
//                      closed-loop request rate for the same batch size, see README)
//   --profile          start the broker with --cpu-prof; profiles land in bench/results/profiles/
//   --no-save          print only (partial runs -- --only / --target -- never replace latest.json)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from './load-generator.js';
import { createTopics } from './lib/kafka-calls.js';
import { MiB } from './lib/meter.js';
import { REPO_ROOT, startBroker, startNullSink, type Target, type TargetName } from './lib/targets.js';
import { computeRatio, ok, renderReport, type BenchReport, type Outcome, type ScenarioRecord } from './report.js';
import { runE2eLatency } from './scenarios/e2e-latency.js';
import { runClientProduce } from './scenarios/client-produce.js';
import { runFetchThroughput } from './scenarios/fetch-throughput.js';
import { runProduceLatency } from './scenarios/produce-latency.js';
import { runProduceThroughput } from './scenarios/produce-throughput.js';

const KiB = 1024;
const PARTITIONS = 4;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    micro: { type: 'boolean', default: false },
    target: { type: 'string', default: 'both' },
    only: { type: 'string' },
    'latency-rate': { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});

if (args.micro) {
  const { runMicro } = await import('./micro/run-micro.js');
  await runMicro();
  process.exit(0);
}

const quick = args.quick!;
const only = new Set((args.only ?? (args.quick ? 'produce,fetch,latency,e2e' : 'produce,fetch,latency,e2e,client')).split(','));
const targetNames: TargetName[] = args.target === 'both' ? ['null', 'broker'] : [args.target as TargetName];
const T = quick
  ? { warmupMs: 300, measureMs: 1200, latWarmupMs: 300, latMeasureMs: 2000, batches: [16 * KiB, 1024 * KiB], fetchPrepare: 64 * MiB }
  : { warmupMs: 1000, measureMs: 4000, latWarmupMs: 1000, latMeasureMs: 5000, batches: [16 * KiB, 256 * KiB, 1024 * KiB], fetchPrepare: 512 * MiB };
const FETCH_BATCH = 256 * KiB;
const LATENCY_BATCH = 16 * KiB;
const E2E_RATE = 1000;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
const report: BenchReport = { meta: {}, scenarios: [], issues: [], aims: [] };
const targets = new Map<TargetName, Target>();

function sizeName(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / KiB}KiB`;
}

async function start(name: TargetName, attempt = 0): Promise<Target | null> {
  try {
    const t =
      name === 'null'
        ? await startNullSink({ partitions: PARTITIONS, fetchBatchBytes: FETCH_BATCH, fetchLogBytes: 16 * MiB, logFile: path.join(workDir, 'null-sink.log') })
        : await startBroker({
            logDir: path.join(workDir, `broker-data-${attempt}`),
            logFile: path.join(workDir, `broker-${attempt}.log`),
            overrides: [],
            nodeFlags: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(REPO_ROOT, 'bench', 'results', 'profiles')}`] : [],
          });
    targets.set(name, t);
    return t;
  } catch (err) {
    report.issues.push(`${name} failed to start: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    return null;
  }
}

let brokerRestarts = 0;

/** The live target, restarting the broker once if it died (after recording the crash). */
async function live(name: TargetName): Promise<Target | null> {
  const t = targets.get(name);
  if (t && !t.exit) return t;
  if (t?.exit) {
    report.issues.push(`${name} exited during the run (${JSON.stringify(t.exit)}); log tail: ${t.logTail(8).replace(/\n/g, ' | ')}`);
    targets.delete(name);
    if (name === 'broker' && brokerRestarts++ < 1) return start(name, brokerRestarts);
  }
  return null;
}

async function scenario(
  rec: Omit<ScenarioRecord, 'results' | 'ratio'>,
  topics: { name: string; partitions: number }[],
  run: (t: Target) => Promise<Outcome>,
): Promise<ScenarioRecord> {
  const s: ScenarioRecord = { ...rec, results: {}, ratio: {} };
  for (const name of targetNames) {
    const t = await live(name);
    if (!t) {
      s.results[name] = { failed: `${name} not running` };
      continue;
    }
    process.stdout.write(`  ${rec.title} -> ${name} ... `);
    try {
      const setup = await BenchConnection.connect(t.host, t.port, 'bench-setup');
      try {
        await createTopics(setup, topics);
      } finally {
        setup.close();
      }
      const res = await run(t);
      s.results[name] = res;
      if (ok(res)) {
        const extra = rec.kind === 'latency' || rec.kind === 'e2e' ? `p99 ${(res.latency.p99Us / 1000).toFixed(2)} ms` : `${res.throughput.mibPerSec.toFixed(1)} MiB/s`;
        const errs = Object.keys(res.errors).length ? ` errors ${JSON.stringify(res.errors)}` : '';
        console.log(`${extra}${errs}`);
        if (name === 'broker' && errs) report.issues.push(`${rec.title}: broker errors ${JSON.stringify(res.errors)}`);
      }
    } catch (err) {
      const msg = (err as Error).stack ?? String(err);
      s.results[name] = { failed: msg };
      console.log(`FAILED: ${(err as Error).message}`);
      if (name === 'broker') report.issues.push(`${rec.title}: ${(err as Error).message}`);
    }
    if (t.exit) await live(name); // records the crash right away
  }
  computeRatio(s);
  report.scenarios.push(s);
  return s;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  report.meta = {
    date: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()}`,
    commit: gitCommit(),
    partitions: PARTITIONS,
    recordBytes: 1024,
    warmupMs: T.warmupMs,
    measureMs: T.measureMs,
  };
  console.log(`tributary bench (${quick ? 'quick' : 'full'}), work dir ${workDir}`);
  for (const name of targetNames) await start(name);

  const produce16 = new Map<number, ScenarioRecord>();
  if (only.has('produce')) {
    for (const batch of T.batches) {
      for (const acks of [1, -1]) {
        const topic = `produce-${sizeName(batch)}-acks${acks === -1 ? 'all' : acks}`;
        const params = { topic, partitions: PARTITIONS, connections: 2, batchBytes: batch, acks, inflight: 5, warmupMs: T.warmupMs, measureMs: T.measureMs };
        const s = await scenario(
          { id: topic, title: `produce ${sizeName(batch)} batches acks=${acks}`, kind: 'produce', params },
          [{ name: topic, partitions: PARTITIONS }],
          (t) => runProduceThroughput(t, params),
        );
        if (batch === LATENCY_BATCH) produce16.set(acks, s);
      }
    }
  }

  if (only.has('fetch')) {
    const params = { topic: 'fetch-256KiB', partitions: PARTITIONS, connections: 2, batchBytes: FETCH_BATCH, partitionMaxBytes: 1024 * KiB, warmupMs: T.warmupMs, measureMs: T.measureMs };
    await scenario(
      { id: 'fetch-256KiB', title: `fetch ${sizeName(FETCH_BATCH)} batches, 1 MiB/partition`, kind: 'fetch', params: { ...params, prepareBytes: T.fetchPrepare } },
      [{ name: params.topic, partitions: PARTITIONS }],
      (t) => runFetchThroughput(t, { ...params, prepareBytes: t.name === 'broker' ? T.fetchPrepare : 0 }),
    );
  }

  if (only.has('latency')) {
    for (const acks of [1, -1]) {
      const base = produce16.get(1);
      let rate = args['latency-rate'] ? Number(args['latency-rate']) : 2000;
      if (!args['latency-rate'] && base) {
        const rates = Object.values(base.results).filter(ok).map((r) => r.throughput.requestsPerSec);
        if (rates.length) rate = Math.min(...rates) * 0.5;
      }
      rate = Math.round(Math.max(100, Math.min(5000, rate)));
      const topic = `latency-acks${acks === -1 ? 'all' : acks}`;
      const params = { topic, partition: 0, batchBytes: LATENCY_BATCH, acks, rate, warmupMs: T.latWarmupMs, measureMs: T.latMeasureMs, maxInflight: 1000 };
      await scenario(
        { id: topic, title: `produce latency ${sizeName(LATENCY_BATCH)} acks=${acks}`, kind: 'latency', params },
        [{ name: topic, partitions: 1 }],
        (t) => runProduceLatency(t, params),
      );
    }
  }

  if (only.has('e2e')) {
    const params = { topic: 'e2e-latency', rate: E2E_RATE, warmupMs: T.latWarmupMs, measureMs: T.latMeasureMs };
    await scenario(
      { id: 'e2e', title: 'end-to-end 1 KiB records, acks=1', kind: 'e2e', params },
      [{ name: params.topic, partitions: 1 }],
      (t) => runE2eLatency(t, params),
    );
  }

  if (only.has('client')) {
    const params = { topic: 'client-produce', partitions: PARTITIONS, recordsPerPartition: 16, concurrency: 4, warmupMs: T.warmupMs, measureMs: T.measureMs };
    await scenario(
      { id: 'client-produce', title: '@platformatic/kafka producer, 4 x 16 x 1 KiB per send, acks=1', kind: 'client', params },
      [{ name: params.topic, partitions: PARTITIONS }],
      (t) => runClientProduce(t, params),
    );
  }

  evaluateAims();
  report.meta.seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  console.log('');
  console.log(renderReport(report));
  if (!args['no-save']) save(startedAt);
}

function evaluateAims(): void {
  const produce = report.scenarios.filter((s) => s.kind === 'produce' && s.ratio.mibPerSec !== undefined);
  if (produce.length) {
    const worst = Math.min(...produce.map((s) => s.ratio.mibPerSec!));
    report.aims.push({ text: `produce >= 70 % of the null sink (worst ratio ${(worst * 100).toFixed(0)} %)`, met: worst >= 0.7 });
  }
  const fetch = report.scenarios.find((s) => s.kind === 'fetch');
  const prod = report.scenarios.find((s) => s.id === 'produce-256KiB-acks1') ?? report.scenarios.find((s) => s.kind === 'produce');
  const fb = fetch?.results.broker;
  const pb = prod?.results.broker;
  if (ok(fb) && ok(pb)) {
    report.aims.push({
      text: `broker consumes faster than it produces (fetch ${fb.throughput.mibPerSec.toFixed(0)} vs ${prod!.title} ${pb.throughput.mibPerSec.toFixed(0)} MiB/s)`,
      met: fb.throughput.mibPerSec > pb.throughput.mibPerSec,
    });
  }
}

function save(startedAt: Date): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const partial = args.only !== undefined || args.target !== 'both';
  const name = `${stamp}${quick ? '-quick' : ''}${partial ? '-partial' : ''}.json`;
  writeFileSync(path.join(dir, name), json);
  if (!partial) writeFileSync(path.join(dir, quick ? 'latest-quick.json' : 'latest.json'), json);
  console.log(`results: bench/results/${name}${partial ? '' : ` and ${quick ? 'latest-quick.json' : 'latest.json'}`}`);
}

async function shutdown(): Promise<void> {
  await Promise.all([...targets.values()].map((t) => t.stop()));
  rmSync(workDir, { recursive: true, force: true });
}

process.on('SIGINT', () => void shutdown().then(() => process.exit(130)));
try {
  await main();
} finally {
  await shutdown();
}

// `npm run bench [-- options]`: runs every scenario against the null sink and the broker in the
// same run, in alternating rounds (see lib/rounds.ts), prints the tables and writes
// bench/results/<timestamp>.json plus latest.json (latest-quick.json for --quick).
//
//   --quick            one short round per scenario, fewer sizes (under ~40 s)
//   --micro            run the micro-benchmarks (bench/micro/) instead
//   --target T         null | broker | both (default both), or a list such as broker,kafka
//   --with-kafka       add Apache Kafka (test/helpers/kafka-reference.ts, 1 node, stock JVM flags,
//                      default config) as a third target in the same rounds; adds ~2 min and
//                      writes latest-vs-kafka.json instead of latest.json (`npm run bench:vs-kafka`)
//                      (and a produce-latency rate of 512 req/s instead of 2048 unless given)
//   --kafka-property k=v    server.properties entry for that Kafka (repeatable; a tuned run)
//   --tuned            with Kafka: two more targets in the same rounds, broker-tuned and
//                      kafka-tuned, with the settings of bench/vs-kafka/tuned.ts (plus
//                      --broker-tuned-override k=v / --kafka-tuned-property k=v, repeatable);
//                      writes latest-vs-kafka-tuned.json
//   --only a,b         produce, fetch, latency, e2e, client (client = @platformatic/kafka
//                      producer; part of full runs, not of --quick)
//   --rounds N         rounds per scenario and target (default 2, quick 1)
//   --latency-rate N   produce-latency rate in requests/s of one 16 KiB batch (default 2048,
//                      i.e. 32 MiB/s)
//   --profile          start the broker with --cpu-prof; profiles land in bench/results/profiles/
//   --broker-override k=v   extra broker config (repeatable), e.g. log.segment.bytes=268435456
//   --broker-env K=V        extra environment for the broker process (repeatable), e.g.
//                           MALLOC_MMAP_THRESHOLD_=33554432 (see README, "findings")
//   --cluster          instead of the single-broker rows: three brokers each, a 3-node Kafka
//                      KRaft cluster vs 3 Tributary brokers on etcd, produce acks=all RF 3 and
//                      consume through Kafka's perf tools (bench/vs-kafka/cluster.ts; --rounds N,
//                      --cluster-records N, --latency-rate N); writes vs-kafka-cluster-latest.json
//   --render FILE      print the tables of a saved results JSON and exit
//   --no-save          print only (partial runs -- --only / --target -- never replace latest*.json)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from './load-generator.js';
import { createTopics, waitForLeaders } from './lib/kafka-calls.js';
import type { RunFigures } from './lib/meter.js';
import { combineRounds, withoutHistograms } from './lib/rounds.js';
import { REPO_ROOT, startBroker, startKafka, startNullSink, type Target, type TargetName } from './lib/targets.js';
import { BROKER_TUNED_ENV, BROKER_TUNED_OVERRIDES, KAFKA_TUNED } from './vs-kafka/tuned.js';
import { planScenarios, type Plan, type PlannedScenario } from './plan.js';
import { runProduceThroughput } from './scenarios/produce-throughput.js';
import { runProduceLatency, type LatencyParams } from './scenarios/produce-latency.js';
import { computeRatio, ok, renderReport, type BenchReport, type ScenarioRecord } from './report.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    micro: { type: 'boolean', default: false },
    target: { type: 'string', default: 'both' },
    only: { type: 'string' },
    rounds: { type: 'string' },
    'latency-rate': { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'broker-override': { type: 'string', multiple: true, default: [] },
    'broker-env': { type: 'string', multiple: true, default: [] },
    'with-kafka': { type: 'boolean', default: false },
    'kafka-property': { type: 'string', multiple: true, default: [] },
    tuned: { type: 'boolean', default: false },
    'broker-tuned-override': { type: 'string', multiple: true, default: [] },
    'kafka-tuned-property': { type: 'string', multiple: true, default: [] },
    render: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    'cluster-records': { type: 'string' },
  },
});

if (args.cluster) {
  const { runClusterBench } = await import('./vs-kafka/cluster.js');
  await runClusterBench({
    rounds: args.rounds ? Number(args.rounds) : 3,
    records: args['cluster-records'] ? Number(args['cluster-records']) : 100_000,
    rate: args['latency-rate'] ? Number(args['latency-rate']) : 1000,
    latencySeconds: 6,
    partitions: 6,
  });
  process.exit(0);
}

if (args.render) {
  // Re-print the tables of a saved run (used to refresh bench/README.md).
  const saved = JSON.parse(readFileSync(args.render, 'utf8')) as BenchReport;
  console.log(renderReport(saved));
  process.exit(0);
}

if (args.micro) {
  const { runMicro } = await import('./micro/run-micro.js');
  await runMicro();
  process.exit(0);
}

const quick = args.quick!;
const partial = args.only !== undefined || args.target !== 'both';
const withKafka = args['with-kafka']! || args.target!.split(',').includes('kafka');
const targetNames: TargetName[] = args.target === 'both' ? ['null', 'broker'] : (args.target!.split(',') as TargetName[]);
if (withKafka && !targetNames.includes('kafka')) targetNames.push('kafka');
const keyValues = (list: string[]): Record<string, string> => Object.fromEntries(list.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const kafkaProperties = keyValues(args['kafka-property']!);
if (args.tuned && withKafka) for (const n of ['broker-tuned', 'kafka-tuned'] as const) if (!targetNames.includes(n)) targetNames.push(n);
const tuned = {
  kafkaProperties: { ...KAFKA_TUNED, ...keyValues(args['kafka-tuned-property']!) },
  brokerOverrides: { ...BROKER_TUNED_OVERRIDES, ...keyValues(args['broker-tuned-override']!) },
  brokerEnv: BROKER_TUNED_ENV,
};
const plan: Plan = planScenarios({
  quick,
  only: args.only?.split(','),
  rounds: args.rounds ? Number(args.rounds) : undefined,
  // Kafka handles one request per connection at a time (the socket is muted until the answer
  // is sent), so the single-connection 2048 req/s default is beyond what one Kafka connection
  // takes on this machine and would measure a queue: vs-Kafka runs default to 512 req/s (8 MiB/s).
  latencyRate: args['latency-rate'] ? Number(args['latency-rate']) : withKafka ? 512 : undefined,
});

const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
const report: BenchReport = { meta: {}, scenarios: [], issues: [], aims: [] };
const targets = new Map<TargetName, Target>();
let brokerStarts = 0;

async function start(name: TargetName): Promise<Target | null> {
  try {
    const t =
      name === 'kafka'
        ? await startKafka({ logFile: path.join(workDir, 'kafka.log'), properties: kafkaProperties })
        : name === 'kafka-tuned'
        ? await startKafka({ name, logFile: path.join(workDir, 'kafka-tuned.log'), properties: tuned.kafkaProperties })
        : name === 'broker-tuned'
        ? await startBroker({
            name,
            logDir: path.join(workDir, 'broker-tuned-data'),
            logFile: path.join(workDir, 'broker-tuned.log'),
            overrides: Object.entries(tuned.brokerOverrides).map(([k, v]) => `${k}=${v}`),
            env: tuned.brokerEnv,
          })
        : name === 'null'
        ? await startNullSink({ partitions: plan.partitions, fetchBatchBytes: plan.fetchBatchBytes, fetchLogBytes: 16 * 1024 * 1024, logFile: path.join(workDir, 'null-sink.log') })
        : await startBroker({
            logDir: path.join(workDir, `broker-data-${brokerStarts}`),
            logFile: path.join(workDir, `broker-${brokerStarts++}.log`),
            overrides: args['broker-override']!,
            env: Object.fromEntries(args['broker-env']!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
            nodeFlags: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(REPO_ROOT, 'bench', 'results', 'profiles')}`] : [],
          });
    targets.set(name, t);
    if (t.startMs !== undefined) ((report.meta.startMs ??= {}) as Record<string, number>)[name] = Math.round(t.startMs);
    report.meta.startRssMiB ??= {};
    (report.meta.startRssMiB as Record<string, number>)[name] = Math.round(t.rssBytes() / 2 ** 20);
    return t;
  } catch (err) {
    report.issues.push(`${name} failed to start: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    return null;
  }
}

/** The live target; a broker that died is recorded as an issue and restarted once. */
async function live(name: TargetName): Promise<Target | null> {
  const t = targets.get(name);
  if (t && !t.exit) return t;
  if (t?.exit) {
    report.issues.push(`${name} exited during the run (${JSON.stringify(t.exit)}); log tail: ${t.logTail(8).replace(/\n/g, ' | ')}`);
    targets.delete(name);
    if (name === 'broker' && brokerStarts < 2) return start(name);
  }
  return null;
}

async function runOnce(s: PlannedScenario, t: Target): Promise<RunFigures> {
  const setup = await BenchConnection.connect(t.host, t.port, 'bench-setup');
  try {
    await createTopics(setup, s.topics);
    // The null sink has no ListOffsets (and its leadership is instant).
    if (t.name !== 'null') await waitForLeaders(setup, s.topics);
  } finally {
    setup.close();
  }
  return s.run(t);
}

async function runScenario(s: PlannedScenario): Promise<void> {
  const rec: ScenarioRecord = { id: s.id, title: s.title, kind: s.kind, params: s.params, results: {}, rounds: {}, ratio: {} };
  const latencyKind = s.kind === 'latency' || s.kind === 'e2e';
  const failures: Partial<Record<TargetName, string>> = {};
  for (let round = 0; round < plan.rounds; round++) {
    // Alternate the order so a slow drift in machine load does not favour one target.
    const order = round % 2 === 0 ? targetNames : [...targetNames].reverse();
    for (const name of order) {
      if (failures[name]) continue;
      const t = await live(name);
      if (!t) {
        failures[name] = `${name} not running`;
        continue;
      }
      process.stdout.write(`  ${s.title} -> ${name}${plan.rounds > 1 ? ` (round ${round + 1})` : ''} ... `);
      try {
        const res = await runOnce(s, t);
        res.extra.targetRssMiB = Math.round(t.rssBytes() / 1024 / 1024); // growth across scenarios hints at leaks
        (rec.rounds[name] ??= []).push(res);
        const main = latencyKind ? `p50 ${(res.latency.p50Us / 1000).toFixed(2)} ms, p99 ${(res.latency.p99Us / 1000).toFixed(2)} ms` : `${res.throughput.mibPerSec.toFixed(1)} MiB/s`;
        const errs = Object.keys(res.errors).length ? ` errors ${JSON.stringify(res.errors)}` : '';
        console.log(`${main} (other load ${res.cpu.otherLoadCores.toFixed(1)} cores)${errs}`);
      } catch (err) {
        failures[name] = (err as Error).stack ?? String(err);
        console.log(`FAILED: ${(err as Error).message}`);
      }
      if (t.exit) await live(name); // records a crash right away
    }
  }
  for (const name of targetNames) {
    const rounds = rec.rounds[name];
    if (rounds?.length) rec.results[name] = combineRounds(latencyKind, rounds);
    else rec.results[name] = { failed: failures[name] ?? 'not run' };
    const r = rec.results[name]!;
    if (name !== 'broker') {
      if (name !== 'null' && failures[name]) report.issues.push(`${s.title}: ${name} ${failures[name]!.split('\n')[0]}`);
      continue;
    }
    if (failures.broker) report.issues.push(`${s.title}: ${failures.broker.split('\n')[0]}`);
    if (ok(r) && Object.keys(r.errors).length) report.issues.push(`${s.title}: broker errors ${JSON.stringify(r.errors)}`);
  }
  computeRatio(rec);
  report.scenarios.push(rec);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function evaluateAims(): void {
  const produce = report.scenarios.filter((s) => s.kind === 'produce' && s.ratio.mibPerSec !== undefined);
  if (produce.length) {
    const worst = produce.reduce((a, b) => (b.ratio.mibPerSec! < a.ratio.mibPerSec! ? b : a));
    report.aims.push({ text: `produce >= 70 % of the null sink (worst: ${worst.title}, ${(worst.ratio.mibPerSec! * 100).toFixed(0)} %)`, met: worst.ratio.mibPerSec! >= 0.7 });
  }
  const fetch = report.scenarios.find((s) => s.kind === 'fetch');
  const prod = report.scenarios.find((s) => s.id === 'produce-256KiB-acks1') ?? report.scenarios.find((s) => s.kind === 'produce');
  const fb = fetch?.results.broker;
  const pb = prod?.results.broker;
  if (ok(fb) && ok(pb)) {
    report.aims.push({
      text: `broker consumes faster than it produces (fetch ${fb.throughput.mibPerSec.toFixed(0)} MiB/s vs ${prod!.title} ${pb.throughput.mibPerSec.toFixed(0)} MiB/s)`,
      met: fb.throughput.mibPerSec > pb.throughput.mibPerSec,
    });
  }
}

function save(startedAt: Date): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, withoutHistograms, 2)}\n`;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const name = `${stamp}${quick ? '-quick' : ''}${partial ? '-partial' : ''}.json`;
  writeFileSync(path.join(dir, name), json);
  const latest = withKafka ? `latest-vs-kafka${targetNames.includes('kafka-tuned') ? '-tuned' : ''}${quick ? '-quick' : ''}.json` : quick ? 'latest-quick.json' : 'latest.json';
  const saveLatest = !partial || (withKafka && args.only === undefined);
  if (saveLatest) writeFileSync(path.join(dir, latest), json);
  console.log(`results: bench/results/${name}${saveLatest ? ` and ${latest}` : ''}`);
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
    rounds: plan.rounds,
    partitions: plan.partitions,
    recordBytes: 1024,
    brokerOverrides: args['broker-override'],
    brokerEnv: args['broker-env'],
    targets: targetNames,
    ...(withKafka ? { kafkaProperties, kafkaJvm: 'stock: -Xms1G -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=20 (kafka-server-start.sh)' } : {}),
    ...(targetNames.includes('kafka-tuned') ? { tuned } : {}),
    loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
  console.log(`tributary bench (${quick ? 'quick' : 'full'}, ${plan.rounds} round(s) per target), work dir ${workDir}`);
  for (const name of targetNames) await start(name);
  if (withKafka) {
    // The JVM compiles its hot paths over the first seconds of load (V8 does too, faster): give
    // every target the same few seconds of produce load before anything is measured.
    for (const name of targetNames) {
      const t = targets.get(name);
      if (!t) continue;
      const params = { topic: 'warmup', partitions: plan.partitions, connections: 2, batchBytes: 16 * 1024, acks: 1, inflight: 5, warmupMs: 500, measureMs: quick ? 2000 : 4000 };
      process.stdout.write(`  warm-up -> ${name} ... `);
      const r = await runOnce({ id: 'warmup', title: 'warm-up', kind: 'produce', params, topics: [{ name: 'warmup', partitions: plan.partitions }], run: (x) => runProduceThroughput(x, params) }, t);
      console.log(`${r.throughput.mibPerSec.toFixed(1)} MiB/s (not recorded)`);
    }
  }
  const latencyScenario = plan.scenarios.find((s) => s.kind === 'latency');
  if (latencyScenario && !withKafka) {
    // A fresh process's first seconds of load are a one-time cost, not its latency: V8 compiles
    // the hot paths, the old generation grows to its working size (the broker: 3 Mark-Compacts of
    // 4-10 ms in its first ~2 s of the 16 KiB latency load, none in the minutes after), the tail
    // cache and frame pool fill. Measured without this, the first latency round of a fresh broker
    // had a p99 of 5-9 ms and the later rounds 1.5-2 ms (bench/README.md change log, 2026-12-08).
    // So every target first gets the latency scenario's own load, unrecorded (gentle: ~90 MB,
    // unlike the vs-Kafka throughput warm-up below, whose dirty pages would stall these rows).
    for (const name of targetNames) {
      const t = targets.get(name);
      if (!t) continue;
      const params = { ...(latencyScenario.params as unknown as LatencyParams), topic: 'warmup-latency', acks: 1, warmupMs: 0, measureMs: quick ? 1500 : 3000 };
      process.stdout.write(`  latency warm-up -> ${name} ... `);
      const r = await runOnce({ id: 'warmup-latency', title: 'latency warm-up', kind: 'latency', params, topics: [{ name: 'warmup-latency', partitions: 1 }], run: (x) => runProduceLatency(x, params) }, t);
      console.log(`p99 ${(r.latency.p99Us / 1000).toFixed(2)} ms (not recorded)`);
    }
  }
  for (const s of plan.scenarios) await runScenario(s);
  evaluateAims();
  report.meta.seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  report.meta.loadAverageAtEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
  console.log('');
  console.log(renderReport(report));
  if (!args['no-save']) save(startedAt);
}

async function shutdown(): Promise<void> {
  await Promise.all([...targets.values()].map((t) => t.stop()));
  if (report.issues.length) {
    // Keep the broker logs next to the results (git-ignored) so the issues can be looked into.
    const dir = path.join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(workDir).filter((n) => n.endsWith('.log'))) copyFileSync(path.join(workDir, f), path.join(dir, f));
    console.log(`logs kept in bench/results/*.log`);
  }
  rmSync(workDir, { recursive: true, force: true });
}

process.on('SIGINT', () => void shutdown().then(() => process.exit(130)));
try {
  await main();
} finally {
  await shutdown();
}

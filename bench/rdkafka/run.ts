// `npm run bench:rdkafka [-- options]`: a real librdkafka client (bench/rdkafka/rdk-bench.c,
// compiled here with gcc against Debian's librdkafka-dev) at full speed against the null sink and
// the broker in the same run, alternating rounds (order null, broker, broker, null, ...):
//
//   produce 1 KiB records, acks=1     ~1 MB Produce requests (batch.size = message.max.bytes)
//   produce 1 KiB records, acks=all
//   consume from offset 0             legacy consumer, 1 MiB per fetch (librdkafka's default):
//                                     older data (a consumer catching up)
//   latency acks=all (opt-in)  one 1 KiB record at a time on a fixed schedule (--latency-rate
//                                     records/s for --latency-seconds), linger.ms 0: produce-ack
//                                     latency p50 / p99 / p99.9 per record (issue 14's latency aim)
//   e2e latency acks=all (opt-in)     the same, with a consumer in the client process reading each
//                                     record: end-to-end p50 / p99 / p99.9 too (issue 14's e2e aim)
//   tail: produce acks=1 + consume    a producer and a consumer that keeps up with it, side by
//                                     side (topic rdk-e2e-tail: the null sink keeps "e2e" topics
//                                     in memory, so its consumer gets real data too); the rate
//                                     is the consumer's. Also the consumer's largest lag (MB
//                                     behind the high watermark, and per 250 ms in the JSON) and
//                                     the broker's tail-cache hits and misses over the run (its
//                                     metrics endpoint; a checkout without those metrics: none)
//
// One partition, as a user's first benchmark would be. Throughput is the best round per target
// (disturbance only lowers it); broker CPU and, with --trace-gc, the broker's Mark-Compact and
// scavenge counts are per workload. Writes bench/results/rdkafka-<time>.json and
// rdkafka-latest.json.
//
//   --rounds N              rounds per target (default 2)
//   --produce-bytes N       bytes per produce run (default 1e9)
//   --consume-bytes N       bytes per consume run (default 512 MiB; also the null sink's log size)
//   --request-bytes N       librdkafka batch.size / message.max.bytes (default 1000000)
//   --record-bytes N        value size (default 1024)
//   --trace-gc              start the brokers with --trace-gc and count collections per workload
//                           (and their pause time: the atomic pause --trace-gc prints)
//   --loop-delay            event-loop delay of each broker per workload (p50/p99/max, 1 ms
//                           resolution; bench/lib/loop-delay-probe.mjs, bracketed by SIGUSR2)
//   --profile               start the broker with --cpu-prof (profiles in bench/results/profiles/)
//   --base-root DIR         a second broker from another checkout (e.g. `git archive` of the
//                           commit before a change, with node_modules linked), target "base":
//                           before/after in the same run
//   --root name=DIR         more brokers from other checkouts, target "name" (repeatable; e.g. a
//                           copy of this tree with one constant changed, to measure it both ways)
//   --variant k=v           a target "variant": this tree with these overrides (repeatable)
//   --broker-override k=v   extra config for every broker (repeatable)
//   --targets a,b           subset of null,nullfile,broker,base,variant (default: all that are configured)
//   --workloads a,b         of produce1,produceall,consume,tail,latency,e2e (default: all but latency and e2e;
//                           consume reads what the produce workloads of the same round wrote, so
//                           keep one of them)
//   --latency-rate N        latency: records per second (default 40000, ~40 MB/s of 1 KiB)
//   --latency-seconds N     latency: seconds per run (default 10)
//                           e2e (opt-in): the latency workload with a consumer in the same client
//                           process reading every record (a new topic per round): produce-ack and
//                           end-to-end (produce call → record in the consumer) p50 / p99 / p99.9
//   --null-file             one more target, "nullfile": the null sink also appending each produced
//                           partition's records to a file (one write per request), i.e. the ceiling
//                           of a broker that keeps the bytes in the page cache; ratios broker/nullfile
//   --no-save               print only
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from '../load-generator.js';
import { createTopics, waitForLeaders } from '../lib/kafka-calls.js';
import { freePort, REPO_ROOT, startBroker, startNullSink, type Target } from '../lib/targets.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'produce-bytes': { type: 'string', default: String(1e9) },
    'consume-bytes': { type: 'string', default: String(512 * 1024 * 1024) },
    'request-bytes': { type: 'string', default: '1000000' },
    'record-bytes': { type: 'string', default: '1024' },
    'trace-gc': { type: 'boolean', default: false },
    'loop-delay': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'base-root': { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    root: { type: 'string', multiple: true, default: [] },
    'broker-override': { type: 'string', multiple: true, default: [] },
    targets: { type: 'string' },
    workloads: { type: 'string' },
    'latency-rate': { type: 'string', default: '40000' },
    'latency-seconds': { type: 'string', default: '10' },
    'no-save': { type: 'boolean', default: false },
    'null-file': { type: 'boolean', default: false },
  },
});

const ROUNDS = Number(args.rounds);
const PRODUCE_BYTES = Number(args['produce-bytes']);
const CONSUME_BYTES = Number(args['consume-bytes']);
const REQUEST_BYTES = Number(args['request-bytes']);
const RECORD_BYTES = Number(args['record-bytes']);
const TOPIC = 'rdk-1k';
const TAIL_TOPIC = 'rdk-e2e-tail';
const RUN_TIMEOUT_MS = 180_000;

type Workload = 'produce acks=1' | 'produce acks=all' | 'consume' | 'tail: produce + consume' | 'latency acks=all' | 'e2e latency acks=all';
const WORKLOAD_NAMES: Record<string, Workload> = {
  produce1: 'produce acks=1',
  produceall: 'produce acks=all',
  consume: 'consume',
  tail: 'tail: produce + consume',
  latency: 'latency acks=all',
  e2e: 'e2e latency acks=all',
};
const WORKLOADS: Workload[] = args.workloads
  ? args.workloads.split(',').map((w) => {
      const workload = WORKLOAD_NAMES[w];
      if (!workload) throw new Error(`unknown workload ${w} (one of ${Object.keys(WORKLOAD_NAMES).join(', ')})`);
      return workload;
    })
  : Object.values(WORKLOAD_NAMES).filter((w) => w !== 'latency acks=all' && w !== 'e2e latency acks=all');
const LATENCY_TOPIC = 'rdk-latency';

interface RunResult {
  target: string;
  round: number;
  workload: Workload;
  mbPerSec: number;
  bytes: number;
  seconds: number;
  clientCpuSec: number;
  targetCpuSec: number;
  targetCores: number;
  /** Target CPU seconds per GB moved (1e9 bytes), and its user / system parts. */
  targetCpuSecPerGb?: number;
  targetUserSecPerGb?: number;
  targetSysSecPerGb?: number;
  markCompacts?: number;
  scavenges?: number;
  /** --trace-gc: summed atomic pauses, ms. */
  markCompactMs?: number;
  scavengeMs?: number;
  /** --loop-delay: the broker's event-loop delay during the workload, ms. */
  loopDelay?: { p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number; samples: number };
  error: string | null;
  /** tail: the producer's rate beside the consumer. */
  producerMbPerSec?: number;
  /** tail: the consumer's largest lag behind the high watermark (MB of records), and per 250 ms. */
  maxLagMb?: number;
  lagMbPer250ms?: number[];
  /** tail: the broker's tail-cache reads over the run (metrics endpoint; absent on checkouts without them). */
  tailCacheHits?: number;
  tailCacheMisses?: number;
  /** latency: produce-ack latency percentiles, ms. */
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxMs?: number;
  /** e2e: produce call → record in the consumer, percentiles, ms. */
  e2eP50Ms?: number;
  e2eP99Ms?: number;
  e2eP999Ms?: number;
  e2eMaxMs?: number;
}

function perGb(bytes: number, cpu: number, user: number, sys: number): Pick<RunResult, 'targetCpuSecPerGb' | 'targetUserSecPerGb' | 'targetSysSecPerGb'> {
  if (!(bytes > 0) || !Number.isFinite(user)) return {};
  const r = (x: number) => Math.round((x / (bytes / 1e9)) * 100) / 100;
  return { targetCpuSecPerGb: r(cpu), targetUserSecPerGb: r(user), targetSysSecPerGb: r(sys) };
}

function compile(workDir: string): string {
  const bin = path.join(workDir, 'rdk-bench');
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-o', bin, path.join(REPO_ROOT, 'bench', 'rdkafka', 'rdk-bench.c'), '-lrdkafka'], { stdio: 'inherit' });
  } catch {
    throw new Error('compiling bench/rdkafka/rdk-bench.c failed: needs gcc and librdkafka-dev (apt-get install librdkafka-dev)');
  }
  return bin;
}

function runClient(bin: string, argv: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`rdk-bench ${argv[0]} exited ${code}: ${err.slice(-2000)}${out.slice(-500)}`));
      }
    });
  });
}

/** User and system CPU seconds of `pid` so far (/proc): page-cache and socket copies are system time. */
function cpuSplit(pid: number): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[11]) / 100, Number(f[12]) / 100]; // utime, stime in USER_HZ ticks
  } catch {
    return [NaN, NaN];
  }
}

/**
 * The workloads of one round in running order. produce acks=1 and acks=all swap places every
 * other round: the first GB a round writes often lands on page-cache pages the VM has backed
 * already, later ones on pages it must fault in (~2-3 CPU s per GB here), so a fixed order made
 * whichever ran second look slower (acks=all, in the 17:17 quiet run).
 */
function roundWorkloads(round: number): Workload[] {
  const w = [...WORKLOADS];
  const a = w.indexOf('produce acks=1');
  const b = w.indexOf('produce acks=all');
  if (round % 2 === 1 && a >= 0 && b >= 0) [w[a], w[b]] = [w[b]!, w[a]!];
  return w;
}

/** Mark-Compact and Scavenge lines --trace-gc wrote to the target's log since `from`, and their pauses. */
function gcCounts(logFile: string, from: number): { markCompacts: number; scavenges: number; markCompactMs: number; scavengeMs: number; size: number } {
  const text = readFileSync(logFile, 'latin1').slice(from);
  // "... Mark-Compact 21.5 (52.5) -> 12.6 (54.0) MB, 41.01 / 0.07 ms ...": the first figure is the pause.
  const pauses = (kind: string) => [...text.matchAll(new RegExp(`${kind} [^\n]*? MB, ([0-9.]+) / `, 'g'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    markCompacts: (text.match(/Mark-Compact/g) ?? []).length,
    scavenges: (text.match(/Scavenge/g) ?? []).length,
    markCompactMs: Math.round(pauses('Mark-Compact')),
    scavengeMs: Math.round(pauses('Scavenge')),
    size: from + text.length,
  };
}

/** The broker's tail-cache hit and miss counters (metrics endpoint), or null when it has none. */
async function tailCacheCounts(metricsPort: number | undefined): Promise<{ hits: number; misses: number } | null> {
  if (metricsPort === undefined) return null;
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const hits = /^tributary_log_tail_cache_hits_total (\S+)$/m.exec(text);
    const misses = /^tributary_log_tail_cache_misses_total (\S+)$/m.exec(text);
    return hits && misses ? { hits: Number(hits[1]), misses: Number(misses[1]) } : null;
  } catch {
    return null;
  }
}

const LOOP_PROBE = path.join(REPO_ROOT, 'bench', 'lib', 'loop-delay-probe.mjs');

/** Asks the broker's probe for the loop delay since its last report; reads the line from its log. */
async function loopDelay(pid: number, logFile: string): Promise<RunResult['loopDelay'] | undefined> {
  const from = statSync(logFile).size;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await new Promise((res) => setTimeout(res, 20));
    const m = /LOOP_DELAY (\{[^\n]*\})\n/.exec(readFileSync(logFile, 'latin1').slice(from));
    if (m) return JSON.parse(m[1]!) as RunResult['loopDelay'];
  }
  return undefined;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-rdk-'));
  const bin = compile(workDir);
  const gcFlags = args['trace-gc'] ? ['--trace-gc'] : [];
  const logs = new Map<string, string>();
  const targets = new Map<string, Target>();
  const metricsPorts = new Map<string, number>();
  const wanted = new Set((args.targets ?? ['null', 'nullfile', 'broker', 'base', 'variant'].join(',')).split(','));
  try {
    if (wanted.has('null')) {
      const f = path.join(workDir, 'null-sink.log');
      targets.set('null', await startNullSink({ partitions: 1, fetchBatchBytes: REQUEST_BYTES, fetchLogBytes: CONSUME_BYTES, logFile: f }));
      logs.set('null', f);
    }
    if (args['null-file'] && wanted.has('nullfile')) {
      const f = path.join(workDir, 'nullfile-sink.log');
      const writeDir = path.join(workDir, 'nullfile-data');
      mkdirSync(writeDir);
      targets.set('nullfile', await startNullSink({ partitions: 1, fetchBatchBytes: REQUEST_BYTES, fetchLogBytes: CONSUME_BYTES, logFile: f, writeDir }));
      logs.set('nullfile', f);
    }
    const brokerTarget = async (name: string, root: string | null, overrides: string[]) => {
      const f = path.join(workDir, `${name}.log`);
      const metricsPort = await freePort();
      metricsPorts.set(name, metricsPort);
      const profile = args.profile && name === 'broker' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(REPO_ROOT, 'bench', 'results', 'profiles')}`] : [];
      const t = await startBroker({
        logDir: path.join(workDir, `${name}-data`),
        logFile: f,
        overrides: [`tributary.metrics.port=${metricsPort}`, ...args['broker-override']!, ...overrides],
        nodeFlags: [...gcFlags, ...profile, ...(args['loop-delay'] ? ['--import', LOOP_PROBE] : [])],
        root: root ?? undefined,
      });
      targets.set(name, t);
      logs.set(name, f);
    };
    if (wanted.has('broker')) await brokerTarget('broker', null, []);
    if (args['base-root'] && wanted.has('base')) await brokerTarget('base', path.resolve(args['base-root']), []);
    if (args.variant!.length > 0 && wanted.has('variant')) await brokerTarget('variant', null, args.variant!);
    for (const spec of args.root!) {
      const eq = spec.indexOf('=');
      await brokerTarget(spec.slice(0, eq), path.resolve(spec.slice(eq + 1)), []);
    }

    for (const [name, t] of targets) {
      const conn = await BenchConnection.connect(t.host, t.port);
      const topics = [TOPIC, TAIL_TOPIC, LATENCY_TOPIC].map((n) => ({ name: n, partitions: 1 }));
      await createTopics(conn, topics);
      if (!name.startsWith('null')) await waitForLeaders(conn, topics);
      conn.close();
    }

    const results: RunResult[] = [];
    const names = [...targets.keys()];
    /** Records in each target's tail topic so far: where the next tail consumer starts. */
    const tailEnd = new Map<string, number>(names.map((n) => [n, 0]));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so that neither target always runs first (page cache, other load).
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const workload of roundWorkloads(round)) {
        for (const name of order) {
          const t = targets.get(name)!;
          const bootstrap = `${t.host}:${t.port}`;
          const logFile = logs.get(name)!;
          if (args['loop-delay'] && !name.startsWith('null')) await loopDelay(t.pid, logFile); // starts this workload's interval
          const gcFrom = statSync(logFile).size;
          const cpu0 = t.cpuSeconds();
          const [user0, sys0] = cpuSplit(t.pid);
          const argv =
            workload === 'consume'
              ? ['consume', bootstrap, TOPIC, String(CONSUME_BYTES), '1048576']
              : ['produce', bootstrap, TOPIC, workload.endsWith('all') ? 'all' : '1', String(PRODUCE_BYTES), String(RECORD_BYTES), String(REQUEST_BYTES)];
          let r: Record<string, unknown>;
          let producerMbPerSec: number | undefined;
          let cache: { hits: number; misses: number } | null = null;
          if (workload.startsWith('tail')) {
            const cache0 = await tailCacheCounts(metricsPorts.get(name));
            const start = tailEnd.get(name)!;
            const consumer = runClient(bin, ['consume', bootstrap, TAIL_TOPIC, String(Math.floor(PRODUCE_BYTES / RECORD_BYTES) * RECORD_BYTES), '1048576', String(start), '1']);
            await new Promise((res) => setTimeout(res, 500)); // the consumer is connected and polling
            const p = await runClient(bin, ['produce', bootstrap, TAIL_TOPIC, '1', String(PRODUCE_BYTES), String(RECORD_BYTES), String(REQUEST_BYTES)]);
            r = await consumer;
            tailEnd.set(name, start + Number(p.records));
            producerMbPerSec = Number(p.mbPerSec);
            const cache1 = await tailCacheCounts(metricsPorts.get(name));
            if (cache0 && cache1) cache = { hits: cache1.hits - cache0.hits, misses: cache1.misses - cache0.misses };
          } else if (workload.startsWith('e2e')) {
            // A new topic per round: the consumer reads from offset 0 (the null sink answers no ListOffsets).
            r = await runClient(bin, ['latency', bootstrap, `rdk-e2e-latency-${round}`, 'all', args['latency-rate']!, args['latency-seconds']!, String(RECORD_BYTES), '1']);
          } else if (workload.startsWith('latency')) {
            r = await runClient(bin, ['latency', bootstrap, LATENCY_TOPIC, 'all', args['latency-rate']!, args['latency-seconds']!, String(RECORD_BYTES)]);
          } else {
            r = await runClient(bin, argv);
          }
          const cpu = t.cpuSeconds() - cpu0;
          const [user1, sys1] = cpuSplit(t.pid);
          await new Promise((res) => setTimeout(res, 200)); // let the log pipe catch up
          const gc = args['trace-gc'] && !name.startsWith('null') ? gcCounts(logFile, gcFrom) : null;
          const loop = args['loop-delay'] && !name.startsWith('null') ? await loopDelay(t.pid, logFile) : undefined;
          const seconds = Number(r.seconds);
          const res: RunResult = {
            target: name,
            round,
            workload,
            mbPerSec: Number(r.mbPerSec),
            bytes: Number(r.bytes),
            seconds,
            clientCpuSec: Number(r.clientCpuSec),
            targetCpuSec: Math.round(cpu * 100) / 100,
            targetCores: seconds > 0 ? Math.round((cpu / seconds) * 100) / 100 : NaN,
            ...perGb(Number(r.bytes), cpu, user1 - user0, sys1 - sys0),
            ...(gc ? { markCompacts: gc.markCompacts, scavenges: gc.scavenges, markCompactMs: gc.markCompactMs, scavengeMs: gc.scavengeMs } : {}),
            ...(loop ? { loopDelay: loop } : {}),
            error: (r.error as string | null) ?? null,
            ...(producerMbPerSec !== undefined ? { producerMbPerSec } : {}),
            ...(r.maxLagRecords !== undefined && workload.startsWith('tail')
              ? {
                  maxLagMb: Math.round((Number(r.maxLagRecords) * RECORD_BYTES) / 1e5) / 10,
                  lagMbPer250ms: (r.lagRecordsPer250ms as number[]).map((x) => Math.round((x * RECORD_BYTES) / 1e5) / 10),
                }
              : {}),
            ...(cache ? { tailCacheHits: cache.hits, tailCacheMisses: cache.misses } : {}),
            ...(r.op === 'latency' ? { p50Ms: Number(r.p50Ms), p99Ms: Number(r.p99Ms), p999Ms: Number(r.p999Ms), maxMs: Number(r.maxMs) } : {}),
            ...(r.e2eP99Ms !== undefined ? { e2eP50Ms: Number(r.e2eP50Ms), e2eP99Ms: Number(r.e2eP99Ms), e2eP999Ms: Number(r.e2eP999Ms), e2eMaxMs: Number(r.e2eMaxMs) } : {}),
          };
          results.push(res);
          console.log(
            `round ${round} ${workload.padEnd(16)} ${name.padEnd(8)} ${res.mbPerSec.toFixed(0).padStart(5)} MB/s  ` +
              `${(res.bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s, target ${res.targetCores} cores` +
              (res.targetCpuSecPerGb !== undefined ? `, ${res.targetCpuSecPerGb} CPU s/GB (user ${res.targetUserSecPerGb}, sys ${res.targetSysSecPerGb})` : '') +
              (producerMbPerSec !== undefined ? ` (producer ${producerMbPerSec.toFixed(0)} MB/s)` : '') +
              (res.maxLagMb !== undefined && workload.startsWith('tail') ? `, consumer lag max ${res.maxLagMb} MB` : '') +
              (res.tailCacheHits !== undefined ? `, tail cache ${res.tailCacheHits} hits / ${res.tailCacheMisses} misses` : '') +
              (res.p99Ms !== undefined ? `, ack latency p50 ${res.p50Ms} / p99 ${res.p99Ms} / p99.9 ${res.p999Ms} / max ${res.maxMs} ms` : '') +
              (res.e2eP99Ms !== undefined ? `, e2e p50 ${res.e2eP50Ms} / p99 ${res.e2eP99Ms} / p99.9 ${res.e2eP999Ms} / max ${res.e2eMaxMs} ms` : '') +
              (gc ? `, Mark-Compact ${gc.markCompacts} (${gc.markCompactMs} ms), Scavenge ${gc.scavenges} (${gc.scavengeMs} ms)` : '') +
              (loop ? `, loop delay p99 ${loop.p99Ms} / max ${loop.maxMs} ms` : '') +
              (res.error ? `, ERROR ${res.error}` : ''),
          );
        }
      }
    }

    const summary = WORKLOADS.map((w) => {
      const best: Record<string, number> = {};
      for (const name of names) {
        const rs = results.filter((r) => r.workload === w && r.target === name && !r.error);
        best[name] = rs.length ? Math.max(...rs.map((r) => r.mbPerSec)) : NaN;
      }
      const ratios: Record<string, number> = {};
      if (best.null) for (const name of names) if (name !== 'null') ratios[`${name}/null`] = Math.round((best[name]! / best.null) * 100) / 100;
      if (best.nullfile && best.broker) ratios['broker/nullfile'] = Math.round((best.broker / best.nullfile) * 100) / 100;
      if (best.base && best.broker) ratios['broker/base'] = Math.round((best.broker / best.base) * 100) / 100;
      if (w.startsWith('latency') || w.startsWith('e2e')) {
        // Lowest p99 per target (disturbance only raises it); ratios are p99 over the null sink's.
        const p99: Record<string, number> = {};
        const e2eP99: Record<string, number> = {};
        for (const name of names) {
          const rs = results.filter((r) => r.workload === w && r.target === name && !r.error && r.p99Ms !== undefined);
          p99[name] = rs.length ? Math.min(...rs.map((r) => r.p99Ms!)) : NaN;
          const es = rs.filter((r) => r.e2eP99Ms !== undefined);
          if (es.length) e2eP99[name] = Math.min(...es.map((r) => r.e2eP99Ms!));
        }
        const p99Ratios: Record<string, number> = {};
        if (p99.null) for (const name of names) if (name !== 'null') p99Ratios[`${name}/null p99`] = Math.round((p99[name]! / p99.null) * 100) / 100;
        for (const name of names) if (e2eP99[name] !== undefined) p99Ratios[`${name} e2e p99 ms`] = e2eP99[name]!;
        // --loop-delay: each broker's lowest loop-delay p99 over the rounds, as for the ack p99.
        for (const name of names) {
          const ld = results.filter((r) => r.workload === w && r.target === name && r.loopDelay).map((r) => r.loopDelay!.p99Ms);
          if (ld.length) p99Ratios[`${name} loop p99 ms`] = Math.min(...ld);
        }
        return { workload: w, bestMbPerSec: best, ratios: p99Ratios, bestP99Ms: p99, ...(Object.keys(e2eP99).length ? { bestE2eP99Ms: e2eP99 } : {}) };
      }
      // CPU per GB: median per target (load moves it less than MB/s; see roundWorkloads for why rounds differ).
      const medianCpuSecPerGb: Record<string, number> = {};
      for (const name of names) {
        const xs = results.filter((r) => r.workload === w && r.target === name && !r.error && r.targetCpuSecPerGb !== undefined).map((r) => r.targetCpuSecPerGb!).sort((x, y) => x - y);
        medianCpuSecPerGb[name] = xs.length ? xs[Math.floor((xs.length - 1) / 2)]! : NaN;
      }
      if (w.startsWith('tail')) {
        // Tail-cache hit rate over all rounds, per broker that reports it.
        for (const name of names) {
          const rs = results.filter((r) => r.workload === w && r.target === name && r.tailCacheHits !== undefined);
          const hits = rs.reduce((n, r) => n + r.tailCacheHits!, 0);
          const misses = rs.reduce((n, r) => n + r.tailCacheMisses!, 0);
          if (hits + misses > 0) ratios[`${name} tail hits`] = Math.round((hits / (hits + misses)) * 100) / 100;
        }
      }
      return { workload: w, bestMbPerSec: best, ratios, medianCpuSecPerGb };
    });
    console.log('\n| workload | ' + names.map((n) => `${n} MB/s`).join(' | ') + ' | ratios |');
    console.log('| --- | ' + names.map(() => '---').join(' | ') + ' | --- |');
    for (const s of summary) {
      console.log(
        `| ${s.workload} | ` +
          names.map((n) => s.bestMbPerSec[n]!.toFixed(0)).join(' | ') +
          ' | ' +
          Object.entries(s.ratios)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') +
          ' |',
      );
    }
    console.log('\n| workload | ' + names.map((n) => `${n} CPU s/GB (median)`).join(' | ') + ' |');
    console.log('| --- | ' + names.map(() => '---').join(' | ') + ' |');
    for (const s of summary) {
      const cpu = 'medianCpuSecPerGb' in s ? s.medianCpuSecPerGb : undefined;
      if (cpu) console.log(`| ${s.workload} | ` + names.map((n) => cpu[n]!.toFixed(2)).join(' | ') + ' |');
    }
    const report = {
      meta: {
        date: new Date().toISOString(),
        commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim(),
        node: process.version,
        loadAvg: os.loadavg(),
        rounds: ROUNDS,
        produceBytes: PRODUCE_BYTES,
        consumeBytes: CONSUME_BYTES,
        requestBytes: REQUEST_BYTES,
        recordBytes: RECORD_BYTES,
        traceGc: args['trace-gc'],
        loopDelay: args['loop-delay'],
        baseRoot: args['base-root'] ?? null,
        variant: args.variant,
        roots: args.root,
        brokerOverrides: args['broker-override'],
      },
      summary,
      runs: results,
    };
    if (!args['no-save']) {
      const dir = path.join(REPO_ROOT, 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      writeFileSync(path.join(dir, `rdkafka-${stamp}.json`), JSON.stringify(report, null, 2));
      writeFileSync(path.join(dir, 'rdkafka-latest.json'), JSON.stringify(report, null, 2));
    }
  } finally {
    for (const t of targets.values()) await t.stop().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

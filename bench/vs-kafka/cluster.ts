// Three-broker rows of `npm run bench:vs-kafka -- --cluster`: a 3-node Apache Kafka KRaft cluster
// (combined broker+controller JVMs, kafka-server-start.sh's JVM flags, default config) against 3
// Tributary brokers (`bin/tributary.js start` processes, one per broker, metadata in a real etcd
// 3.4 from test/helpers/etcd.ts), on the same machine, in the same run, driven by the same client:
// Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test (the Java client).
//
// Per round, for each cluster in alternating order, on a fresh topic with replication factor 3,
// 6 partitions and min.insync.replicas=2:
//   produce acks=all      --records 1 KiB records as fast as they go (throughput)
//   produce N/s acks=all  a fixed moderate rate for --latency-seconds (latency: p50/p99)
//   consume               ConsumerPerformance reads what the first produced (fetch MB/s)
// CPU is the sum over every process of the cluster (Tributary: its 3 brokers and etcd; Kafka: its
// 3 JVMs, which are its controllers too) over each tool run, per GiB moved; RSS is the sum too.
// Figures are medians over rounds. Writes bench/results/vs-kafka-cluster-latest.json (and a
// timestamped copy).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchConnection } from '../load-generator.js';
import { createTopics } from '../lib/kafka-calls.js';
import { METADATA_VERSION, encodeMetadataBody } from '../lib/payloads.js';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';
import { decodeMetadataResponse } from '../../protocol/generated/metadata.js';
import { startEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { startKafkaReference } from '../../test/helpers/kafka-reference.js';
import { parseConsumerSummary, parseProducerSummary } from './perf-output.js';
import { TOOL_JVM, measured, median, runTool, toolsClasspath, type Usage } from './perf-tools.js';

export interface ClusterBenchOptions {
  rounds: number;
  records: number;
  /** Records/s of the latency run. */
  rate: number;
  latencySeconds: number;
  partitions: number;
}

type Name = 'tributary' | 'kafka';
const RECORD_BYTES = 1024;
const CLK_TCK = 100;

interface Cluster {
  name: Name;
  bootstrap: string;
  seed: { host: string; port: number };
  /** Every process of the cluster (brokers, and etcd for Tributary). */
  pids(): number[];
  cpuSeconds(): number;
  rssBytes(): number;
  startMs: number;
  stop(): Promise<void>;
}

interface Run extends Usage {
  mbPerSec: number;
  recordsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
}

function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function procRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Metadata from one broker until it lists `brokers` brokers and, for `topic`, every partition led with a full ISR. */
async function waitForCluster(seed: { host: string; port: number }, brokers: number, topic: { name: string; partitions: number; isr: number } | null, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const c = await BenchConnection.connect(seed.host, seed.port, 'cluster-bench-setup');
      try {
        const res = await c.request(3, METADATA_VERSION, encodeMetadataBody(topic ? [topic.name] : []), decodeMetadataResponse);
        const t = topic ? res.topics.find((x) => x.name === topic.name) : undefined;
        const ready =
          res.brokers.length === brokers &&
          (!topic || (t !== undefined && t.errorCode === 0 && t.partitions.length === topic.partitions && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0 && p.isrNodes.length === topic.isr)));
        if (ready) return;
        last = `${res.brokers.length} brokers${t ? `, partitions ${t.partitions.map((p) => `${p.leaderId}/${p.isrNodes.length}`).join(' ')}` : ''}`;
      } finally {
        c.close();
      }
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`cluster not ready after ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startTributary(work: string): Promise<Cluster> {
  const t0 = performance.now();
  const etcd: TestEtcd = await startEtcd();
  const brokers: Target[] = [];
  try {
    for (let id = 1; id <= 3; id++) {
      brokers.push(
        await startBroker({
          logDir: path.join(work, `tributary-${id}`),
          logFile: path.join(work, `tributary-${id}.log`),
          // The internal topics fit three brokers, as the Kafka helper sets them; the rest is default.
          overrides: [`node.id=${id}`, `tributary.metadata.store=${etcd.url}`, 'offsets.topic.replication.factor=3', 'transaction.state.log.replication.factor=3', 'transaction.state.log.min.isr=2'],
        }),
      );
    }
    await waitForCluster(brokers[0]!, 3, null);
  } catch (err) {
    await Promise.all(brokers.map((b) => b.stop()));
    await etcd.cleanup();
    throw err;
  }
  const pids = () => [...brokers.map((b) => b.pid), ...(etcd.pid() ? [etcd.pid()!] : [])];
  return {
    name: 'tributary',
    bootstrap: brokers.map((b) => `${b.host}:${b.port}`).join(','),
    seed: brokers[0]!,
    pids,
    cpuSeconds: () => sum(pids().map(procCpu)),
    rssBytes: () => sum(pids().map(procRss)),
    startMs: performance.now() - t0,
    async stop() {
      await Promise.all(brokers.map((b) => b.stop()));
      await etcd.cleanup();
    },
  };
}

async function startKafka(): Promise<Cluster> {
  const kafka = await startKafkaReference({ nodes: 3, jvm: 'stock', startTimeoutMs: 300_000 });
  const seed = { host: '127.0.0.1', port: kafka.nodes[0]!.port };
  await waitForCluster(seed, 3, null);
  const pids = () => kafka.nodes.map((n) => n.pid);
  return {
    name: 'kafka',
    bootstrap: kafka.bootstrap,
    seed,
    pids,
    cpuSeconds: () => sum(pids().map(procCpu)),
    rssBytes: () => sum(pids().map(procRss)),
    startMs: kafka.startMs,
    stop: () => kafka.stop(),
  };
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

export async function runClusterBench(o: ClusterBenchOptions): Promise<void> {
  const startedAt = new Date();
  const cp = toolsClasspath();
  const work = mkdtempSync(path.join(os.tmpdir(), 'tributary-vs-kafka-cluster-'));
  const clusters: Partial<Record<Name, Cluster>> = {};
  const results: Record<string, Partial<Record<Name, Run[]>>> = {};
  const issues: string[] = [];
  const load0 = os.loadavg();
  const latRecords = o.rate * o.latencySeconds;
  try {
    // One after the other: the two start-ups would otherwise slow each other down.
    clusters.tributary = await startTributary(work);
    clusters.kafka = await startKafka();
    const startMs = { tributary: Math.round(clusters.tributary.startMs), kafka: Math.round(clusters.kafka.startMs) };
    const idle0 = { tributary: clusters.tributary.cpuSeconds(), kafka: clusters.kafka.cpuSeconds() };
    await new Promise((r) => setTimeout(r, 5000));
    const idleCpuPct = { tributary: Math.round((clusters.tributary.cpuSeconds() - idle0.tributary) * 20), kafka: Math.round((clusters.kafka.cpuSeconds() - idle0.kafka) * 20) };
    const idleRssMiB = { tributary: Math.round(clusters.tributary.rssBytes() / 2 ** 20), kafka: Math.round(clusters.kafka.rssBytes() / 2 ** 20) };
    console.log(`started: Tributary (3 brokers + etcd) in ${startMs.tributary} ms, Kafka (3 nodes) in ${startMs.kafka} ms; idle CPU ${idleCpuPct.tributary} % / ${idleCpuPct.kafka} %, RSS ${idleRssMiB.tributary} / ${idleRssMiB.kafka} MiB`);

    const order: Name[] = ['tributary', 'kafka'];
    for (let round = 0; round < o.rounds; round++) {
      for (const name of round % 2 === 0 ? order : [...order].reverse()) {
        const c = clusters[name]!;
        const topics = { tput: `cluster-acksall-r${round}`, lat: `cluster-latency-r${round}` };
        const setup = await BenchConnection.connect(c.seed.host, c.seed.port, 'cluster-bench-setup');
        try {
          await createTopics(setup, Object.values(topics).map((t) => ({ name: t, partitions: o.partitions, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } })));
        } finally {
          setup.close();
        }
        for (const t of Object.values(topics)) await waitForCluster(c.seed, 3, { name: t, partitions: o.partitions, isr: 3 });
        const record = (scenario: string, run: Run) => {
          ((results[scenario] ??= {})[name] ??= []).push(run);
          const lat = run.p50Ms !== undefined ? `, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms` : '';
          console.log(`  round ${round + 1} ${name.padEnd(9)} ${scenario.padEnd(24)} ${run.mbPerSec.toFixed(1)} MB/s${lat}, cluster ${run.brokerCpuPct.toFixed(0)} % CPU, ${run.brokerCpuSecPerGiB.toFixed(1)} CPU s/GiB, RSS ${run.brokerRssMiB} MiB, load ${run.loadAvg1.toFixed(2)}`);
        };
        const produce = async (scenario: string, topic: string, records: number, throughput: number) => {
          let p: ReturnType<typeof parseProducerSummary> | undefined;
          try {
            const m = await measured(c, () => p!.records * RECORD_BYTES, async () => {
              const out = await runTool(cp, 'org.apache.kafka.tools.ProducerPerformance', [
                '--topic', topic, '--num-records', String(records), '--record-size', String(RECORD_BYTES), '--throughput', String(throughput),
                '--producer-props', `bootstrap.servers=${c.bootstrap}`, 'acks=all',
              ], 120_000);
              p = parseProducerSummary(out);
            });
            record(scenario, { ...m, mbPerSec: p!.mbPerSec, recordsPerSec: p!.recordsPerSec, p50Ms: p!.p50Ms, p99Ms: p!.p99Ms });
          } catch (err) {
            issues.push(`round ${round + 1} ${name} ${scenario}: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
            console.log(`  round ${round + 1} ${name} ${scenario} FAILED: ${(err as Error).message.split('\n')[0]}`);
          }
        };
        await produce('produce acks=all RF 3', topics.tput, o.records, -1);
        await produce(`produce ${o.rate}/s acks=all RF 3`, topics.lat, latRecords, o.rate);
        let cs: ReturnType<typeof parseConsumerSummary> | undefined;
        try {
          const m = await measured(c, () => cs!.records * RECORD_BYTES, async () => {
            const out = await runTool(cp, 'org.apache.kafka.tools.ConsumerPerformance', [
              '--bootstrap-server', c.bootstrap, '--topic', topics.tput, '--messages', String(o.records), '--timeout', '15000', '--group', `cluster-consumer-r${round}`,
            ], 120_000);
            cs = parseConsumerSummary(out);
          });
          if (cs!.records < o.records) issues.push(`round ${round + 1} ${name} consume: ${cs!.records} of ${o.records} records`);
          record('consume (group)', { ...m, mbPerSec: cs!.fetchMbPerSec, recordsPerSec: cs!.fetchRecordsPerSec });
        } catch (err) {
          issues.push(`round ${round + 1} ${name} consume: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
          console.log(`  round ${round + 1} ${name} consume FAILED: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    const load1 = os.loadavg();
    const summary = Object.entries(results).map(([scenario, per]) => {
      const med = (n: Name, g: (r: Run) => number | undefined) => median((per[n] ?? []).map((r) => g(r) ?? NaN));
      const row = (n: Name) => ({
        mbPerSec: med(n, (r) => r.mbPerSec),
        p50Ms: med(n, (r) => r.p50Ms),
        p99Ms: med(n, (r) => r.p99Ms),
        cpuSecPerGiB: med(n, (r) => r.brokerCpuSecPerGiB),
        rssMiB: med(n, (r) => r.brokerRssMiB),
        rounds: per[n]?.length ?? 0,
      });
      const tr = row('tributary');
      const ka = row('kafka');
      return { scenario, tributary: tr, kafka: ka, ratio: { mbPerSec: tr.mbPerSec / ka.mbPerSec, p50: tr.p50Ms / ka.p50Ms, p99: tr.p99Ms / ka.p99Ms, cpuPerGiB: tr.cpuSecPerGiB / ka.cpuSecPerGiB, rss: tr.rssMiB / ka.rssMiB } };
    });
    console.log(`\nthree brokers each, RF 3, min.insync.replicas=2, ${o.partitions} partitions, ${RECORD_BYTES}-byte records; medians over ${o.rounds} rounds; load average ${load0.map((v) => v.toFixed(2)).join(' ')} at start, ${load1.map((v) => v.toFixed(2)).join(' ')} at end\n`);
    console.log('| 3 brokers, perf tool scenario | Tributary MB/s | Kafka MB/s | T/K | p50 ms T / K | p99 ms T / K | cluster CPU s/GiB T / K | T/K CPU | cluster RSS MiB T / K |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const s of summary) {
      console.log(
        `| ${s.scenario} | ${f(s.tributary.mbPerSec)} | ${f(s.kafka.mbPerSec)} | ${f(s.ratio.mbPerSec, 2)} | ${f(s.tributary.p50Ms, 0)} / ${f(s.kafka.p50Ms, 0)} | ${f(s.tributary.p99Ms, 0)} / ${f(s.kafka.p99Ms, 0)} | ${f(s.tributary.cpuSecPerGiB)} / ${f(s.kafka.cpuSecPerGiB)} | ${f(s.ratio.cpuPerGiB, 2)} | ${f(s.tributary.rssMiB, 0)} / ${f(s.kafka.rssMiB, 0)} |`,
      );
    }
    console.log(`\nstart-up to 3 brokers registered: Tributary ${startMs.tributary} ms (etcd + 3 processes, one after another), Kafka ${startMs.kafka} ms (format + 3 JVMs)`);
    console.log(`idle after start: CPU ${idleCpuPct.tributary} % / ${idleCpuPct.kafka} %, RSS ${idleRssMiB.tributary} / ${idleRssMiB.kafka} MiB (Tributary / Kafka)`);
    if (issues.length) console.log(`issues:\n  ${issues.join('\n  ')}`);
    const dir = path.join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify({ meta: { date: startedAt.toISOString(), ...o, recordBytes: RECORD_BYTES, replicationFactor: 3, minInsyncReplicas: 2, loadAverageAtStart: load0, loadAverageAtEnd: load1, startMs, idleCpuPct, idleRssMiB, toolJvm: TOOL_JVM, kafkaJvm: 'stock: -Xms1G -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=20 (kafka-server-start.sh), per node', tributary: '3 x bin/tributary.js start, default config, metadata in etcd 3.4', cpu: os.cpus()[0]?.model, cores: os.cpus().length }, summary, issues, rounds: results }, null, 2)}\n`;
    writeFileSync(path.join(dir, `vs-kafka-cluster-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(path.join(dir, 'vs-kafka-cluster-latest.json'), json);
    console.log('results: bench/results/vs-kafka-cluster-latest.json');
  } finally {
    await Promise.all(Object.values(clusters).map((c) => c.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

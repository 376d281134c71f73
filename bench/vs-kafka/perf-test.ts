// Kafka's own perf tools driving Tributary and Apache Kafka in the same run:
// kafka-producer-perf-test (org.apache.kafka.tools.ProducerPerformance) and
// kafka-consumer-perf-test (org.apache.kafka.tools.ConsumerPerformance), from the kafka-tools jar
// that `test/reference/resolve.sh tools` resolves (bench/vs-kafka/pom.xml).
//
//   npm run bench:perf-test [-- --rounds 3 --records 100000 --latency-rate 2000 --latency-seconds 6]
//
// Both brokers start once (Tributary: `bin/tributary.js start`, default config; Kafka: one KRaft
// node with kafka-server-start.sh's JVM flags, default config). Each round runs, per broker, in
// alternating order: produce acks=1, produce acks=all (records as fast as they go), produce at a
// fixed moderate rate (for latency), then consume what acks=1 produced. Every tool run has a
// hard timeout, so the whole script stays bounded (~4 min with the defaults). Figures are
// medians over rounds; broker CPU comes from /proc/<pid>/stat over each tool run. The tools' JVM
// shares the 2 cores with the broker, so absolute figures are low; the ratios are the point.
// Writes bench/results/perf-test-<time>.json and perf-test-latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchConnection } from '../load-generator.js';
import { createTopics, waitForLeaders } from '../lib/kafka-calls.js';
import { REPO_ROOT, startBroker, startKafka, type Target } from '../lib/targets.js';
import { parseConsumerSummary, parseProducerSummary } from './perf-output.js';
import { TOOL_JVM, measured, median, runTool, toolsClasspath, type Usage } from './perf-tools.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    records: { type: 'string', default: '100000' },
    'latency-rate': { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '6' },
    partitions: { type: 'string', default: '4' },
  },
});
const ROUNDS = Number(args.rounds);
const RECORDS = Number(args.records);
const RATE = Number(args['latency-rate']);
const LAT_RECORDS = RATE * Number(args['latency-seconds']);
const PARTITIONS = Number(args.partitions);
const RECORD_BYTES = 1024;
type Broker = 'tributary' | 'kafka';

interface Run extends Usage {
  /** Tool figures: MB/s as the tool prints it (MB = 2^20 bytes in both tools). */
  mbPerSec: number;
  recordsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  avgMs?: number;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const cp = toolsClasspath();
  const work = mkdtempSync(path.join(os.tmpdir(), 'tributary-perf-test-'));
  const targets: Partial<Record<Broker, Target>> = {};
  const results: Record<string, Partial<Record<Broker, Run[]>>> = {};
  const issues: string[] = [];
  const load0 = os.loadavg();
  try {
    targets.tributary = await startBroker({ logDir: path.join(work, 'tributary-data'), logFile: path.join(work, 'tributary.log'), overrides: [] });
    targets.kafka = await startKafka({ logFile: path.join(work, 'kafka.log') });
    const startMs = { tributary: Math.round(targets.tributary.startMs!), kafka: Math.round(targets.kafka.startMs!) };
    console.log(`started: Tributary in ${startMs.tributary} ms, Kafka in ${startMs.kafka} ms; load average ${load0.map((v) => v.toFixed(2)).join(' ')}`);
    // CPU each broker burns with no clients (timers, the KRaft quorum, JIT/GC threads): at the
    // tools' low rates on this machine it is a visible part of "CPU per GiB".
    const idle0 = { tributary: targets.tributary.cpuSeconds(), kafka: targets.kafka.cpuSeconds() };
    await new Promise((r) => setTimeout(r, 5000));
    const idleCpuPct = { tributary: Math.round((targets.tributary.cpuSeconds() - idle0.tributary) * 20), kafka: Math.round((targets.kafka.cpuSeconds() - idle0.kafka) * 20) };
    const idleRssMiB = { tributary: Math.round(targets.tributary.rssBytes() / 2 ** 20), kafka: Math.round(targets.kafka.rssBytes() / 2 ** 20) };
    console.log(`idle over 5 s: CPU ${idleCpuPct.tributary} % / ${idleCpuPct.kafka} %, RSS ${idleRssMiB.tributary} / ${idleRssMiB.kafka} MiB (Tributary / Kafka)`);

    const order: Broker[] = ['tributary', 'kafka'];
    for (let round = 0; round < ROUNDS; round++) {
      for (const b of round % 2 === 0 ? order : [...order].reverse()) {
        const t = targets[b]!;
        const bootstrap = `${t.host}:${t.port}`;
        const topics = { acks1: `perf-acks1-r${round}`, acksAll: `perf-acksall-r${round}`, lat: `perf-latency-r${round}` };
        const setup = await BenchConnection.connect(t.host, t.port, 'perf-setup');
        try {
          const list = Object.values(topics).map((name) => ({ name, partitions: PARTITIONS }));
          await createTopics(setup, list);
          await waitForLeaders(setup, list);
        } finally {
          setup.close();
        }
        const record = (scenario: string, run: Run) => {
          ((results[scenario] ??= {})[b] ??= []).push(run);
          const lat = run.p50Ms !== undefined ? `, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms` : '';
          console.log(`  round ${round + 1} ${b.padEnd(9)} ${scenario.padEnd(22)} ${run.mbPerSec.toFixed(1)} MB/s${lat}, broker ${run.brokerCpuPct.toFixed(0)} % CPU, ${run.brokerCpuSecPerGiB.toFixed(1)} CPU s/GiB, RSS ${run.brokerRssMiB} MiB, load ${run.loadAvg1.toFixed(2)}`);
        };
        const produce = async (scenario: string, topic: string, acks: string, records: number, throughput: number) => {
          let p: ReturnType<typeof parseProducerSummary> | undefined;
          try {
            const m = await measured(t, () => p!.records * RECORD_BYTES, async () => {
              const out = await runTool(cp, 'org.apache.kafka.tools.ProducerPerformance', [
                '--topic', topic, '--num-records', String(records), '--record-size', String(RECORD_BYTES), '--throughput', String(throughput),
                '--producer-props', `bootstrap.servers=${bootstrap}`, `acks=${acks}`,
              ]);
              p = parseProducerSummary(out);
            });
            record(scenario, { ...m, mbPerSec: p!.mbPerSec, recordsPerSec: p!.recordsPerSec, p50Ms: p!.p50Ms, p99Ms: p!.p99Ms, p999Ms: p!.p999Ms, avgMs: p!.avgMs });
          } catch (err) {
            issues.push(`round ${round + 1} ${b} ${scenario}: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
            console.log(`  round ${round + 1} ${b} ${scenario} FAILED: ${(err as Error).message.split('\n')[0]}`);
          }
        };
        await produce('produce acks=1', topics.acks1, '1', RECORDS, -1);
        await produce('produce acks=all', topics.acksAll, 'all', RECORDS, -1);
        await produce(`produce at ${RATE}/s acks=1`, topics.lat, '1', LAT_RECORDS, RATE);
        let c: ReturnType<typeof parseConsumerSummary> | undefined;
        try {
          const m = await measured(t, () => c!.records * RECORD_BYTES, async () => {
            const out = await runTool(cp, 'org.apache.kafka.tools.ConsumerPerformance', [
              '--bootstrap-server', bootstrap, '--topic', topics.acks1, '--messages', String(RECORDS), '--timeout', '15000',
              '--group', `perf-consumer-r${round}`,
            ]);
            c = parseConsumerSummary(out);
          });
          if (c!.records < RECORDS) issues.push(`round ${round + 1} ${b} consume: ${c!.records} of ${RECORDS} records`);
          record('consume', { ...m, mbPerSec: c!.fetchMbPerSec, recordsPerSec: c!.fetchRecordsPerSec });
        } catch (err) {
          issues.push(`round ${round + 1} ${b} consume: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
          console.log(`  round ${round + 1} ${b} consume FAILED: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    const load1 = os.loadavg();
    const summary = Object.entries(results).map(([scenario, per]) => {
      const med = (b: Broker, f: (r: Run) => number | undefined) => median((per[b] ?? []).map((r) => f(r) ?? NaN));
      const row = (b: Broker) => ({
        mbPerSec: med(b, (r) => r.mbPerSec),
        p50Ms: med(b, (r) => r.p50Ms),
        p99Ms: med(b, (r) => r.p99Ms),
        cpuSecPerGiB: med(b, (r) => r.brokerCpuSecPerGiB),
        rssMiB: med(b, (r) => r.brokerRssMiB),
        rounds: per[b]?.length ?? 0,
      });
      const tr = row('tributary');
      const ka = row('kafka');
      return { scenario, tributary: tr, kafka: ka, ratio: { mbPerSec: tr.mbPerSec / ka.mbPerSec, p50: tr.p50Ms / ka.p50Ms, p99: tr.p99Ms / ka.p99Ms, cpuPerGiB: tr.cpuSecPerGiB / ka.cpuSecPerGiB, rss: tr.rssMiB / ka.rssMiB } };
    });
    const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
    console.log(`\nmedians over ${ROUNDS} rounds, ${RECORD_BYTES}-byte records, ${PARTITIONS} partitions; load average ${load0.map((v) => v.toFixed(2)).join(' ')} at start, ${load1.map((v) => v.toFixed(2)).join(' ')} at end\n`);
    console.log('| perf tool scenario | Tributary MB/s | Kafka MB/s | T/K | p50 ms T / K | p99 ms T / K | broker CPU s/GiB T / K | T/K CPU | broker RSS MiB T / K |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const s of summary) {
      console.log(
        `| ${s.scenario} | ${f(s.tributary.mbPerSec)} | ${f(s.kafka.mbPerSec)} | ${f(s.ratio.mbPerSec, 2)} | ${f(s.tributary.p50Ms, 0)} / ${f(s.kafka.p50Ms, 0)} | ${f(s.tributary.p99Ms, 0)} / ${f(s.kafka.p99Ms, 0)} | ${f(s.tributary.cpuSecPerGiB)} / ${f(s.kafka.cpuSecPerGiB)} | ${f(s.ratio.cpuPerGiB, 2)} | ${f(s.tributary.rssMiB, 0)} / ${f(s.kafka.rssMiB, 0)} |`,
      );
    }
    console.log(`\nstart-up (spawn to first answer): Tributary ${startMs.tributary} ms, Kafka ${startMs.kafka} ms (incl. storage format)`);
    console.log(`idle after start: CPU ${idleCpuPct.tributary} % / ${idleCpuPct.kafka} %, RSS ${idleRssMiB.tributary} / ${idleRssMiB.kafka} MiB (Tributary / Kafka)`);
    if (issues.length) console.log(`issues:\n  ${issues.join('\n  ')}`);
    const dir = path.join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify({ meta: { date: startedAt.toISOString(), rounds: ROUNDS, records: RECORDS, latencyRate: RATE, partitions: PARTITIONS, loadAverageAtStart: load0, loadAverageAtEnd: load1, startMs, idleCpuPct, idleRssMiB, toolJvm: TOOL_JVM, cpu: os.cpus()[0]?.model, cores: os.cpus().length }, summary, issues, rounds: results }, null, 2)}\n`;
    writeFileSync(path.join(dir, `perf-test-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(path.join(dir, 'perf-test-latest.json'), json);
    console.log('results: bench/results/perf-test-latest.json');
  } finally {
    await Promise.all(Object.values(targets).map((t) => t.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

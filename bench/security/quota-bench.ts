// A throttled producer beside an unthrottled one, same broker, same run: client id `throttled`
// has producer_byte_rate Q (AlterClientQuotas), client id `free` none. Both drive closed-loop
// produce (16 KiB batches, acks=1, 5 in flight, the raw load generator) at the same time; after a
// warmup longer than the quota's sample span (so the first-window burst Kafka allows is behind
// us), their measured rates are compared with Q. The throttled client ignores throttle_time_ms,
// so what holds it to Q is the broker's KIP-219 channel mute alone.
//
// A client far faster than its quota does not get a steady Q: Kafka's rate (quota.window.num
// samples, never fewer than num - 1 windows) lets ~(num - 1) x Q through at once, throttles to a
// trickle until the sample holding that burst expires, then bursts again: a cycle of num x
// window (11 s with Kafka's defaults). So the measured window spans many cycles (8, or 4 with
// --quick): the cycles jitter by a second or so under load, and a burst cut at either end of the
// window moves the figure by ~1 / cycles of it. A 15 s window (what this bench used first) lands
// anywhere between ~0.7x and ~1.5x Q depending on how many bursts it catches; `rate15s` reports
// that spread from the per-second series (printed with --series).
//
//   npx tsx bench/security/quota-bench.ts [--quick] [--quota-mib N] [--inflight N] [--measure-s N] [--series]
// Results: printed, and bench/results/quota.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchConnection } from '../load-generator.js';
import { createTopics } from '../lib/kafka-calls.js';
import { Meter, MiB } from '../lib/meter.js';
import { startBroker, type Target } from '../lib/targets.js';
import { driveProduce, drainAll, ownedPartitions, prepareRequests } from '../scenarios/produce-throughput.js';
import { encodeAlterClientQuotasRequest, decodeAlterClientQuotasResponse } from '../../protocol/generated/alter-client-quotas.js';
import { Writer } from '../../protocol/wire/writer.js';

const QUICK = process.argv.includes('--quick');
const quotaArg = process.argv.indexOf('--quota-mib');
const QUOTA_MIB = quotaArg > 0 ? Number(process.argv[quotaArg + 1]) : 4;
const QUOTA = QUOTA_MIB * MiB;
const inflightArg = process.argv.indexOf('--inflight');
const INFLIGHT = inflightArg > 0 ? Number(process.argv[inflightArg + 1]) : 5;
const WINDOW_NUM = 11; // Kafka's default quota.window.num
const WARMUP_MS = 13_000; // > 11 one-second samples: the initial burst has left the rate
const measureArg = process.argv.indexOf('--measure-s');
const CYCLE_MS = WINDOW_NUM * 1000; // one burst-and-throttle cycle (see above)
const MEASURE_MS = measureArg > 0 ? Number(process.argv[measureArg + 1]) * 1000 : (QUICK ? 4 : 8) * CYCLE_MS;
const SERIES = process.argv.includes('--series');
const HOST = '127.0.0.1';

async function setQuota(c: BenchConnection, clientId: string, bytesPerSec: number): Promise<void> {
  const w = new Writer(128);
  encodeAlterClientQuotasRequest(w, 1, {
    entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'producer_byte_rate', value: bytesPerSec, remove: false }] }],
    validateOnly: false,
  });
  const res = await c.request(49, 1, w.toBuffer(), (r) => decodeAlterClientQuotasResponse(r, 1));
  if (res.entries[0]!.errorCode !== 0) throw new Error(`AlterClientQuotas: ${res.entries[0]!.errorMessage}`);
}

async function produceAs(target: Target, clientId: string, topic: string): Promise<{ meter: Meter; conns: BenchConnection[]; stop: () => void }> {
  const conns = [await BenchConnection.connect(target.host, target.port, clientId)];
  const prepared = [prepareRequests(topic, ownedPartitions(4, 1, 0), 16 * 1024, 1)];
  const meter = new Meter(target);
  let running = true;
  driveProduce(conns, prepared, INFLIGHT, meter, () => running);
  return { meter, conns, stop: () => (running = false) };
}

/** Min and max of the throttled rate / quota over every `span`-second window of the series. */
function spread(perSecond: number[], span: number): string {
  const ratios: number[] = [];
  for (let i = 0; i + span <= perSecond.length; i++) ratios.push(perSecond.slice(i, i + span).reduce((a, b) => a + b, 0) / span / QUOTA_MIB);
  return ratios.length ? `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x quota` : 'n/a';
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quota-bench-'));
  const broker = await startBroker({
    logDir: dataDir,
    logFile: path.join(dataDir, 'broker.log'),
    overrides: [`quota.window.num=${WINDOW_NUM}`, 'quota.window.size.seconds=1', 'tributary.aggregations.enable=false'],
  });
  try {
    const setup = await BenchConnection.connect(HOST, broker.port, 'quota-bench-setup');
    await createTopics(setup, [{ name: 'quota-throttled', partitions: 4 }, { name: 'quota-free', partitions: 4 }]);
    await setQuota(setup, 'throttled', QUOTA);
    setup.close();
    const throttled = await produceAs(broker, 'throttled', 'quota-throttled');
    const free = await produceAs(broker, 'free', 'quota-free');
    // The throttled producer's MiB/s per second, to see how the throttle cycles.
    let lastBytes = 0;
    const series: number[] = [];
    const sampler = setInterval(() => {
      series.push(Math.round(((throttled.meter.bytes - lastBytes) / MiB) * 10) / 10);
      lastBytes = throttled.meter.bytes;
    }, 1000);
    // Both windows open and close together.
    await Promise.all([throttled.meter.window(WARMUP_MS, MEASURE_MS), free.meter.window(WARMUP_MS, MEASURE_MS)]);
    clearInterval(sampler);
    throttled.stop();
    free.stop();
    await Promise.all([drainAll(throttled.conns, throttled.meter), drainAll(free.conns, free.meter)]);
    for (const c of [...throttled.conns, ...free.conns]) c.close();
    const t = throttled.meter.figures();
    const f = free.meter.figures();
    const summary = {
      machine: `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}`,
      quotaMiBPerSec: QUOTA_MIB,
      inflightPerProducer: INFLIGHT,
      windows: `${WINDOW_NUM} x 1 s`,
      warmupMs: WARMUP_MS,
      measureMs: MEASURE_MS,
      throttledMiBPerSec: Math.round(t.throughput.mibPerSec * 100) / 100,
      throttledVsQuota: Math.round((t.throughput.mibPerSec / QUOTA_MIB) * 1000) / 1000,
      unthrottledMiBPerSec: Math.round(f.throughput.mibPerSec * 100) / 100,
      throttledP99Ms: Math.round((t.latency.p99Us ?? 0) / 1000),
      errors: { throttled: t.errors, free: f.errors },
      rate15s: spread(series.slice(Math.round(WARMUP_MS / 1000)), 15),
      ...(SERIES ? { throttledMiBPerSecond: series.join(' ') } : {}),
    };
    console.log(JSON.stringify(summary, null, 2));
    fs.mkdirSync(path.join('bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join('bench', 'results', 'quota.json'), JSON.stringify(summary, null, 2) + '\n');
  } finally {
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

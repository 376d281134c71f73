// A throttled producer beside an unthrottled one, same broker, same run: client id `throttled`
// has producer_byte_rate Q (AlterClientQuotas), client id `free` none. Both drive closed-loop
// produce (16 KiB batches, acks=1, 5 in flight, the raw load generator) at the same time; after a
// warmup longer than the quota's sample span (so the first-window burst Kafka allows is behind
// us), their measured rates are compared with Q. The throttled client ignores throttle_time_ms,
// so what holds it to Q is the broker's KIP-219 channel mute alone.
//
//   npx tsx bench/security/quota-bench.ts [--quick] [--quota-mib N] [--inflight N]
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
const MEASURE_MS = QUICK ? 5_000 : 15_000;
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
    // Both windows open and close together.
    await Promise.all([throttled.meter.window(WARMUP_MS, MEASURE_MS), free.meter.window(WARMUP_MS, MEASURE_MS)]);
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

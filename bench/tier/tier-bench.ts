// Tiered storage benchmark (one run, one machine, everything on loopback):
//   upload   MiB/s copying a backlog of rolled segments to the store (turned on for an existing topic)
//   produce  p50/p99 latency of small acks=1 produces with and without those uploads running
//   reads    cold MiB/s (every byte from the store through the broker) vs hot MiB/s (local segments)
//            of the same amount of data, same client, same fetch sizes
//
//   npx tsx bench/tier/tier-bench.ts [--store s3rver|swift|local] [--mib 128] [--copy-rate-mib N] [--out bench/tier/results.json]
//                            [--store-dir DIR] [--pin-store] [--profile-dir DIR]
//
// The broker runs as its own process (`bin/tributary.js`), the S3 server too; this process is the
// client. Results are JSON (stdout and --out). Figures from a noisy 2-core VM: compare the two
// sides of each pair, measured in the same run, rather than absolute numbers across runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Consumer } from '@platformatic/kafka';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { spawnBroker, type SpawnedBroker } from '../../test/helpers/spawned-broker.js';
import { startS3rver, startSwift, tierStoreOverrides, type S3Server } from '../../test/helpers/s3-servers.js';
import type { TierStatus } from '../../storage/tier/tier-status.js';

const MiB = 1024 * 1024;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const storeKind = arg('store', 's3rver');
const totalMiB = Number(arg('mib', '128'));
const out = arg('out', 'bench/tier/results.json');
/** remote.log.manager.copy.max.bytes.per.second in MiB/s (0 = unlimited). */
const copyRateMiB = Number(arg('copy-rate-mib', '0'));
const profileDir = arg('profile-dir', '');
/** Hot/cold read pairs after the upload (order alternates per round); the best of each is reported, all are kept. */
const readRounds = Number(arg('read-rounds', '1'));
/** --pin-store: run the store server on its own core (taskset), away from broker and client. */
const pinStore = process.argv.includes('--pin-store');
/**
 * Where the store keeps its objects (s3rver's directory, or the local store's). Default tmpfs:
 * a real object store's disk is not the broker's, and on one VM the store's file writes (and
 * their writeback) would otherwise stall the broker's own segment writes — measuring the disk,
 * not the tiering. Swift keeps its own layout (see test/helpers/s3-servers.ts).
 */
const storeDir = arg('store-dir', existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const SEGMENT_BYTES = 16 * MiB;
const RECORD = Buffer.alloc(1024, 'x');

/** user+system CPU seconds of a process (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const f = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function produceBulk(producer: Producer, topic: string, mib: number): Promise<void> {
  const perRequest = 512;
  const requests = Math.ceil((mib * MiB) / (perRequest * RECORD.length));
  for (let i = 0; i < requests; i++) {
    await producer.send({ topic, acks: 1, messages: Array.from({ length: perRequest }, () => ({ value: RECORD, partition: 0 })) });
  }
}

/** Latency of `n` sequential 1-record produces (ms). */
async function produceLatency(producer: Producer, topic: string, n: number): Promise<{ p50: number; p99: number; max: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await producer.send({ topic, acks: 1, messages: [{ value: RECORD.subarray(0, 100), partition: 0 }] });
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1]! };
}

/** Reads partition 0 from offset 0 to its end with raw fetches; MiB/s. */
async function readThroughput(bootstrap: string, topic: string): Promise<{ mibPerSec: number; bytes: number; seconds: number }> {
  const consumer = new Consumer({ groupId: 'bench', clientId: 'tier-bench', bootstrapBrokers: [bootstrap], timeout: 60_000 });
  try {
    const md = await consumer.metadata({ topics: [topic] });
    const topicId = md.topics.get(topic)!.id;
    const node = md.brokers.keys().next().value as number;
    const end = (await consumer.listOffsets({ topics: [topic] })).get(topic)![0]!;
    let offset = 0n;
    let bytes = 0;
    const t0 = performance.now();
    while (offset < end) {
      const res = await consumer.fetch({
        node,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 16 * MiB,
        topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 8 * MiB }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} at ${offset}`);
      for (const b of p.records ?? []) {
        for (const r of b.records) bytes += r.value?.length ?? 0;
        offset = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return { mibPerSec: bytes / MiB / seconds, bytes, seconds };
  } finally {
    await consumer.close();
  }
}

async function tierStatus(broker: SpawnedBroker): Promise<TierStatus | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(broker.dataDir, 'tier-status.json'), 'utf8')) as TierStatus;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  let server: S3Server | null = null;
  let overrides: Record<string, string> = {};
  let localTierDir: string | null = null;
  if (storeKind === 's3rver') server = await startS3rver('tributary', storeDir);
  else if (storeKind === 'local') {
    localTierDir = await fs.mkdtemp(path.join(storeDir, 'tributary-tier-'));
    overrides['tributary.tier.local.dir'] = localTierDir;
  }
  else if (storeKind === 'swift') server = await startSwift();
  if (server) overrides = tierStoreOverrides(server, server.endpoint, 'bench');
  if (copyRateMiB > 0) overrides['remote.log.manager.copy.max.bytes.per.second'] = String(Math.round(copyRateMiB * MiB));
  const broker = await spawnBroker({
    startTimeoutMs: 120_000, // tsx compiles the broker on start; slow when the machine is loaded
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    overrides: { ...overrides, 'remote.log.manager.task.interval.ms': '200', 'log.retention.check.interval.ms': '500' },
  });
  if (pinStore && server) {
    // The store server gets the last core to itself, the broker and this client the others: on a
    // small VM that stands in for an object store on other machines (CPU-wise).
    const cores = os.cpus().length;
    for (const pid of server.pids) execFileSync('taskset', ['-a', '-p', '-c', String(cores - 1), String(pid)], { stdio: 'ignore' });
    for (const pid of [broker.pid, process.pid]) execFileSync('taskset', ['-a', '-p', '-c', `0-${Math.max(0, cores - 2)}`, String(pid)], { stdio: 'ignore' });
  }
  const kafka = new Kafka({ clientId: 'tier-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    await producer.connect();
    const base = { 'segment.bytes': String(SEGMENT_BYTES), 'retention.ms': '-1', 'file.delete.delay.ms': '0', 'local.retention.ms': '0' };
    const entries = (c: Record<string, string>) => Object.entries(c).map(([name, value]) => ({ name, value }));
    await admin.createTopics({
      topics: [
        { topic: 'cold', configEntries: entries(base) },
        { topic: 'hot', configEntries: entries(base) },
        { topic: 'latency', configEntries: entries(base) },
      ],
    });
    process.stderr.write(`producing ${totalMiB} MiB twice...\n`);
    await produceBulk(producer, 'cold', totalMiB);
    await produceBulk(producer, 'hot', totalMiB);
    // Let the kernel write back the bulk data first: writeback of hundreds of dirty MiB stalls the
    // broker's file writes by milliseconds and would pollute every window measured after it.
    execFileSync('sync');
    await produceLatency(producer, 'latency', 2000); // warm-up (JIT, GC of the bulk phase)

    const idle = await produceLatency(producer, 'latency', 2000);
    process.stderr.write('turning tiering on for the backlog...\n');
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'cold', configEntries: entries({ ...base, 'remote.storage.enable': 'true' }) }] });
    const cpuBefore = { broker: await cpuSeconds(broker.pid), store: (await Promise.all((server?.pids ?? []).map(cpuSeconds))).reduce((a, b) => a + b, 0) };
    const t0 = performance.now();
    // Poll the broker's status file while the latency loop runs: upload time is measured on its own.
    let status: TierStatus | null = null;
    const uploaded = (async () => {
      for (;;) {
        status = await tierStatus(broker);
        const p = status?.partitions.find((x) => x.topic === 'cold');
        if (p && p.lagSegments === 0 && p.remoteSegments > 0 && p.localLogStartOffset === p.copiedEndOffset) return performance.now();
        if (performance.now() - t0 > 600_000) throw new Error('uploads did not finish in 10 minutes');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const busy = await produceLatency(producer, 'latency', 2000);
    const busyEndedAt = performance.now();
    const uploadedAt = await uploaded;
    const cpuWindow = (performance.now() - t0) / 1000;
    const cpu = {
      windowSeconds: cpuWindow,
      brokerCores: ((await cpuSeconds(broker.pid)) - cpuBefore.broker) / cpuWindow,
      storeServerCores: ((await Promise.all((server?.pids ?? []).map(cpuSeconds))).reduce((a, b) => a + b, 0) - cpuBefore.store) / cpuWindow,
    };
    // A second idle window after the uploads: the spread between the two idle windows is the
    // machine's own noise, the yardstick for the during-uploads figure.
    const idleAfter = await produceLatency(producer, 'latency', 2000);
    const cold = status!.partitions.find((x) => x.topic === 'cold')!;
    const uploadSeconds = (uploadedAt - t0) / 1000;

    process.stderr.write('reading hot and cold...\n');
    // The broker's chunk cache (tributary.tier.cache.bytes, 64 MiB by default) keeps what the
    // first cold read fetched: with no more data than that, later "cold" rounds are cache reads.
    const coldFitsCache = totalMiB <= 64;
    if (readRounds > 1 && coldFitsCache) process.stderr.write(`note: ${totalMiB} MiB fits the broker's 64 MiB chunk cache: cold rounds after the first read from the cache; use --mib > 64 for repeated cold reads\n`);
    const hotReads: Awaited<ReturnType<typeof readThroughput>>[] = [];
    const coldReads: Awaited<ReturnType<typeof readThroughput>>[] = [];
    for (let round = 0; round < readRounds; round++) {
      for (const topic of round % 2 === 0 ? ['hot', 'cold'] : ['cold', 'hot']) {
        const cpu0 = await cpuSeconds(broker.pid);
        const store0 = (await Promise.all((server?.pids ?? []).map(cpuSeconds))).reduce((x, y) => x + y, 0);
        const r0 = await readThroughput(broker.bootstrap, topic);
        // CPU seconds per GiB read (broker, store server): the figure that survives a loaded machine.
        const brokerCpuSecPerGiB = (((await cpuSeconds(broker.pid)) - cpu0) / r0.bytes) * 1024 * MiB;
        const storeCpu = (await Promise.all((server?.pids ?? []).map(cpuSeconds))).reduce((x, y) => x + y, 0) - store0;
        const r = { ...r0, brokerCpuSecPerGiB, storeCpuSecPerGiB: (storeCpu / r0.bytes) * 1024 * MiB };
        (topic === 'hot' ? hotReads : coldReads).push(r);
        process.stderr.write(`round ${round + 1} ${topic}: ${r.mibPerSec.toFixed(1)} MiB/s, broker ${brokerCpuSecPerGiB.toFixed(2)} CPU s/GiB\n`);
      }
    }
    const best = (rs: typeof hotReads) => rs.reduce((a, b) => (b.mibPerSec > a.mibPerSec ? b : a));
    const hotRead = { ...best(hotReads), rounds: hotReads.map((r) => Math.round(r.mibPerSec * 10) / 10) };
    // Only rounds that really read from the store compete for "best".
    const coldRead = { ...best(coldFitsCache ? coldReads.slice(0, 1) : coldReads), rounds: coldReads.map((r) => Math.round(r.mibPerSec * 10) / 10), laterRoundsFromCache: readRounds > 1 && coldFitsCache };
    const after = await tierStatus(broker);
    const result = {
      when: new Date().toISOString(),
      store: storeKind,
      storeDir: storeKind === 'swift' ? null : storeDir,
      storePinnedToOwnCore: pinStore && server !== null,
      copyRateMiBPerSec: copyRateMiB || 'unlimited',
      dataMiB: totalMiB,
      segmentBytes: SEGMENT_BYTES,
      upload: { mibPerSec: cold.copiedBytesTotal / MiB / uploadSeconds, bytes: cold.copiedBytesTotal, seconds: uploadSeconds, segments: cold.remoteSegments },
      // If the uploads finished before the latency loop did, only part of `duringUploads` overlapped them.
      produceLatencyMs: {
        idle,
        duringUploads: busy,
        idleAfter,
        /** during-uploads p99 over the mean of the two idle p99s. */
        p99Ratio: busy.p99 / ((idle.p99 + idleAfter.p99) / 2),
        /** idle-after p99 over idle-before p99: how much p99 moves with no uploads at all. */
        idleP99Spread: idleAfter.p99 / idle.p99,
        uploadsOverlapFraction: Math.min(1, (uploadedAt - t0) / (busyEndedAt - t0)),
      },
      // On a 2-core machine the S3 server competes with the broker and this client for CPU.
      cpuDuringUploads: cpu,
      reads: { hot: hotRead, cold: coldRead, coldOverHot: coldRead.mibPerSec / hotRead.mibPerSec },
      remoteReads: after?.reads,
      pool: after?.pool,
      cache: after?.cache,
    };
    const text = JSON.stringify(result, null, 2);
    process.stdout.write(text + '\n');
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, text + '\n');
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    if (profileDir) await broker.stop('SIGTERM').catch(() => {}); // the profile is written on a clean exit
    await broker.cleanup();
    await server?.stop();
    if (localTierDir) await fs.rm(localTierDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

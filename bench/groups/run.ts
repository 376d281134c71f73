// `npx tsx bench/groups/run.ts [options]` (npm run bench:groups): the consumer-group benchmark.
// Starts the real broker (bin/tributary.js, temp data dir) and drives it with @platformatic/kafka
// consumers using the KIP-848 protocol ('consumer') and the classic one, for comparison:
//
//   throughput  N = 1, 2, 4 members of one group read a pre-produced 8-partition topic
//               (1 KiB records) to the end: distinct records/s once the group has settled
//   rebalance   two members consume a topic being written to; a third joins, then leaves:
//               time until the partitions are all assigned and every one delivers again
//
// Rebalances are driven by heartbeats, so they are run twice: with Kafka's default intervals
// (KIP-848: group.consumer.heartbeat.interval.ms 5000, set by the broker; classic: the client's
// heartbeat interval, 3000 in @platformatic/kafka) and with both at 500 ms.
// Results: bench/results/groups-latest.json (and a timestamped copy); tables on stdout.
//
//   --quick               fewer records, only the 500 ms rebalance profile (about a minute)
//   --protocol P          consumer | classic | both (default both)
//   --consumers 1,2,4     group sizes of the throughput runs
//   --records N           records per partition (default 40000, quick 10000)
//   --no-save             print only
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin, Producer } from '@platformatic/kafka';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';
import type { GroupProtocol } from './members.js';
import { runRebalance, type RebalanceResult } from './rebalance.js';
import { renderGroupsReport, type GroupsReport } from './report.js';
import { runGroupThroughput, type GroupThroughputResult } from './throughput.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    protocol: { type: 'string', default: 'both' },
    consumers: { type: 'string', default: '1,2,4' },
    records: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
});

const PARTITIONS = 8;
const RECORD_BYTES = 1024;
const quick = args.quick!;
const recordsPerPartition = Number(args.records ?? (quick ? 10000 : 40000));
const protocols: GroupProtocol[] = args.protocol === 'both' ? ['consumer', 'classic'] : [args.protocol as GroupProtocol];
const groupSizes = args.consumers!.split(',').map(Number);
const profiles = [
  ...(quick ? [] : [{ name: 'kafka-defaults', brokerHeartbeatMs: 5000, classicHeartbeatMs: 3000 }]),
  { name: 'heartbeat-500ms', brokerHeartbeatMs: 500, classicHeartbeatMs: 500 },
];

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'bench-groups-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Writes `perPartition` 1 KiB records to every partition, in batches of 256 per partition. */
async function preProduce(bootstrap: string, topic: string, perPartition: number): Promise<void> {
  const producer = new Producer({ clientId: 'bench-groups-loader', bootstrapBrokers: [bootstrap], acks: 1, idempotent: false, autocreateTopics: false });
  const value = Buffer.alloc(RECORD_BYTES, 1);
  try {
    for (let done = 0; done < perPartition; done += 256) {
      const n = Math.min(256, perPartition - done);
      const messages = [];
      for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < n; i++) messages.push({ topic, partition: p, value });
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-groups-'));
const report: GroupsReport = {
  meta: {
    startedAt: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    partitions: PARTITIONS,
    recordBytes: RECORD_BYTES,
    recordsPerPartition,
    quick,
    client: '@platformatic/kafka (all members in the benchmark process)',
  },
  throughput: [],
  rebalance: [],
};

let run = 0;
for (const profile of profiles) {
  const dataDir = path.join(workDir, `data-${profile.name}`);
  mkdirSync(dataDir);
  let broker: Target | null = null;
  try {
    broker = await startBroker({
      logDir: dataDir,
      logFile: path.join(workDir, `broker-${profile.name}.log`),
      overrides: [`group.consumer.heartbeat.interval.ms=${profile.brokerHeartbeatMs}`, 'offsets.topic.num.partitions=8', 'log.retention.check.interval.ms=3600000'],
    });
    const bootstrap = `${broker.host}:${broker.port}`;
    // Throughput is measured once, with 500 ms heartbeats so that KIP-848 groups settle quickly
    // (the rate is taken once the group is settled; see throughput.ts).
    if (profile.brokerHeartbeatMs === 500) {
      await createTopic(bootstrap, 'bench-groups-read');
      const t = Date.now();
      await preProduce(bootstrap, 'bench-groups-read', recordsPerPartition);
      console.log(`pre-produced ${PARTITIONS * recordsPerPartition} records in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      for (const protocol of protocols) {
        for (const consumers of groupSizes) {
          const r: GroupThroughputResult = await runGroupThroughput(
            broker,
            { bootstrap, topic: 'bench-groups-read', partitions: PARTITIONS, recordsPerPartition, recordBytes: RECORD_BYTES, protocol, consumers, classicHeartbeatMs: profile.classicHeartbeatMs, timeoutMs: 180_000 },
            `bench-read-${protocol}-${consumers}-${run++}`,
          );
          console.log(`throughput ${protocol} x${consumers}: ${r.recordsPerSec ?? 'n/a'} records/s (first record after ${r.firstRecordMs} ms, ${r.duplicates} duplicates)`);
          report.throughput.push(r);
        }
      }
    }
    await createTopic(bootstrap, 'bench-groups-live');
    for (const protocol of protocols) {
      const r: RebalanceResult & { profile?: string; brokerHeartbeatMs?: number } = await runRebalance(
        { bootstrap, topic: 'bench-groups-live', partitions: PARTITIONS, protocol, classicHeartbeatMs: profile.classicHeartbeatMs, produceRate: 2000, cycles: quick ? 2 : 3, timeoutMs: 90_000 },
        `bench-rebalance-${protocol}-${run++}`,
      );
      r.profile = profile.name;
      r.brokerHeartbeatMs = profile.brokerHeartbeatMs;
      for (const e of r.events) console.log(`rebalance ${protocol} ${profile.name} ${e.event}: assigned ${e.assignedMs} ms, resumed ${e.resumedMs} ms, longest stall ${e.maxStallMs} ms`);
      report.rebalance.push(r as GroupsReport['rebalance'][number]);
    }
  } finally {
    await broker?.stop();
  }
}

report.meta.seconds = Math.round((Date.now() - Date.parse(report.meta.startedAt as string)) / 1000);
console.log();
console.log(renderGroupsReport(report));
if (!args['no-save']) {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = (report.meta.startedAt as string).replaceAll(':', '-').replace('.', '-');
  const file = path.join(dir, `groups-${stamp}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  copyFileSync(file, path.join(dir, quick ? 'groups-latest-quick.json' : 'groups-latest.json'));
  console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
}
rmSync(workDir, { recursive: true, force: true });
process.exit(0);

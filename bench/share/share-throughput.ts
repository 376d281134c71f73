// `npx tsx bench/share/share-throughput.ts [--records N] [--members 1,2,4]`: share-group (KIP-932)
// consume throughput. Starts the real broker (bin/tributary.js, temp data dir), pre-produces an
// 8-partition topic of 1 KiB records, then for each member count runs a fresh share group whose
// members (raw-protocol clients over the generated codecs, one connection each, all in this
// process) loop ShareFetch (max 500 records, acknowledgements of the previous fetch piggybacked
// as ACCEPT) until every record was accepted once. Reports accepted records/s and MiB/s from the
// first ShareFetch to the last acknowledgement, and checks no record was delivered twice. One
// unreported warm-up group runs first (it creates __share_group_state and warms the JIT).
// Results: bench/results/share-latest.json; a table on stdout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin, Producer } from '@platformatic/kafka';
import { RawClient } from '../../test/helpers/raw-client.js';
import { REPO_ROOT, startBroker, type Target } from '../lib/targets.js';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '10000' }, members: { type: 'string', default: '1,2,4' }, 'no-save': { type: 'boolean', default: false } } });
const PARTITIONS = 8;
const RECORD_BYTES = 1024;
const perPartition = Number(args.records);
const total = PARTITIONS * perPartition;

async function preProduce(bootstrap: string, topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'bench-share-admin', bootstrapBrokers: [bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'bench-share-loader', bootstrapBrokers: [bootstrap], acks: 1, idempotent: false, autocreateTopics: false });
  const value = Buffer.alloc(RECORD_BYTES, 1);
  for (let done = 0; done < perPartition; done += 256) {
    const n = Math.min(256, perPartition - done);
    const messages = [];
    for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < n; i++) messages.push({ topic, partition: p, value });
    await producer.send({ messages });
  }
  await producer.close();
}

interface Range {
  firstOffset: number;
  lastOffset: number;
}

async function runGroup(port: number, topic: string, topicId: string, members: number, group: string) {
  const seen = new Set<string>();
  let accepted = 0;
  let duplicates = 0;
  let firstFetch = 0;
  const clients = await Promise.all(Array.from({ length: members }, () => RawClient.connect(port)));
  // Join everyone first, so the run measures a settled group.
  const ids = clients.map((_, i) => `${group}-m${i}`);
  for (const [i, c] of clients.entries()) await c.send(76, 1, { groupId: group, memberId: ids[i], memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
  const assignments = await Promise.all(
    clients.map(async (c, i) => {
      const r = await c.send(76, 1, { groupId: group, memberId: ids[i], memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
      return (r.assignment?.topicPartitions?.[0]?.partitions ?? []) as number[];
    }),
  );
  const t0 = performance.now();
  firstFetch = t0;
  await Promise.all(
    clients.map(async (c, i) => {
      let epoch = 0;
      let pending = new Map<number, Range[]>();
      while (accepted < total) {
        const parts = epoch === 0 ? assignments[i]! : [...pending.keys()];
        const r = await c.send(78, 2, {
          groupId: group,
          memberId: ids[i],
          shareSessionEpoch: epoch,
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 8 << 20,
          maxRecords: 500,
          batchSize: 500,
          topics: [{ topicId, partitions: parts.map((p) => ({ partitionIndex: p, acknowledgementBatches: (pending.get(p) ?? []).map((g) => ({ ...g, acknowledgeTypes: [1] })) })) }],
          forgottenTopicsData: [],
        });
        if (r.errorCode !== 0) throw new Error(`ShareFetch error ${r.errorCode}`);
        for (const p of pending.values()) for (const g of p) accepted += g.lastOffset - g.firstOffset + 1;
        pending = new Map();
        epoch++;
        for (const t of r.responses) {
          for (const p of t.partitions) {
            for (const a of p.acquiredRecords as Range[]) {
              for (let o = a.firstOffset; o <= a.lastOffset; o++) {
                const k = `${p.partitionIndex}:${o}`;
                if (seen.has(k)) duplicates++;
                seen.add(k);
              }
              if (!pending.has(p.partitionIndex)) pending.set(p.partitionIndex, []);
              pending.get(p.partitionIndex)!.push({ firstOffset: a.firstOffset, lastOffset: a.lastOffset });
            }
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - firstFetch) / 1000;
  for (const c of clients) c.close();
  return { members, records: accepted, seconds: Number(seconds.toFixed(2)), recordsPerSec: Math.round(accepted / seconds), mibPerSec: Number(((accepted * RECORD_BYTES) / seconds / 1048576).toFixed(1)), duplicates };
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-share-'));
let broker: Target | null = null;
try {
  broker = await startBroker({ logDir: path.join(workDir, 'data'), logFile: path.join(workDir, 'broker.log'), overrides: ['group.share.auto.offset.reset=earliest', 'offsets.topic.num.partitions=1'] });
  const bootstrap = `${broker.host}:${broker.port}`;
  await preProduce(bootstrap, 'bench-share');
  const raw = await RawClient.connect(broker.port);
  const meta = await raw.send(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'bench-share' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  raw.close();
  const topicId = meta.topics[0].topicId as string;
  const rows = [];
  // Warm-up (not reported): the first share group creates __share_group_state and warms the JIT.
  await runGroup(broker.port, 'bench-share', topicId, 1, 'bench-share-warmup');
  for (const [i, n] of args.members!.split(',').map(Number).entries()) {
    const row = await runGroup(broker.port, 'bench-share', topicId, n, `bench-share-${i}-x${n}`);
    console.log(`share consume x${n}: ${row.recordsPerSec} records/s, ${row.mibPerSec} MiB/s (${row.records} records in ${row.seconds} s, ${row.duplicates} duplicates)`);
    rows.push(row);
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const report = { meta: { startedAt: new Date().toISOString(), commit, node: process.version, cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`, partitions: PARTITIONS, recordBytes: RECORD_BYTES, recordsPerPartition: perPartition }, rows };
  console.log('\n| members | records/s | MiB/s | duplicates |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.members} | ${r.recordsPerSec} | ${r.mibPerSec} | ${r.duplicates} |`);
  if (!args['no-save']) writeFileSync(path.join(REPO_ROOT, 'bench/results/share-latest.json'), JSON.stringify(report, null, 2) + '\n');
} finally {
  await broker?.stop();
  rmSync(workDir, { recursive: true, force: true });
}

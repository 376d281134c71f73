// Cluster mode (issue 13): a write the aggregation stage already has in flight when the leadership
// of __tributary_aggregations-0 moves is fenced, as Kafka fences a zombie producer by its epoch.
// Three in-process brokers. The running broker's changelog append is held in flight (a hook on its
// routed access); the definitions partition's leadership moves (reassignment + ElectLeaders
// PREFERRED) and the new owner processes more input; then the held write is released. It must be
// refused with INVALID_PRODUCER_EPOCH. After a second move, the third owner's replay of the
// changelog gives exact figures: every record counted once, versions strictly increasing.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { AggregationAdmin } from '../../src/aggregation/admin-client.js';
import { changelogTopic } from '../../src/aggregation/changelog.js';
import { DEFINITIONS_TOPIC } from '../../src/aggregation/definitions-log.js';
import { clientSettings } from '../../src/aggregation/kafka-client.js';
import type { InternalAppendResult } from '../../src/cluster/partition-api.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { definitionsLeader, readOutput, type Out } from '../aggregation/cluster-helpers.js';
import { produce, spendDefinition, type Contribution } from '../aggregation/helpers.js';

const PREFERRED = 0;
const OUTPUT = 'fenced-spend';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3, {
    'tributary.aggregation.status.interval.ms': '200',
    'tributary.aggregation.retry.backoff.ms': '100',
    'tributary.aggregation.retry.backoff.max.ms': '500',
    'tributary.aggregation.replication.factor': '3',
  });
});
afterAll(async () => {
  await cluster?.close();
});

const kafka = () => new Kafka({ clientId: 'agg-fencing', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 } });

const PARTNERS = ['p0', 'p1', 'p2'];
const CATEGORIES = ['food', 'rent', 'travel'];
const expected = new Map<string, Map<string, Contribution>>();
let produced = 0;

/** Records [from, from + n): round r changes every (partner, category) contribution again. */
async function send(from: number, n: number): Promise<void> {
  const records = [];
  for (let i = from; i < from + n; i++) {
    const c: Contribution = { partner: PARTNERS[i % 3]!, category: CATEGORIES[Math.floor(i / 3) % 3]!, month: '2026-12', sum: 10 * i + 1, count: i + 1 };
    records.push({ key: `${c.partner}|${c.category}|${c.month}`, value: c });
    let g = expected.get(c.category);
    if (!g) expected.set(c.category, (g = new Map()));
    g.set(c.partner, c);
  }
  await produce(cluster.bootstrap().split(','), 'contributions', records);
  produced += n;
}

async function figuresExact(): Promise<boolean> {
  const latest = new Map<string, Out>();
  for (const r of await readOutput(cluster, OUTPUT)) latest.set(r.key, r);
  if (latest.size !== expected.size) return false;
  for (const [category, partners] of expected) {
    const r = latest.get(`${category}|2026-12`);
    const sum = [...partners.values()].reduce((s, p) => s + p.sum, 0);
    const count = [...partners.values()].reduce((s, p) => s + p.count, 0);
    if (!r?.value || r.value.measures.sum !== sum || r.value.measures.count !== count) return false;
  }
  return true;
}

const stageOn = (id: number) => cluster.byId(id).broker.aggregations!;
const runningOn = (id: number) => stageOn(id).status('spend')?.state === 'running';

/** Moves the leadership of __tributary_aggregations-0 to `to` (its replicas reordered, then a preferred election). */
async function moveStageTo(to: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.alterPartitionReassignments({ topics: [{ topic: DEFINITIONS_TOPIC, partitionAssignment: [{ partition: 0, replicas: [to, ...[1, 2, 3].filter((b) => b !== to)] }] }] });
  } finally {
    await admin.disconnect();
  }
  await cluster.waitFor('the reordered replicas are seen', () => cluster.byId(to).broker.partitionManager.partition(DEFINITIONS_TOPIC, 0)?.replicas[0] === to);
  await cluster.waitFor(`broker ${to} leads ${DEFINITIONS_TOPIC}-0`, async () => {
    if (definitionsLeader(cluster) !== to) await cluster.send(to, 43, 2, { electionType: PREFERRED, topicPartitions: [{ topic: DEFINITIONS_TOPIC, partitions: [0] }], timeoutMs: 5000 });
    return [1, 2, 3].every((id) => cluster.byId(id).broker.partitionManager.partition(DEFINITIONS_TOPIC, 0)?.leaderId === to);
  }, 20_000);
}

describe('aggregation stage: a write in flight when ownership moves', () => {
  it('is refused with INVALID_PRODUCER_EPOCH once the new owner fenced the partition; figures stay exact', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'contributions', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await cluster.waitFor('the stage runs', () => definitionsLeader(cluster) > 0 && stageOn(definitionsLeader(cluster)).running, 20_000);
    const aa = await AggregationAdmin.connect(clientSettings({ bootstrap: cluster.bootstrap().split(',') }, 'agg-fencing-admin'));
    try {
      await aa.putDefinition('spend', spendDefinition({ output: { topic: OUTPUT, partitions: 3 } }));
      await aa.waitForStatus('spend', (s) => s?.state === 'running', 20_000);
    } finally {
      await aa.close();
    }
    const first = definitionsLeader(cluster);
    await send(0, 9);
    await cluster.waitFor('first figures', figuresExact, 20_000);

    // The first owner's next changelog append is held after it was stamped with its epoch.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held: Promise<InternalAppendResult> | null = null;
    stageOn(first).routed!.appendHook = (tp, sendIt) => {
      if (held !== null || tp.topic !== changelogTopic('spend')) return sendIt();
      held = released.then(sendIt);
      return held;
    };
    await send(9, 9);
    await cluster.waitFor('a changelog append of the first owner is in flight', () => held !== null, 20_000);

    const second = [1, 2, 3].find((b) => b !== first)!;
    await moveStageTo(second);
    await cluster.waitFor('the second owner recovered and runs', () => runningOn(second), 20_000);
    await send(18, 9);
    await cluster.waitFor('the second owner counted every record', () => stageOn(second).status('spend')?.recordsIn === produced, 20_000);
    await cluster.waitFor('second figures', figuresExact, 20_000);

    release();
    const stale = await held!;
    expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    // A third owner replays the changelog as the second one left it.
    const third = [1, 2, 3].find((b) => b !== first && b !== second)!;
    await moveStageTo(third);
    await cluster.waitFor('the third owner recovered and runs', () => runningOn(third), 20_000);
    expect(stageOn(third).status('spend')!.recordsIn).toBe(produced);
    await send(27, 9);
    await cluster.waitFor('the third owner counted every record', () => stageOn(third).status('spend')?.recordsIn === produced, 20_000);
    await cluster.waitFor('final figures', figuresExact, 20_000);

    // One writer at a time: versions per group strictly increase in the output history.
    const lastVersion = new Map<string, number>();
    for (const r of (await readOutput(cluster, OUTPUT)).sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      expect(r.version).toBeGreaterThan(lastVersion.get(r.key) ?? 0);
      lastVersion.set(r.key, r.version);
    }
    expect(lastVersion.size).toBe(CATEGORIES.length);
  }, 120_000);
});

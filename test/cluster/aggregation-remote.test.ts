// Cluster mode (issue 13): an aggregation reading a cluster topic and a topic of another cluster
// (a partner's single broker) keeps both when the broker running it stops (controlled shutdown). The
// remote source's positions are in the replicated changelog, so the new leader resumes the
// partner's topic where the last committed step left it: every partner record counted once.
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregationAdmin } from '../../src/aggregation/admin-client.js';
import { clientSettings } from '../../src/aggregation/kafka-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';
import { produce, spendDefinition } from '../aggregation/helpers.js';
import { definitionsLeader, readOutput, runners } from '../aggregation/cluster-helpers.js';

let cluster: TestCluster;
let partner: TestBroker;
beforeAll(async () => {
  partner = await startTestBroker({ 'tributary.aggregations.enable': 'false' });
  cluster = await startCluster(3, { 'tributary.aggregation.status.interval.ms': '200', 'tributary.aggregation.retry.backoff.ms': '100', 'tributary.aggregation.retry.backoff.max.ms': '500', 'replica.lag.time.max.ms': '3000' });
});
afterAll(async () => {
  await cluster?.close();
  await partner?.cleanup();
});

const contribution = (partner: string, category: string, sum: number) => ({ partner, category, month: '2026-12', sum, count: 1 });

describe('aggregation with a remote source across a leader failover', () => {
  it('resumes the other cluster\'s topic from the committed positions on the new leader', async () => {
    const admin = kafkajs(cluster.bootstrap().split(','), { clientId: 'agg-remote', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'contributions', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const partnerAdmin = kafkajs([partner.bootstrap], { clientId: 'agg-remote', logLevel: logLevel.NOTHING }).admin();
    await partnerAdmin.connect();
    await partnerAdmin.createTopics({ topics: [{ topic: 'partner-spend', numPartitions: 1 }], waitForLeaders: true });
    await partnerAdmin.disconnect();
    await produce(partner.bootstrap, 'partner-spend', [{ key: 'seed', value: contribution('partner', 'food', 0) }]);

    await cluster.waitFor('the stage runs', () => definitionsLeader(cluster) > 0 && cluster.byId(definitionsLeader(cluster)).broker.aggregations!.running, 20_000);
    const def = spendDefinition({
      sources: [
        { name: 'local', topic: 'contributions' },
        { name: 'partner', topic: 'partner-spend', cluster: { bootstrap: [partner.bootstrap] }, contributor: 'partner' },
      ],
      output: { topic: 'global-spend' },
    });
    const aa = await AggregationAdmin.connect(clientSettings({ bootstrap: cluster.bootstrap().split(',') }, 'agg-remote-admin'));
    try {
      await aa.putDefinition('spend', def);
      await aa.waitForStatus('spend', (s) => s?.state === 'running' && s.sources.every((x) => x.health === 'ok'), 20_000);
    } finally {
      await aa.close();
    }

    // The partner's running total per category: its latest record per key replaces the earlier one.
    let partnerRecords = 1;
    let localRecords = 0;
    const sendPartner = async (round: number) => {
      await produce(partner.bootstrap, 'partner-spend', ['food', 'rent'].map((c) => ({ key: c, value: contribution('partner', c, 100 * round) })));
      partnerRecords += 2;
    };
    const sendLocal = async (round: number) => {
      await produce(cluster.bootstrap().split(',')[0]!, 'contributions', ['food', 'rent'].map((c) => ({ key: `p1|${c}`, value: contribution('p1', c, round) })));
      localRecords += 2;
    };
    const figures = async (round: number) => {
      const latest = new Map<string, { measures: { sum: number }; contributors: number }>();
      for (const r of await readOutput(cluster, 'global-spend')) if (r.value) latest.set(r.key, r.value);
      return ['food', 'rent'].every((c) => latest.get(`${c}|2026-12`)?.measures.sum === 100 * round + round && latest.get(`${c}|2026-12`)?.contributors === 2);
    };

    await sendPartner(1);
    await sendLocal(1);
    await cluster.waitFor('round 1 published', () => figures(1), 20_000);

    const owner = runners(cluster, 'spend')[0]!;
    await sendPartner(2);
    // A clean stop this time (the failover test kills): controlled shutdown moves the leadership
    // first, the stage unloads here and loads on the new leader.
    const stopping = cluster.brokers[owner - 1]!;
    cluster.brokers[owner - 1] = undefined;
    await stopping.cleanup();
    await sendLocal(2);
    await cluster.waitFor('a new broker runs the aggregation', () => runners(cluster, 'spend').length === 1 && runners(cluster, 'spend')[0] !== owner, 30_000);
    await cluster.waitFor('round 2 published', () => figures(2), 30_000);
    await sendPartner(3);
    await sendLocal(3);
    await cluster.waitFor('round 3 published', () => figures(3), 20_000);

    await cluster.waitFor('every record read once', () => cluster.byId(runners(cluster, 'spend')[0]!).broker.aggregations!.status('spend')!.recordsIn === partnerRecords + localRecords, 10_000);
    const s = cluster.byId(runners(cluster, 'spend')[0]!).broker.aggregations!.status('spend')!;
    expect(s.sources.find((x) => x.name === 'partner')!.partitions[0]!.position).toBe(partnerRecords);
  }, 120_000);
});

// Replication gauges on the Prometheus endpoint of three in-process brokers: a broker killed
// (lease left to expire) leaves its followers' partitions under-replicated on their leaders and a
// partition whose only replica it held offline on the controller; restarted, both go back to 0.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, clusterDefaults } from '../../src/local-cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: LocalCluster;
let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-repl-metrics-'));
  cluster = await LocalCluster.start({
    brokers: [1, 2, 3].map((id) => ({ nodeId: id, dataDir: path.join(root, `b${id}`), port: 0 })),
    // No aggregation stage: its definitions topic would be one more replicated partition to count.
    config: { ...clusterDefaults(3), 'tributary.aggregations.enable': false, 'tributary.metrics.port': 0, 'tributary.metadata.session.timeout.ms': 2000, 'replica.lag.time.max.ms': 2000 },
    logLevel: 'silent',
  });
  const b1 = cluster.get(1).embedded!.broker;
  await b1.createTopic('orders', 3, 3, {});
  await b1.createTopic('solo', 1, 1, { 'min.insync.replicas': '1' });
  await cluster.waitUntil('leaders everywhere', () =>
    cluster.brokers.every((b) => [0, 1, 2].every((p) => (b.embedded!.broker.partitionManager.partition('orders', p)?.leaderId ?? -1) > 0) && (b.embedded!.broker.partitionManager.partition('solo', 0)?.leaderId ?? -1) > 0),
  );
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  await fs.rm(root, { recursive: true, force: true });
});

/** Each running broker's gauges (unlabelled samples only). */
async function scrape(): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>();
  for (const b of cluster.brokers) {
    const port = b.embedded?.broker.metricsPort;
    if (!port) continue;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new Map<string, number>();
    for (const line of text.split('\n')) {
      const g = /^(tributary_[a-z_]+) (\S+)$/.exec(line);
      if (g) m.set(g[1]!, Number(g[2]));
    }
    out.set(b.nodeId, m);
  }
  return out;
}

const total = (s: Map<number, Map<string, number>>, name: string) => [...s.values()].reduce((a, m) => a + (m.get(name) ?? NaN), 0);

describe('replication metrics', () => {
  it('count leaders, under-replicated and offline partitions, and the active controller', async () => {
    let s = await scrape();
    expect(total(s, 'tributary_leader_partitions')).toBe(4); // orders 0-2 and solo 0; each broker's own internal topics left out
    expect(total(s, 'tributary_under_replicated_partitions')).toBe(0);
    expect(total(s, 'tributary_under_min_isr_partitions')).toBe(0);
    expect(total(s, 'tributary_offline_partitions')).toBe(0);
    expect(total(s, 'tributary_active_controller')).toBe(1);
    expect(s.get(cluster.controllerId())!.get('tributary_active_controller')).toBe(1);

    const victim = cluster.get(1).embedded!.broker.partitionManager.partition('solo', 0)!.leaderId;
    await cluster.kill(victim);
    // Its lease expires: 'solo' has no replica left to lead (offline, on the controller), and every
    // 'orders' partition is led by a survivor with the victim out of the ISR (2 of 3: not under min ISR).
    await waitFor(async () => {
      s = await scrape();
      return total(s, 'tributary_offline_partitions') === 1 && total(s, 'tributary_under_replicated_partitions') === 3;
    }, 'solo offline and orders under-replicated', 30_000);
    expect(total(s, 'tributary_leader_partitions')).toBe(3);
    expect(total(s, 'tributary_under_min_isr_partitions')).toBe(0);
    expect(total(s, 'tributary_active_controller')).toBe(1);

    await cluster.restart(victim);
    await waitFor(async () => {
      s = await scrape();
      return s.size === 3 && total(s, 'tributary_offline_partitions') === 0 && total(s, 'tributary_under_replicated_partitions') === 0 && total(s, 'tributary_leader_partitions') === 4;
    }, 'everything back in sync', 30_000);
  }, 90_000);

  it('are absent on a single broker', async () => {
    const { BrokerMetrics } = await import('../../src/metrics/broker-metrics.js');
    expect(BrokerMetrics).toBeDefined();
    const { replicationSamples } = await import('../../src/metrics/replication-metrics.js');
    expect(replicationSamples({ nodeId: 1, controllerId: 1, cluster: null, topics: { all: () => [{ name: 't', partitions: 1 }] }, partitionManager: { partition: () => ({ leaderId: 1, replicas: [1], isr: [1] }) }, topicConfig: () => ({ get: () => 1 }) })).toEqual([]);
  });
});

// The three-broker session (test/compat/java/ClusterSession.java) against a cluster the harness can
// stop and restart one broker of: phase "before", a clean stop of node 2 (Kafka: SIGTERM, its
// controlled shutdown; Tributary: LocalCluster.stop, the lease revoked), phase "stopped", node 2
// started again on its data dir, phase "restarted". The three transcripts are concatenated (step
// names are distinct). Used by differential-cluster.test.ts (Kafka vs Tributary) and
// cluster-session.test.ts (Tributary alone, in the suite).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCluster } from '../../src/local-cluster.js';
import { REPO_ROOT } from '../helpers/spawned-broker.js';
import { runJava, type Step } from '../helpers/java-client.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { diffTranscripts, type Difference } from './transcript-diff.js';

export interface StoppableCluster {
  bootstrap: string;
  stopNode(nodeId: number): Promise<void>;
  startNode(nodeId: number): Promise<void>;
}

/** The broker the session stops and restarts (neither Kafka's nor Tributary's first controller choice matters). */
export const STOPPED_NODE = 2;

/** Apache Kafka's transcript of the session (3 nodes), as differential-cluster.test.ts recorded it. */
export const RECORDED_KAFKA = path.join(REPO_ROOT, 'test/reference/recorded/cluster-session.kafka.json');

export const SESSION = 'ClusterSession';

/** Differences not in known-differences.ts, and listed differences of this session that did not occur. */
export function unexplainedDifferences(kafka: Step[], tributary: Step[]): { unexplained: Difference[]; stale: string[] } {
  const unexplained: Difference[] = [];
  const seen = new Set<(typeof KNOWN_DIFFERENCES)[number]>();
  for (const d of diffTranscripts(kafka, tributary)) {
    const known = KNOWN_DIFFERENCES.find((k) => k.session.test(SESSION) && k.path.test(d.path));
    if (known) seen.add(known);
    else unexplained.push(d);
  }
  const stale = KNOWN_DIFFERENCES.filter((k) => k.session.test(SESSION) && !k.intermittent && !seen.has(k)).map((k) => `${k.session} ${k.path}`);
  return { unexplained, stale };
}

export async function runClusterSession(cluster: StoppableCluster, timeoutMs = 150_000, prefix = 'diff'): Promise<Step[]> {
  const before = await runJava('ClusterSession', [cluster.bootstrap, prefix, 'before'], timeoutMs);
  await cluster.stopNode(STOPPED_NODE);
  const stopped = await runJava('ClusterSession', [cluster.bootstrap, prefix, 'stopped', String(STOPPED_NODE)], timeoutMs);
  await cluster.startNode(STOPPED_NODE);
  const restarted = await runJava('ClusterSession', [cluster.bootstrap, prefix, 'restarted', String(STOPPED_NODE)], timeoutMs);
  return [...before, ...stopped, ...restarted];
}

/**
 * Server settings both clusters get beyond their defaults: the internal topics fit three brokers
 * and groups form at once (test/helpers/kafka-reference.ts sets the same for Kafka).
 */
export const CLUSTER_SETTINGS = {
  'offsets.topic.replication.factor': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'group.initial.rebalance.delay.ms': 0,
} as const;

export interface TributaryCluster extends StoppableCluster {
  close(): Promise<void>;
}

/** Three in-process Tributary brokers on a shared in-memory metadata store, each with its own data dir. */
export async function startTributaryCluster(): Promise<TributaryCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-ref-cluster-'));
  const cluster = await LocalCluster.start({
    brokers: [1, 2, 3].map((nodeId) => ({ nodeId, dataDir: path.join(root, `broker-${nodeId}`), port: 0 })),
    config: { ...CLUSTER_SETTINGS },
  });
  return {
    bootstrap: cluster.bootstrap,
    stopNode: async (id) => void (await cluster.stop(id)),
    startNode: async (id) => void (await cluster.startBroker(id)),
    async close() {
      await cluster.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

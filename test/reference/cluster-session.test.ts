// The three-broker Java session (test/compat/java/ClusterSession.java) against three in-process
// Tributary brokers on a shared in-memory metadata store, compared with what Apache Kafka 4.1
// answered to the same session on a 3-node KRaft cluster (recorded/cluster-session.kafka.json,
// kept true by differential-cluster.test.ts, which runs against Kafka itself when asked). The
// differences that stay are in known-differences.ts, each with its reason.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaClasspath, stepOf, type Step } from '../helpers/java-client.js';
import { RECORDED_KAFKA, runClusterSession, startTributaryCluster, unexplainedDifferences, type TributaryCluster } from './cluster-session.js';

let cluster: TributaryCluster;

beforeAll(async () => {
  javaClasspath();
  cluster = await startTributaryCluster();
}, 240_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

describe('three Tributary brokers answer the cluster session as a 3-node Apache Kafka did', () => {
  it('ClusterSession: RF 3 topic, elections, reassignment, a broker stopped and restarted, configs, partitions, delete', async () => {
    const recorded = JSON.parse(fs.readFileSync(RECORDED_KAFKA, 'utf8')) as { kafka: string; steps: Step[] };
    const steps = await runClusterSession(cluster);
    // The points of the session, spelled out (the comparison below covers every other field).
    expect(stepOf(steps, 'metadata').result).toMatchObject({ distinctLeaders: 3, preferredBalanced: true });
    expect(stepOf(steps, 'stopped.isrShrunk').ok).toBe(true);
    expect(stepOf(steps, 'stopped.produce.minIsr2').result).toEqual({ ok: [19, 19, 19, 19, 19, 19] });
    expect(stepOf(steps, 'stopped.produce.minIsr3').result).toEqual({ error: 'NotEnoughReplicasException' });
    expect(stepOf(steps, 'restarted.rejoined').ok).toBe(true);
    const { unexplained, stale } = unexplainedDifferences(recorded.steps, steps);
    expect(unexplained, `differences from Apache Kafka ${recorded.kafka} (${RECORDED_KAFKA}) not in known-differences.ts`).toEqual([]);
    expect(stale, 'listed differences that no longer occur').toEqual([]);
  }, 240_000);
});

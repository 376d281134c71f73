// Differential test of the three-broker cluster: test/compat/java/ClusterSession.java (RF 3 topic
// with min.insync.replicas=2, Metadata shape, acks=all produce and a group consumer, DescribeCluster,
// ElectLeaders, AlterPartitionReassignments / ListPartitionReassignments, a clean stop of one broker
// (ISR shrink, leaders move, NOT_ENOUGH_REPLICAS once min.insync is 3), its restart and return to
// every ISR, DescribeConfigs, CreatePartitions, DeleteTopics) against a 3-node Apache Kafka KRaft
// cluster (combined broker+controller nodes, -Xmx384m each) and against 3 Tributary brokers on an
// in-memory metadata store. The session prints counts and flags, not broker ids, so the transcripts
// compare as they are; known-differences.ts lists what stays different, with its reason.
//
// Kafka's transcript is also kept in recorded/cluster-session.kafka.json, which the suite's
// Tributary-only cluster-session.test.ts compares against; this test fails if Kafka stops
// answering as recorded (TRIBUTARY_REF_RECORD=1 rewrites the file instead).
//
// Three Kafka JVMs cost ~1 minute of start and ~1 GB on the shared 2-core machine, so this file
// runs only when asked: TRIBUTARY_REF_CLUSTER=1 npx vitest run test/reference/differential-cluster.test.ts
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaReference, type KafkaReference } from '../helpers/kafka-reference.js';
import { javaClasspath } from '../helpers/java-client.js';
import { RECORDED_KAFKA, runClusterSession, startTributaryCluster, unexplainedDifferences, type TributaryCluster } from './cluster-session.js';

const enabled = process.env.TRIBUTARY_REF_CLUSTER === '1';

let kafka: KafkaReference;
let tributary: TributaryCluster;

describe.skipIf(!enabled)('three brokers: the Java cluster session observes the same on Apache Kafka and on Tributary', () => {
  beforeAll(async () => {
    javaClasspath();
    [kafka, tributary] = await Promise.all([
      startKafkaReference({ nodes: 3, heapMb: 384, startTimeoutMs: 240_000 }),
      startTributaryCluster(),
    ]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([kafka?.stop(), tributary?.close()]);
  }, 60_000);

  it('ClusterSession', async () => {
    // One after the other: three Kafka JVMs already fill the two cores.
    const onKafka = await runClusterSession({ bootstrap: kafka.bootstrap, stopNode: (id) => kafka.stopNode(id), startNode: (id) => kafka.startNode(id) }, 240_000);
    const onTributary = await runClusterSession(tributary);
    if (process.env.TRIBUTARY_REF_TRANSCRIPTS) {
      fs.writeFileSync(`${process.env.TRIBUTARY_REF_TRANSCRIPTS}/cluster-kafka.json`, JSON.stringify(onKafka, null, 1));
      fs.writeFileSync(`${process.env.TRIBUTARY_REF_TRANSCRIPTS}/cluster-tributary.json`, JSON.stringify(onTributary, null, 1));
    }
    if (process.env.TRIBUTARY_REF_RECORD === '1') {
      fs.writeFileSync(RECORDED_KAFKA, `${JSON.stringify({ kafka: kafka.version, steps: onKafka }, null, 1)}\n`);
    } else {
      const recorded = JSON.parse(fs.readFileSync(RECORDED_KAFKA, 'utf8')) as { steps: unknown };
      expect(onKafka, `Kafka ${kafka.version} no longer answers as ${RECORDED_KAFKA} says (TRIBUTARY_REF_RECORD=1 rewrites it)`).toEqual(recorded.steps);
    }
    const { unexplained, stale } = unexplainedDifferences(onKafka, onTributary);
    expect(unexplained, `differences from Apache Kafka ${kafka.version} not in known-differences.ts`).toEqual([]);
    expect(stale, 'listed differences that no longer occur').toEqual([]);
  }, 900_000);
});

// Leadership moved by the controller (issue 13): controlled shutdown moves every leadership off a
// broker before it exits (a producer running meanwhile sees no error); after it comes back and
// catches up into the ISR (AlterPartition through the controller), ElectLeaders PREFERRED gives
// its partitions back; AlterPartitionReassignments moves a partition to another replica set with
// its data, deleting the removed replica's copy. Three in-process brokers, real clients.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const IDS = [1, 2, 3];
const TOPIC = 'lead';

const kafka = () =>
  new Kafka({ clientId: 'ctrl-lead', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 } });
const live = () => IDS.filter((id) => cluster.brokers[id - 1] !== undefined);
const stateOn = (id: number, topic: string, p: number) => cluster.byId(id).broker.partitionManager.partition(topic, p);

const raw = <T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> => cluster.send<T>(nodeId, apiKey, version, body);

async function createTopic(name: string, partitions: number, rf: number): Promise<void> {
  const res = await raw(live()[0]!, 19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
  for (const id of live()) {
    await cluster.waitFor(`${name} in sync on broker ${id}`, () => {
      for (let p = 0; p < partitions; p++) {
        const s = stateOn(id, name, p);
        if (!s || s.leaderId < 0 || s.isr.length !== rf) return false;
      }
      return true;
    });
  }
}

beforeAll(async () => {
  cluster = await startCluster(3, {
    'controlled.shutdown.retry.backoff.ms': '200',
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
    // Only explicit ElectLeaders moves leaders back in this file.
    'auto.leader.rebalance.enable': 'false',
  });
  await createTopic(TOPIC, 3, 3);
});
afterAll(async () => {
  await cluster?.close();
});

describe('controller-driven leadership', () => {
  it('controlled shutdown moves leadership off a broker before it leaves; a running producer sees no error', async () => {
    const victim = stateOn(1, TOPIC, 0)!.leaderId;
    const epochs = [0, 1, 2].map((p) => stateOn(1, TOPIC, p)!.leaderEpoch);
    const b = cluster.byId(victim).broker;
    // What the broker itself leads at the moment it leaves the cluster (after the controlled shutdown).
    let ledWhenLeaving: number[] | undefined;
    const node = b.cluster!;
    const stop = node.stop.bind(node);
    node.stop = async () => {
      ledWhenLeaving = [0, 1, 2].filter((p) => b.partitionManager.partition(TOPIC, p)!.leaderId === victim);
      return stop();
    };

    const producer = kafka().producer();
    await producer.connect();
    const errors: string[] = [];
    let acked = 0;
    let stopped = false;
    let ackedAfter = 0;
    const run = (async () => {
      for (let i = 0; ackedAfter < 30 && i < 5000; i++) {
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `cs-${i}`, partition: i % 3 }] });
          acked++;
          if (stopped) ackedAfter++;
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    })();
    await cluster.waitFor('acks before the shutdown', () => acked >= 20);
    stoppedDirs.set(victim, cluster.brokers[victim - 1]!.dataDir);
    await cluster.brokers[victim - 1]!.stop();
    cluster.brokers[victim - 1] = undefined;
    stopped = true;
    await run;
    await producer.disconnect();

    expect(ledWhenLeaving).toEqual([]);
    expect(errors).toEqual([]);
    expect(ackedAfter).toBe(30);
    const other = live()[0]!;
    for (const p of [0, 1, 2]) {
      const s = stateOn(other, TOPIC, p)!;
      expect(s.leaderId).not.toBe(victim);
      expect(s.isr).not.toContain(victim);
      if (p === 0) expect(s.leaderEpoch).toBe(epochs[0]! + 1);
    }
    // Back on the same data dir: it catches up and rejoins every ISR through the leaders' AlterPartition.
    cluster.brokers[victim - 1] = await startAgain(victim);
    for (const id of live()) {
      await cluster.waitFor(`broker ${victim} back in every ISR (seen by ${id})`, () => [0, 1, 2].every((p) => stateOn(id, TOPIC, p)!.isr.includes(victim)), 20_000);
    }
  }, 60_000);

  it('ElectLeaders PREFERRED gives partitions back to their preferred replica after a failover', async () => {
    const replicas = [0, 1, 2].map((p) => stateOn(1, TOPIC, p)!.replicas);
    const misplaced = [0, 1, 2].filter((p) => stateOn(1, TOPIC, p)!.leaderId !== replicas[p]![0]);
    expect(misplaced.length).toBeGreaterThan(0);
    const res = await raw(live()[0]!, 43, 2, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0, 1, 2] }, { topic: 'nope', partitions: [0] }], timeoutMs: 5000 });
    expect(res.errorCode).toBe(ErrorCode.NONE);
    const codes = new Map<string, number>();
    for (const t of res.replicaElectionResults) for (const p of t.partitionResult) codes.set(`${t.topic}-${p.partitionId}`, p.errorCode);
    for (const p of [0, 1, 2]) expect(codes.get(`${TOPIC}-${p}`)).toBe(misplaced.includes(p) ? ErrorCode.NONE : ErrorCode.ELECTION_NOT_NEEDED);
    expect(codes.get('nope-0')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    for (const id of IDS) {
      await cluster.waitFor(`preferred leaders on broker ${id}`, () => [0, 1, 2].every((p) => stateOn(id, TOPIC, p)!.leaderId === replicas[p]![0]));
    }
    // Again: nothing to do.
    const again = await raw(live()[0]!, 43, 2, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0] }], timeoutMs: 5000 });
    expect(again.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
  });

  it('AlterPartitionReassignments moves a partition to another replica set with its data; the removed copy is deleted', async () => {
    await createTopic('move', 1, 2);
    const before = stateOn(1, 'move', 0)!.replicas;
    const outsider = IDS.find((id) => !before.includes(id))!;
    const removed = before[0]!; // the current (preferred) leader leaves: leadership must move
    const target = [outsider, before[1]!];
    const producer = kafka().producer();
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `m-${i}`);
    await producer.send({ topic: 'move', acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
    await producer.disconnect();

    const admin = kafka().admin();
    await admin.connect();
    try {
      // kafkajs sends it to the controller; the forwarding path is covered by the raw request below.
      await admin.alterPartitionReassignments({ topics: [{ topic: 'move', partitionAssignment: [{ partition: 0, replicas: target }] }] });
      for (const id of IDS) {
        await cluster.waitFor(`move-0 on ${JSON.stringify(target)} seen by broker ${id}`, () => {
          const s = stateOn(id, 'move', 0)!;
          return s.replicas.join() === target.join() && target.includes(s.leaderId) && [...s.isr].sort().join() === [...target].sort().join();
        }, 20_000);
      }
      const listed = await admin.listPartitionReassignments({});
      expect(listed.topics).toEqual([]);
    } finally {
      await admin.disconnect();
    }
    await cluster.waitFor(`the copy on broker ${removed} deleted`, () => cluster.byId(removed).broker.logManager.getLog('move', 0) === undefined);
    expect(cluster.byId(outsider).broker.logManager.getLog('move', 0)!.logEndOffset).toBe(50);

    // Via a non-controller (forwarded): unknown broker, and a cancel with nothing in progress.
    const via = IDS.find((id) => id !== cluster.byId(1).broker.controllerId)!;
    const res = await raw(via, 45, 0, {
      timeoutMs: 5000,
      topics: [{ name: 'move', partitions: [{ partitionIndex: 0, replicas: [1, 9] }] }, { name: TOPIC, partitions: [{ partitionIndex: 0, replicas: null }] }],
    });
    expect(res.responses.map((t: any) => t.partitions[0].errorCode)).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);

    const consumer = kafka().consumer({ groupId: 'move-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'move', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await cluster.waitFor('the moved records consumed', () => seen.length >= 50, 20_000);
    await consumer.disconnect();
    expect(seen).toEqual(values);
  }, 60_000);
});

async function startAgain(id: number) {
  const { startTestBroker } = await import('../helpers/broker.js');
  const first = cluster.brokers.find((b) => b !== undefined)!;
  const store = first.broker.config.get('tributary.metadata.store');
  return startTestBroker(
    {
      'node.id': String(id),
      'tributary.metadata.store': store,
      'tributary.metadata.session.timeout.ms': '1500',
      'controlled.shutdown.retry.backoff.ms': '200',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
      'auto.leader.rebalance.enable': 'false',
    },
    stoppedDirs.get(id),
  );
}
const stoppedDirs = new Map<number, string>();

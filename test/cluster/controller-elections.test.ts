// Elections and reassignments the controller refuses or keeps pending (issue 13): ElectLeaders
// UNCLEAN brings back a partition whose whole ISR died (losing what only the dead leader had),
// with Kafka's per-partition errors (PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
// ELECTION_NOT_NEEDED); ListPartitionReassignments shows a move whose new replica has not caught
// up, and cancelling it restores the original replicas; an admin request forwarded while the
// controller is dead waits for the next controller instead of failing. Three in-process brokers.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const IDS = [1, 2, 3];
const PREFERRED = 0;
const UNCLEAN = 1;

const kafka = () =>
  new Kafka({ clientId: 'ctrl-elect', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 } });
const live = () => IDS.filter((id) => cluster.brokers[id - 1] !== undefined);
const stateOn = (id: number, topic: string, p: number) => cluster.byId(id).broker.partitionManager.partition(topic, p);
const controllerId = () => cluster.byId(live()[0]!).broker.controllerId;

const raw = <T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> => cluster.send<T>(nodeId, apiKey, version, body);

/** CreateTopics with a manual assignment (partition p on `replicas[p]`, the first one preferred). */
async function createAssigned(name: string, replicas: number[][]): Promise<void> {
  const res = await raw(live()[0]!, 19, 7, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
  for (const id of live()) {
    await cluster.waitFor(`${name} in sync on broker ${id}`, () =>
      replicas.every((r, p) => {
        const s = stateOn(id, name, p);
        return s !== undefined && s.leaderId === r[0] && s.isr.length === r.length;
      }),
    );
  }
}

function electionCodes(res: any): Record<string, number> {
  expect(res.errorCode).toBe(ErrorCode.NONE);
  const out: Record<string, number> = {};
  for (const t of res.replicaElectionResults) for (const p of t.partitionResult) out[`${t.topic}-${p.partitionId}`] = p.errorCode;
  return out;
}

beforeAll(async () => {
  cluster = await startCluster(3, {
    'controlled.shutdown.retry.backoff.ms': '200',
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
    'auto.leader.rebalance.enable': 'false',
    // Groups are used while broker 1 is down: Kafka's default RF 3 could not create the offsets topic then.
    'offsets.topic.replication.factor': '2',
  });
});
afterAll(async () => {
  await cluster?.close();
});

describe('elections and reassignments the controller cannot finish at once', () => {
  it('ElectLeaders UNCLEAN revives a partition whose ISR died; PREFERRED and UNCLEAN report per-partition errors', async () => {
    await createAssigned('unc', [[1, 2]]);
    await createAssigned('solo', [[1]]);
    await createAssigned('ok', [[3, 2]]);
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'unc', acks: -1, messages: ['a0', 'a1', 'a2', 'a3', 'a4'].map((value) => ({ value, partition: 0 })) });

    // Broker 2 leaves cleanly (out of every ISR at once); broker 1 alone then takes more records.
    const second = cluster.byId(2);
    await second.stop();
    cluster.brokers[1] = undefined;
    for (const id of [1, 3]) await cluster.waitFor(`unc ISR = [1] on broker ${id}`, () => stateOn(id, 'unc', 0)!.isr.join() === '1');
    // The leader may not put broker 2 back while it is not registered (INELIGIBLE_REPLICA, KIP-903).
    const ctl = controllerId();
    const known = (cluster.byId(ctl).broker.cluster as unknown as { partitionStates: Map<string, { partitionEpoch: number; leaderEpoch: number }> }).partitionStates.get('unc\0' + '0')!;
    const alter = await raw(ctl, 56, 2, {
      brokerId: 1,
      brokerEpoch: -1,
      topics: [{ topicId: cluster.byId(1).broker.topics.get('unc')!.id, partitions: [{ partitionIndex: 0, leaderEpoch: known.leaderEpoch, newIsr: [1, 2], newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch: known.partitionEpoch }] }],
    });
    expect(alter.topics[0].partitions[0].errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
    // acks=all with the leader alone in the ISR completes at once (it used to wait for a follower fetch that never came).
    await producer.send({ topic: 'unc', acks: -1, messages: [{ value: 'lost', partition: 0 }] });
    await producer.disconnect();

    // Broker 1 dies: unc and solo have nobody in their ISR alive.
    const first = cluster.byId(1);
    await cluster.kill(1);
    await cluster.waitFor('unc and solo leaderless', () => stateOn(3, 'unc', 0)!.leaderId === -1 && stateOn(3, 'solo', 0)!.leaderId === -1);
    // Broker 2 comes back, out of unc's ISR: with unclean election disabled, unc stays leaderless.
    cluster.brokers[1] = await second.restart();
    await cluster.waitFor('broker 2 registered again', () => cluster.byId(3).broker.brokersFor('PLAINTEXT').some((b) => b.nodeId === 2));

    const preferred = await raw(2, 43, 2, { electionType: PREFERRED, topicPartitions: [{ topic: 'unc', partitions: [0] }, { topic: 'ok', partitions: [0] }], timeoutMs: 5000 });
    expect(electionCodes(preferred)).toEqual({ 'unc-0': ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'ok-0': ErrorCode.ELECTION_NOT_NEEDED });
    expect(stateOn(3, 'unc', 0)!.leaderId).toBe(-1);
    // Every partition (null): those already led by their preferred replica are left out, failures are not.
    const all = electionCodes(await raw(3, 43, 2, { electionType: PREFERRED, topicPartitions: null, timeoutMs: 5000 }));
    expect(all['unc-0']).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    expect(all['solo-0']).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    expect(all['ok-0']).toBeUndefined();

    const unclean = await raw(2, 43, 2, {
      electionType: UNCLEAN,
      topicPartitions: [{ topic: 'unc', partitions: [0] }, { topic: 'solo', partitions: [0] }, { topic: 'ok', partitions: [0] }],
      timeoutMs: 5000,
    });
    expect(electionCodes(unclean)).toEqual({ 'unc-0': ErrorCode.NONE, 'solo-0': ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'ok-0': ErrorCode.ELECTION_NOT_NEEDED });
    for (const id of [2, 3]) await cluster.waitFor(`unc led by broker 2 alone (seen by ${id})`, () => stateOn(id, 'unc', 0)!.leaderId === 2 && stateOn(id, 'unc', 0)!.isr.join() === '2');

    // unc serves again from broker 2's copy: what only broker 1 had is lost, as unclean election means.
    const p2 = kafka().producer();
    await p2.connect();
    await p2.send({ topic: 'unc', acks: -1, messages: [{ value: 'after', partition: 0 }] });
    await p2.disconnect();
    const consumer = kafka().consumer({ groupId: 'unc-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'unc', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await cluster.waitFor('unc consumed', () => seen.includes('after'), 20_000);
    await consumer.disconnect();
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'after']);

    // Broker 1 returns: solo is led again (its only replica), and broker 1's copy of unc drops the
    // record the unclean election lost (truncated to the new leader's epoch) before it rejoins the ISR.
    cluster.brokers[0] = await first.restart();
    for (const id of IDS) await cluster.waitFor(`solo led by broker 1 (seen by ${id})`, () => stateOn(id, 'solo', 0)?.leaderId === 1);
    for (const id of IDS) await cluster.waitFor(`broker 1 back in unc's ISR (seen by ${id})`, () => [...stateOn(id, 'unc', 0)!.isr].sort().join() === '1,2', 20_000);
    expect(cluster.byId(1).broker.logManager.getLog('unc', 0)!.logEndOffset).toBe(6);
  }, 60_000);

  it('ListPartitionReassignments shows a move whose new replica has not caught up; cancelling it restores the replicas and deletes the new copy', async () => {
    await createAssigned('mv', [[3]]);
    // Broker 2 stops fetching (a replica that cannot catch up): the move cannot complete.
    (cluster.byId(2).broker as unknown as { replicaFetchers: { stop(): void } }).replicaFetchers.stop();
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.alterPartitionReassignments({ topics: [{ topic: 'mv', partitionAssignment: [{ partition: 0, replicas: [2] }] }] });
      for (const id of [2, 3]) await cluster.waitFor(`mv-0 replicas [2,3] seen by ${id}`, () => stateOn(id, 'mv', 0)!.replicas.join() === '2,3');
      await cluster.waitFor('broker 2 holds a (new, empty) copy of mv-0', () => cluster.byId(2).broker.logManager.getLog('mv', 0) !== undefined);
      const listed = await admin.listPartitionReassignments({});
      expect(listed.topics).toEqual([{ name: 'mv', partitions: [{ partition: 0, replicas: [2, 3], addingReplicas: [2], removingReplicas: [3] }] }]);
    } finally {
      await admin.disconnect();
    }
    // The same answer from a broker that is not the controller (forwarded), narrowed to mv-0.
    const via = live().find((id) => id !== controllerId())!;
    const forwarded = await raw(via, 46, 0, { timeoutMs: 5000, topics: [{ name: 'mv', partitionIndexes: [0] }] });
    expect(forwarded.errorCode).toBe(ErrorCode.NONE);
    expect(forwarded.topics).toEqual([{ name: 'mv', partitions: [{ partitionIndex: 0, replicas: [2, 3], addingReplicas: [2], removingReplicas: [3] }] }]);
    // The leader stays the original replica while the new one has not caught up.
    expect(stateOn(3, 'mv', 0)).toMatchObject({ leaderId: 3, isr: [3] });

    const cancel = await raw(via, 45, 0, { timeoutMs: 5000, topics: [{ name: 'mv', partitions: [{ partitionIndex: 0, replicas: null }] }] });
    expect(cancel.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of [2, 3]) await cluster.waitFor(`mv-0 back on [3] (seen by ${id})`, () => stateOn(id, 'mv', 0)!.replicas.join() === '3');
    await cluster.waitFor('the cancelled copy on broker 2 deleted', () => cluster.byId(2).broker.logManager.getLog('mv', 0) === undefined);
    const after = await raw(via, 46, 0, { timeoutMs: 5000, topics: null });
    expect(after.topics).toEqual([]);
  });

  it('an admin request forwarded while the controller is dead is answered by the next controller', async () => {
    await createAssigned('gone', [[2], [3]]);
    const dead = controllerId();
    const via = live().find((id) => id !== dead)!;
    await cluster.kill(dead);
    // Sent before the dead controller's lease expires: the forwarding broker retries until a new
    // controller is elected, instead of answering NOT_CONTROLLER.
    const res = await raw(via, 20, 4, { topicNames: ['gone'], timeoutMs: 5000 });
    expect(res.responses[0]).toMatchObject({ name: 'gone', errorCode: ErrorCode.NONE });
    const next = cluster.byId(via).broker.controllerId;
    expect(next).not.toBe(dead);
    expect(live()).toContain(next);
    await cluster.waitFor(`gone removed on broker ${via}`, () => cluster.byId(via).broker.topics.get('gone') === undefined);
  });
});

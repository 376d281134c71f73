// The broker registry (issue 13), as KRaft's: a cleanly stopped broker stays registered, fenced,
// until UnregisterBroker. Three in-process brokers on a memory store, broker 3 stopped:
// DescribeCluster lists the two live ones, a replication factor 3 topic is still created (the
// stopped broker is a follower, out of the ISR, never the leader) and it joins the ISR when it
// returns; manual assignments may name it but not only it. After UnregisterBroker it no longer
// counts (INVALID_REPLICATION_FACTOR), a second unregister and an unknown id answer
// BROKER_ID_NOT_REGISTERED, and a running broker that is unregistered registers again.
// DescribeCluster v2 with includeFencedBrokers (KIP-1073) lists the stopped broker flagged isFenced;
// UnregisterBroker takes it out of every ISR (a new leader where it led; a last member stays).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { sharedMemoryKv } from '../../src/cluster/cluster-node.js';
import { KvMetadataStore } from '../../src/cluster/metadata-store/kv-metadata-store.js';
import { LocalCluster } from '../../src/local-cluster.js';
import { RawClient } from '../helpers/raw-client.js';

const storeName = `registry-${randomBytes(6).toString('hex')}`;
let root: string;
let cluster: LocalCluster;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-registry-'));
  cluster = await LocalCluster.start({
    brokers: [1, 2, 3].map((nodeId) => ({ nodeId, dataDir: path.join(root, `broker-${nodeId}`), port: 0 })),
    store: `memory:${storeName}`,
    config: { 'tributary.metadata.session.timeout.ms': 1500, 'offsets.topic.replication.factor': 1 },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
}, 60_000);

async function send<T = any>(nodeId: number, apiKey: number, version: number, body: object): Promise<T> {
  const c = await RawClient.connect(cluster.get(nodeId).port);
  try {
    return await c.send<T>(apiKey, version, body);
  } finally {
    c.close();
  }
}

type Assign = { partitionIndex: number; brokerIds: number[] }[];
async function createTopic(name: string, numPartitions: number, replicationFactor: number, assignments: Assign = []): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await send(1, 19, 5, { topics: [{ name, numPartitions, replicationFactor, assignments, configs: [] }], timeoutMs: 10_000, validateOnly: false });
  return res.topics[0];
}

const unregister = (via: number, brokerId: number) => send<{ errorCode: number; errorMessage: string | null }>(via, 64, 0, { brokerId });
const partitionOn = (nodeId: number, topic: string, p: number) => cluster.get(nodeId).embedded!.broker.partitionManager.partition(topic, p);
const liveSeenBy = (nodeId: number) => cluster.get(nodeId).embedded!.broker.brokersFor('PLAINTEXT').map((b) => b.nodeId).sort();
const store = () => new KvMetadataStore(sharedMemoryKv(storeName), '/tributary/', false);

describe('a stopped broker stays registered (fenced) until UnregisterBroker', () => {
  it('RF 3 with one of three brokers stopped: created, the stopped broker out of the ISR; it joins the ISR when back', async () => {
    await cluster.stop(3);
    await cluster.waitUntil('brokers 1 and 2 see broker 3 gone', () => liveSeenBy(1).join() === '1,2' && liveSeenBy(2).join() === '1,2');
    // DescribeCluster and Metadata list live (unfenced) brokers only, as Kafka.
    const described = await send(2, 60, 0, { includeClusterAuthorizedOperations: false });
    expect(described.brokers.map((b: { brokerId: number }) => b.brokerId).sort()).toEqual([1, 2]);
    expect((await store().listRegisteredBrokers()).map((b) => [b.brokerId, b.fenced])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);

    expect(await createTopic('rf3-down', 4, 3)).toMatchObject({ errorCode: ErrorCode.NONE });
    for (let p = 0; p < 4; p++) {
      await cluster.waitUntil(`rf3-down-${p} led on broker 1`, () => (partitionOn(1, 'rf3-down', p)?.leaderId ?? -1) >= 0);
      const s = partitionOn(1, 'rf3-down', p)!;
      expect([...s.replicas].sort()).toEqual([1, 2, 3]);
      expect(s.leaderId).not.toBe(3);
      expect([...s.isr].sort()).toEqual([1, 2]);
    }
    const rf4 = await createTopic('rf4', 1, 4);
    expect(rf4.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(rf4.errorMessage).toContain('only 3 broker(s) are registered');
    // Manual assignments may name the fenced broker, but some replica must be able to lead.
    expect(await createTopic('manual-ok', -1, -1, [{ partitionIndex: 0, brokerIds: [3, 1] }])).toMatchObject({ errorCode: ErrorCode.NONE });
    await cluster.waitUntil('manual-ok led by broker 1', () => partitionOn(2, 'manual-ok', 0)?.leaderId === 1);
    expect(partitionOn(2, 'manual-ok', 0)!.isr).toEqual([1]);
    expect(await createTopic('manual-fenced', -1, -1, [{ partitionIndex: 0, brokerIds: [3] }])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
    expect(await createTopic('manual-unknown', -1, -1, [{ partitionIndex: 0, brokerIds: [99, 1] }])).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });

    // Back: it catches up and joins every ISR (the leader's AlterPartition).
    await cluster.startBroker(3);
    await cluster.waitUntil(
      'broker 3 in the ISR of every rf3-down partition and of manual-ok',
      () => [0, 1, 2, 3].every((p) => partitionOn(1, 'rf3-down', p)?.isr.includes(3)) && partitionOn(1, 'manual-ok', 0)!.isr.includes(3),
      30_000,
    );
  }, 90_000);

  it('UnregisterBroker: the stopped broker no longer counts; unknown ids are BROKER_ID_NOT_REGISTERED', async () => {
    await cluster.stop(3);
    await cluster.waitUntil('broker 3 gone', () => liveSeenBy(1).join() === '1,2');
    // DescribeCluster v2 (KIP-1073): includeFencedBrokers lists the stopped (fenced) broker too.
    const describe = async (includeFencedBrokers: boolean) =>
      (await send(2, 60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers })).brokers.map(
        (b: { brokerId: number; isFenced: boolean }) => [b.brokerId, b.isFenced],
      );
    expect(await describe(true)).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(await describe(false)).toEqual([
      [1, false],
      [2, false],
    ]);
    // A partition whose ISR still holds broker 3 beside live members (as when it stopped while no
    // controller could act): forged in the store, without a controller fence.
    const forged = (await store().getPartition('rf3-down', 0))!;
    expect(forged.state.isr).not.toContain(3);
    const cas = await store().casPartition(forged, { leader: forged.state.leader, leaderEpoch: forged.state.leaderEpoch, isr: [...forged.state.isr, 3] });
    expect(cas.ok).toBe(true);
    // One it still leads (a new leader is elected), and a leaderless one where it is the last ISR member (kept).
    const led = (await store().getPartition('rf3-down', 1))!;
    expect((await store().casPartition(led, { leader: 3, leaderEpoch: led.state.leaderEpoch + 1, isr: [3, ...led.state.isr] })).ok).toBe(true);
    const last = (await store().getPartition('manual-ok', 0))!;
    expect((await store().casPartition(last, { leader: -1, leaderEpoch: last.state.leaderEpoch + 1, isr: [3] })).ok).toBe(true);
    const controller = cluster.controllerId();
    const other = [1, 2].find((id) => id !== controller)!;
    // From a broker that is not the controller: forwarded to it, as Kafka's brokers do.
    expect(await unregister(other, 3)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    expect((await store().listRegisteredBrokers()).map((b) => b.brokerId)).toEqual([1, 2]);
    // Kafka's handleBrokerUnregistered: out of every ISR; and no longer listed, even with fenced ones.
    expect((await store().getPartition('rf3-down', 0))!.state.isr).not.toContain(3);
    const reelected = (await store().getPartition('rf3-down', 1))!.state;
    expect(reelected.isr).not.toContain(3);
    expect([1, 2]).toContain(reelected.leader);
    expect(reelected.leaderEpoch).toBe(led.state.leaderEpoch + 2);
    expect((await store().getPartition('manual-ok', 0))!.state).toMatchObject({ leader: -1, isr: [3] });
    expect(await describe(true)).toEqual([
      [1, false],
      [2, false],
    ]);
    const again = await unregister(controller, 3);
    expect(again.errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
    expect((await unregister(other, 99)).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
    expect((await createTopic('rf3-after-unregister', 1, 3)).errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect((await createTopic('rf2-after-unregister', 1, 2)).errorCode).toBe(ErrorCode.NONE);
    // Broker 3 starts again: registered anew.
    await cluster.startBroker(3);
    await cluster.waitUntil('broker 3 registered again', async () => (await store().listRegisteredBrokers()).some((b) => b.brokerId === 3 && !b.fenced));
    expect((await createTopic('rf3-after-return', 1, 3)).errorCode).toBe(ErrorCode.NONE);
  }, 90_000);

  it('a running broker that is unregistered registers again, with a new broker epoch', async () => {
    await cluster.waitUntil('three live brokers', () => liveSeenBy(1).join() === '1,2,3');
    const epochOf = async (id: number) => (await store().listBrokers()).items.find((b) => b.brokerId === id)?.brokerEpoch;
    const before = await epochOf(3);
    expect(before).toBeGreaterThan(0);
    expect((await unregister(1, 3)).errorCode).toBe(ErrorCode.NONE);
    await cluster.waitUntil('broker 3 live again under a new epoch', async () => {
      const now = await epochOf(3);
      return now !== undefined && now !== before;
    });
    expect((await store().listRegisteredBrokers()).find((b) => b.brokerId === 3)?.fenced).toBe(false);
  }, 60_000);
});

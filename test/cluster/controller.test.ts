// The controller over the metadata store, with brokers as ClusterMembers (registration, election,
// rejoin) in one process. Most cases on the in-memory store; failover, controller failover and
// controlled shutdown also on a real etcd.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ClusterMember } from '../../src/cluster/controller/cluster-member.js';
import { Controller, NO_LEADER } from '../../src/cluster/controller/controller.js';
import type { BrokerRegistration, ClusterMetadataStore, VersionedPartitionState } from '../../src/cluster/metadata-store/types.js';
import { KvMetadataStore } from '../../src/cluster/metadata-store/kv-metadata-store.js';
import { MemoryKv } from '../../src/cluster/metadata-store/memory-kv.js';
import { etcdFixture, EventLog, FlakyKv, freshRoot, memoryFixture, waitFor, type StoreFixture } from './store-fixtures.js';

const reg = (brokerId: number, rack: string | null = null): BrokerRegistration => ({
  brokerId,
  rack,
  listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 'PLAINTEXT' }],
});

interface TestCluster {
  root: string;
  admin: ClusterMetadataStore;
  members: Map<number, ClusterMember>;
  controller(): Controller;
  add(id: number, rack?: string | null): Promise<ClusterMember>;
  partitions(topic: string): Promise<VersionedPartitionState[]>;
  stopAll(): Promise<void>;
}

async function startCluster(fx: StoreFixture, ids: number[], racks: (string | null)[] = []): Promise<TestCluster> {
  const root = freshRoot();
  const admin = await fx.open(root);
  const members = new Map<number, ClusterMember>();
  const all: ClusterMember[] = [];
  const c: TestCluster = {
    root,
    admin,
    members,
    controller: () => {
      const m = [...members.values()].find((x) => x.controller);
      if (!m) throw new Error('no controller');
      return m.controller!;
    },
    add: async (id, rack = null) => {
      const m = new ClusterMember({ store: await fx.open(root), registration: reg(id, rack), sessionTtlMs: fx.ttlMs });
      all.push(m);
      await m.start();
      members.set(id, m);
      return m;
    },
    partitions: async (topic) => (await admin.listPartitions(topic)).items,
    stopAll: async () => {
      for (const m of all) await m.stop();
    },
  };
  for (const [i, id] of ids.entries()) await c.add(id, racks[i] ?? null);
  // The controller (the first member) has seen every registration.
  await waitFor(() => (c.controller().liveBrokerIds().length === ids.length ? true : undefined), 'controller sees all brokers');
  return c;
}

function byPartition(states: VersionedPartitionState[]) {
  return states.map((p) => ({ p: p.partition, leader: p.state.leader, leaderEpoch: p.state.leaderEpoch, isr: p.state.isr, partitionEpoch: p.state.partitionEpoch }));
}

describe.each([
  ['memory', memoryFixture],
  ['etcd', etcdFixture],
] as const)('controller failover (%s)', (_name, makeFixture) => {
  let fx: StoreFixture;
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    fx = await makeFixture();
  });
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it("elects new leaders from the ISR when a broker's lease expires, and drops it from every ISR", async () => {
    cluster = await startCluster(fx, [1, 2, 3]);
    const created = await cluster.controller().createTopic('f', 6, 3);
    expect(created.errorCode).toBe(ErrorCode.NONE);
    const replicas = created.topic!.replicas;
    const before = await cluster.partitions('f');
    expect(byPartition(before)).toEqual(replicas.map((r, p) => ({ p, leader: r[0], leaderEpoch: 0, isr: r, partitionEpoch: 0 })));

    await cluster.members.get(2)!.crash();
    const after = await waitFor(async () => {
      const ps = await cluster!.partitions('f');
      return ps.every((p) => p.state.leader !== 2 && !p.state.isr.includes(2)) ? ps : undefined;
    }, 'broker 2 out of every partition');
    for (const [p, s] of after.entries()) {
      const was = before[p]!.state;
      const r = replicas[p]!;
      expect(s.state.isr).toEqual(was.isr.filter((id) => id !== 2));
      expect(s.state.partitionEpoch).toBe(1);
      if (was.leader === 2) {
        // Kafka's offline election: the first assigned replica that is alive and in the ISR.
        expect(s.state.leader).toBe(r.find((id) => id !== 2));
        expect(s.state.leaderEpoch).toBe(1);
      } else {
        expect(s.state.leader).toBe(was.leader);
        expect(s.state.leaderEpoch).toBe(0);
      }
    }
  });

  it('a new controller takes over when the controller broker dies, and the old one is fenced', async () => {
    cluster = await startCluster(fx, [1, 2, 3]);
    const old = cluster.controller();
    expect(old.fence.brokerId).toBe(1);
    await old.createTopic('g', 3, 3, {}, [
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ]);
    await cluster.members.get(1)!.crash();
    const next = await waitFor(() => [2, 3].map((id) => cluster!.members.get(id)!.controller).find((c) => c), 'a new controller');
    expect(next.fence.epoch).toBe(old.fence.epoch + 1);
    // The new controller handles broker 1's disappearance (found at start or through its watch).
    const ps = await waitFor(async () => {
      const items = await cluster!.partitions('g');
      return items.every((p) => !p.state.isr.includes(1)) ? items : undefined;
    }, 'broker 1 out of the ISRs');
    expect(ps.map((p) => p.state.leader)).toEqual([2, 2, 3]);
    expect(ps[0]!.state.controllerEpoch).toBe(next.fence.epoch);
    // The dead controller object can no longer change anything.
    expect((await old.createTopic('h', 1, 1)).errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(await cluster.admin.getTopic('h')).toBeUndefined();
  });

  it('ClusterMembers keep exactly one controller as controllers stop and crash, round after round', async () => {
    cluster = await startCluster(fx, [1, 2, 3, 4]);
    const epochs: number[] = [];
    for (let round = 0; round < 4; round++) {
      const active = () => [...cluster!.members.values()].filter((m) => m.controller);
      const current = await waitFor(() => (active().length === 1 ? active()[0] : undefined), 'exactly one controller');
      const epoch = current.controller!.fence.epoch;
      expect(await cluster.admin.getController()).toMatchObject({ brokerId: current.brokerId, epoch });
      epochs.push(epoch);
      // Clean stop (resign + revoke) in most rounds, a crash (lease runs out) in one.
      if (round === 2) await current.crash();
      else await current.stop();
      cluster.members.delete(current.brokerId);
      const next = await waitFor(() => (active().length === 1 && active()[0] !== current ? active()[0] : undefined), 'a successor', fx.ttlMs * 4);
      expect(next.controller!.fence.epoch).toBeGreaterThan(epoch);
      // The broker comes back (a restart): it registers again but does not take over.
      await cluster.add(current.brokerId);
      expect(active()).toEqual([next]);
    }
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
  });

  it('controlled shutdown moves leadership off the broker before it exits', async () => {
    cluster = await startCluster(fx, [1, 2, 3]);
    const c = cluster.controller();
    await c.createTopic('s', 3, 3, {}, [
      [2, 1, 3],
      [1, 2, 3],
      [2, 3, 1],
    ]);
    await c.createTopic('single', 1, 1, {}, [[2]]);
    const res = await c.controlledShutdown(2);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    // RF 1: nobody else can lead; reported as remaining, as Kafka does.
    expect(res.remaining).toEqual([{ topic: 'single', partition: 0 }]);
    expect(byPartition(await cluster.partitions('s'))).toEqual([
      { p: 0, leader: 1, leaderEpoch: 1, isr: [1, 3], partitionEpoch: 1 },
      { p: 1, leader: 1, leaderEpoch: 0, isr: [1, 3], partitionEpoch: 1 },
      { p: 2, leader: 3, leaderEpoch: 1, isr: [3, 1], partitionEpoch: 1 },
    ]);
    // While it shuts down it may not rejoin an ISR.
    const p1 = (await cluster.admin.getPartition('s', 1))!;
    const rejoin = await c.alterPartition({ brokerId: 1, brokerEpoch: -1, topic: 's', partition: 1, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 3, 2] });
    expect(rejoin.errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect((await cluster.admin.getPartition('s', 1))!.revision).toBe(p1.revision);
  });
});

describe('controller (in-memory store)', () => {
  let fx: StoreFixture;
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    fx = await memoryFixture();
  });
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('creates topics rack-aware over the live brokers and answers Kafka errors', async () => {
    cluster = await startCluster(fx, [1, 2, 3, 4], ['a', 'a', 'b', 'b']);
    const c = cluster.controller();
    const t = await c.createTopic('r', 8, 2);
    expect(t.errorCode).toBe(ErrorCode.NONE);
    const rack = (id: number) => (id <= 2 ? 'a' : 'b');
    for (const r of t.topic!.replicas) expect(new Set(r.map(rack)).size).toBe(2);
    expect((await cluster.admin.getTopic('r'))!.replicas).toEqual(t.topic!.replicas);
    expect((await c.createTopic('r', 1, 1)).errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect((await c.createTopic('big', 1, 5)).errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect((await c.createTopic('bad', 1, 1, {}, [[9]])).errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await c.createTopic('dup', 1, 2, {}, [[1, 1]])).errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);

    expect((await c.createPartitions('r', 8)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect((await c.createPartitions('nope', 9)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await c.createPartitions('r', 10)).errorCode).toBe(ErrorCode.NONE);
    const grown = await cluster.partitions('r');
    expect(grown).toHaveLength(10);
    expect(grown[9]!.state).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
    expect((await cluster.admin.getTopic('r'))!.replicas).toHaveLength(10);

    expect((await c.deleteTopic('r')).errorCode).toBe(ErrorCode.NONE);
    expect((await c.deleteTopic('r')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await cluster.partitions('r')).toEqual([]);
  });

  it('validates AlterPartition like Kafka and CASes on the partition epoch', async () => {
    cluster = await startCluster(fx, [1, 2, 3]);
    const c = cluster.controller();
    await c.createTopic('a', 1, 3, {}, [[1, 2, 3]]);
    const base = { brokerId: 1, brokerEpoch: -1, topic: 'a', partition: 0, leaderEpoch: 0, partitionEpoch: 0 };
    expect((await c.alterPartition({ ...base, leaderEpoch: 5, newIsr: [1, 2] })).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await c.alterPartition({ ...base, brokerId: 2, newIsr: [2] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.alterPartition({ ...base, partitionEpoch: 3, newIsr: [1, 2] })).errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect((await c.alterPartition({ ...base, newIsr: [2, 3] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.alterPartition({ ...base, newIsr: [1, 4] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.alterPartition({ ...base, brokerId: 9, newIsr: [1] })).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect((await c.alterPartition({ ...base, topic: 'zz', newIsr: [1] })).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // The broker epoch is the registration's: an older incarnation's is stale.
    const epoch1 = cluster.members.get(1)!.brokerEpoch;
    expect(epoch1).toBeGreaterThan(0);
    expect((await c.alterPartition({ ...base, brokerEpoch: epoch1 - 1, newIsr: [1, 2] })).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    // Shrink: the partition epoch moves, the leader epoch does not.
    const shrunk = await c.alterPartition({ ...base, brokerEpoch: epoch1, newIsr: [1, 2] });
    expect(shrunk.errorCode).toBe(ErrorCode.NONE);
    expect(shrunk.state!.state).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 1 });
    // A second request built on the old epoch is refused.
    expect((await c.alterPartition({ ...base, newIsr: [1] })).errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    // Expanding with a broker that is not registered is refused.
    await cluster.members.get(3)!.stop();
    await waitFor(() => (c.liveBrokerIds().includes(3) ? undefined : true), 'controller sees broker 3 gone');
    expect((await c.alterPartition({ ...base, partitionEpoch: 1, newIsr: [1, 2, 3] })).errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
    const expanded = await c.alterPartition({ ...base, partitionEpoch: 1, newIsr: [1] });
    expect(expanded.state!.state).toMatchObject({ isr: [1], partitionEpoch: 2 });
  });

  it('honours unclean.leader.election.enable: out-of-ISR replicas lead only when it is set', async () => {
    cluster = await startCluster(fx, [1, 2, 3]);
    const c = cluster.controller();
    await c.createTopic('clean', 1, 2, {}, [[2, 3]]);
    await c.createTopic('dirty', 1, 2, { 'unclean.leader.election.enable': 'true' }, [[2, 3]]);
    await c.createTopic('dyn', 1, 2, {}, [[2, 3]]);
    expect(await cluster.admin.setConfigs('topic', 'dyn', { 'unclean.leader.election.enable': 'true' })).toBe('ok');
    for (const topic of ['clean', 'dirty', 'dyn']) {
      const r = await c.alterPartition({ brokerId: 2, brokerEpoch: -1, topic, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [2] });
      expect(r.errorCode).toBe(ErrorCode.NONE);
    }
    await cluster.members.get(2)!.crash();
    const states = await waitFor(async () => {
      const s = await Promise.all(['clean', 'dirty', 'dyn'].map((t) => cluster!.admin.getPartition(t, 0)));
      return s.every((p) => p!.state.leader !== 2) ? s.map((p) => p!.state) : undefined;
    }, 'leaders moved off broker 2');
    // Clean: no leader; the last ISR member is kept so it can come back cleanly.
    expect(states[0]).toMatchObject({ leader: NO_LEADER, leaderEpoch: 1, isr: [2] });
    expect(states[1]).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3] });
    expect(states[2]).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3] });

    // The ISR member returns: it leads again (clean).
    await cluster.add(2);
    const back = await waitFor(async () => {
      const p = await cluster!.admin.getPartition('clean', 0);
      return p!.state.leader === 2 ? p!.state : undefined;
    }, 'broker 2 leads "clean" again');
    expect(back).toMatchObject({ leaderEpoch: 2, isr: [2] });
  });

  it('ElectLeaders: preferred and unclean elections with Kafka result codes', async () => {
    // Broker 4 is the controller, so 1-3 can come and go.
    cluster = await startCluster(fx, [4, 1, 2, 3]);
    const c = cluster.controller();
    expect(c.fence.brokerId).toBe(4);
    await c.createTopic('e', 2, 3, {}, [
      [1, 2, 3],
      [2, 3, 1],
    ]);
    await c.createTopic('o', 1, 2, {}, [[3, 2]]);
    expect(await c.electLeaders('preferred', [{ topic: 'e', partition: 0 }])).toEqual([{ topic: 'e', partition: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED }]);
    // Move leadership of e-0 away (controlled shutdown of 1), then bring broker 1 back into the ISR.
    await c.controlledShutdown(1);
    expect((await cluster.admin.getPartition('e', 0))!.state.leader).toBe(2);
    expect(await c.electLeaders('preferred', [{ topic: 'e', partition: 0 }])).toEqual([
      { topic: 'e', partition: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE },
    ]);
    await cluster.members.get(1)!.stop();
    await cluster.add(1);
    await waitFor(() => (c.liveBrokerIds().includes(1) ? true : undefined), 'broker 1 registered again');
    const p = (await cluster.admin.getPartition('e', 0))!;
    const expand = await c.alterPartition({ brokerId: 2, brokerEpoch: -1, topic: 'e', partition: 0, leaderEpoch: p.state.leaderEpoch, partitionEpoch: p.state.partitionEpoch, newIsr: [2, 3, 1] });
    expect(expand.errorCode).toBe(ErrorCode.NONE);
    const res = await c.electLeaders('preferred', [
      { topic: 'e', partition: 0 },
      { topic: 'e', partition: 7 },
    ]);
    expect(res).toEqual([
      { topic: 'e', partition: 0, errorCode: ErrorCode.NONE },
      { topic: 'e', partition: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    expect((await cluster.admin.getPartition('e', 0))!.state).toMatchObject({ leader: 1, leaderEpoch: p.state.leaderEpoch + 1 });

    // Unclean election on request: only for a leaderless partition.
    await c.alterPartition({ brokerId: 3, brokerEpoch: -1, topic: 'o', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [3] });
    expect(await c.electLeaders('unclean', [{ topic: 'o', partition: 0 }])).toEqual([{ topic: 'o', partition: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED }]);
    await cluster.members.get(3)!.crash();
    await waitFor(async () => ((await cluster!.admin.getPartition('o', 0))!.state.leader === NO_LEADER ? true : undefined), 'o-0 leaderless');
    expect(await c.electLeaders('unclean', [{ topic: 'o', partition: 0 }])).toEqual([{ topic: 'o', partition: 0, errorCode: ErrorCode.NONE }]);
    expect((await cluster.admin.getPartition('o', 0))!.state).toMatchObject({ leader: 2, isr: [2] });
  });

  it('AlterPartitionReassignments: new replicas catch up, then leadership and replicas move; cancel restores', async () => {
    cluster = await startCluster(fx, [1, 2, 3, 4]);
    const c = cluster.controller();
    await c.createTopic('m', 2, 3, {}, [
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(await c.alterPartitionReassignments([{ topic: 'm', partition: 0, replicas: [2, 3, 4] }])).toEqual([{ topic: 'm', partition: 0, errorCode: ErrorCode.NONE }]);
    expect((await cluster.admin.getTopic('m'))!.replicas[0]).toEqual([2, 3, 4, 1]);
    expect(await c.listPartitionReassignments()).toEqual([{ topic: 'm', partition: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] }]);
    // Nothing moves before the new replica is in the ISR.
    expect((await cluster.admin.getPartition('m', 0))!.state).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] });

    // The leader reports broker 4 caught up: the reassignment completes.
    const caughtUp = await c.alterPartition({ brokerId: 1, brokerEpoch: -1, topic: 'm', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2, 3, 4] });
    expect(caughtUp.errorCode).toBe(ErrorCode.NONE);
    expect(caughtUp.state!.state).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2, 3, 4], partitionEpoch: 2 });
    expect((await cluster.admin.getTopic('m'))!).toMatchObject({ replicas: [[2, 3, 4], [1, 2, 3]] });
    expect((await cluster.admin.getTopic('m'))!.reassigning).toBeUndefined();
    expect(await c.listPartitionReassignments()).toEqual([]);

    // Cancel: back to the original replicas.
    expect((await c.alterPartitionReassignments([{ topic: 'm', partition: 1, replicas: [1, 2, 4] }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await cluster.admin.getTopic('m'))!.replicas[1]).toEqual([1, 2, 4, 3]);
    expect((await c.alterPartitionReassignments([{ topic: 'm', partition: 1, replicas: null }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await cluster.admin.getTopic('m'))!.replicas[1]).toEqual([1, 2, 3]);
    expect((await c.alterPartitionReassignments([{ topic: 'm', partition: 1, replicas: null }]))[0]!.errorCode).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);

    // Kafka's errors for bad requests.
    const bad = await c.alterPartitionReassignments([
      { topic: 'm', partition: 9, replicas: [1] },
      { topic: 'nope', partition: 0, replicas: [1] },
      { topic: 'm', partition: 1, replicas: [1, 1] },
      { topic: 'm', partition: 1, replicas: [1, 9] },
      { topic: 'm', partition: 1, replicas: [] },
    ]);
    expect(bad.map((r) => r.errorCode)).toEqual([
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    ]);
    // A reassignment to replicas already in the ISR completes at once.
    expect((await c.alterPartitionReassignments([{ topic: 'm', partition: 1, replicas: [3, 2] }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await cluster.admin.getTopic('m'))!.replicas[1]).toEqual([3, 2]);
    expect((await cluster.admin.getPartition('m', 1))!.state).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [2, 3] });
  });

  it('retries its reaction to a broker leaving when the store fails for a moment', async () => {
    const root = freshRoot();
    const store = await fx.open(root);
    let failures = 0;
    // The same store, except that listPartitions fails while `failures` > 0.
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'listPartitions' && failures > 0) {
          return async () => {
            failures--;
            throw new Error('store unreachable (injected)');
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const s1 = await store.openSession(fx.ttlMs);
    const s2 = await store.openSession(fx.ttlMs);
    await store.registerBroker(s1, reg(1));
    await store.registerBroker(s2, reg(2));
    const won = await store.campaign(s1, 1);
    if (!won.elected) throw new Error('not elected');
    const c = new Controller({ store: flaky, fence: won.fence });
    try {
      await c.start();
      await c.createTopic('x', 1, 2, {}, [[2, 1]]);
      failures = 2;
      await s2.close();
      const after = await waitFor(async () => {
        const p = await store.getPartition('x', 0);
        return p!.state.leader === 1 ? p!.state : undefined;
      }, 'leadership moved to broker 1 despite the failures');
      expect(after).toMatchObject({ leader: 1, leaderEpoch: 1, isr: [1] });
      expect(failures).toBe(0);
    } finally {
      await c.stop();
      await s1.close();
    }
  });

  it('a session that lapses in the middle of a rejoin leaves one rejoin loop, one session, one controller', async () => {
    const kv = new MemoryKv();
    const flaky = new FlakyKv(kv);
    const ttl = 400;
    const member = new ClusterMember({ store: new KvMetadataStore(flaky, '/r/', false), registration: reg(1), sessionTtlMs: ttl });
    const lost = new EventLog<string>();
    const rejoined = new EventLog<true>();
    const elected = new EventLog<number>();
    member.on('sessionLost', lost.push);
    member.on('rejoined', () => rejoined.push(true));
    member.on('elected', (c) => elected.push(c.fence.epoch));
    try {
      await member.start();
      await elected.count(1);
      // Renewals fail: the session lapses; the rejoin's registration is slow, so the new session
      // lapses too, in the middle of joining.
      flaky.failKeepAlive = true;
      flaky.registerDelayMs = ttl * 2;
      await lost.count(2, 10_000);
      flaky.failKeepAlive = false;
      await rejoined.count(1, 10_000);
      flaky.registerDelayMs = 0;
      const [, epoch] = await elected.count(2, 10_000);
      expect(member.controller?.fence.epoch).toBe(epoch);
      // Exactly one session is alive: the member's, which owns the registration.
      expect(kv.liveLeaseCount()).toBe(1);
      expect(rejoined.events).toHaveLength(1);
      const store = new KvMetadataStore(kv, '/r/', false);
      expect((await store.listBrokers()).items.map((b) => b.brokerId)).toEqual([1]);
      expect(await store.getController()).toMatchObject({ brokerId: 1, epoch });
    } finally {
      await member.stop();
      await kv.close();
    }
  });
});

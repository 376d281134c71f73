// One contract, both backends: the in-memory store and a real etcd 3.4. Everything the controller
// and the brokers rely on: registrations bound to leases, exactly one controller, controller-epoch
// fencing, partition-state compare-and-swap, ordered watches, and what a lease holder sees when the
// store goes away and comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterMember } from '../../src/cluster/controller/cluster-member.js';
import type { LeaseSession } from '../../src/cluster/metadata-store/lease-session.js';
import type { BrokerRegistration, ClusterMetadataStore, PartitionState, WatchEvent } from '../../src/cluster/metadata-store/types.js';
import { etcdFixture, EventLog, freshRoot, memoryFixture, waitFor, type StoreFixture } from './store-fixtures.js';

const reg = (brokerId: number, rack: string | null = null): BrokerRegistration => ({
  brokerId,
  rack,
  listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 'PLAINTEXT' }],
});

const state = (leader: number, isr: number[]): PartitionState => ({ leader, leaderEpoch: 0, isr, partitionEpoch: 0, controllerEpoch: 0 });

describe.each([
  ['memory', memoryFixture],
  ['etcd', etcdFixture],
] as const)('ClusterMetadataStore contract (%s)', (_name, makeFixture) => {
  let fx: StoreFixture;
  const sessions: LeaseSession[] = [];
  const open = async (s: ClusterMetadataStore) => {
    const session = await s.openSession(fx.ttlMs);
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    fx = await makeFixture();
  });
  afterAll(async () => {
    for (const s of sessions) await s.close();
    await fx?.cleanup();
  });

  it('keeps one cluster id: the first proposal wins', async () => {
    const root = freshRoot();
    const [a, b] = [await fx.open(root), await fx.open(root)];
    expect(await a.ensureClusterId('first-id')).toBe('first-id');
    expect(await b.ensureClusterId('second-id')).toBe('first-id');
  });

  it('shows a registration while its lease lives, refuses a duplicate id, removes it on revoke and on expiry', async () => {
    const store = await fx.open(freshRoot());
    const watched = new EventLog<WatchEvent<BrokerRegistration, number>>();
    const start = await store.listBrokers();
    expect(start.items).toEqual([]);
    await store.watchBrokers(start.revision, watched.push);

    const s1 = await open(store);
    const s2 = await open(store);
    expect(await store.registerBroker(s1, reg(1, 'r1'))).toBe('ok');
    expect(await store.registerBroker(s2, reg(2))).toBe('ok');
    // Another live session may not take broker id 1.
    expect(await store.registerBroker(s2, reg(1))).toBe('exists');
    const listed = (await store.listBrokers()).items;
    expect(listed.map((b) => [b.brokerId, b.rack, b.listeners[0]!.port])).toEqual([
      [1, 'r1', 9093],
      [2, null, 9094],
    ]);
    expect(listed[0]!.brokerEpoch).toBeGreaterThan(0);

    // Revoke (clean shutdown): gone at once.
    await s1.close();
    // Expiry (a crashed broker stops renewing): gone after the TTL, seen by the watch.
    const crashedAt = Date.now();
    s2.abandon();
    const events = await watched.count(4, fx.ttlMs * 3);
    expect(events.map((e) => (e.type === 'put' ? `put ${e.value.brokerId}` : `delete ${e.key}`))).toEqual(['put 1', 'put 2', 'delete 1', 'delete 2']);
    // etcd checks expiry on its own clock: allow one extra TTL beyond ours.
    expect(Date.now() - crashedAt).toBeLessThan(fx.ttlMs * 2 + 1_000);
    expect((await store.listBrokers()).items).toEqual([]);
    // The id is free again.
    const s3 = await open(store);
    expect(await store.registerBroker(s3, reg(1))).toBe('ok');
  });

  it('keeps a stopped broker in the registry, fenced, until the controller unregisters it', async () => {
    const store = await fx.open(freshRoot());
    const s1 = await open(store);
    const s2 = await open(store);
    expect(await store.registerBroker(s1, { ...reg(1, 'r1'), incarnationId: 'inc-1' })).toBe('ok');
    expect(await store.registerBroker(s2, reg(2, 'r2'))).toBe('ok');
    expect((await store.listRegisteredBrokers()).map((b) => [b.brokerId, b.rack, b.fenced])).toEqual([
      [1, 'r1', false],
      [2, 'r2', false],
    ]);
    // A clean stop (revoke) and a crash (expiry) both leave the registration, fenced.
    await s1.close();
    s2.abandon();
    await waitFor(async () => ((await store.listBrokers()).items.length === 0 ? true : undefined), 'both leases gone', fx.ttlMs * 3);
    const stopped = await store.listRegisteredBrokers();
    expect(stopped.map((b) => [b.brokerId, b.rack, b.fenced])).toEqual([
      [1, 'r1', true],
      [2, 'r2', true],
    ]);
    expect(stopped[0]!.incarnationId).toBe('inc-1');
    // Unregistering is a controller write: a stale controller is refused.
    const cs = await open(store);
    const won = await store.campaign(cs, 3);
    if (!won.elected) throw new Error('expected to win the election');
    expect(await store.unregisterBroker(1, { ...won.fence, epoch: won.fence.epoch - 1 })).toBe('fenced');
    expect(await store.unregisterBroker(1, won.fence)).toBe('ok');
    expect(await store.unregisterBroker(1, won.fence)).toBe('missing');
    expect(await store.unregisterBroker(99, won.fence)).toBe('missing');
    expect((await store.listRegisteredBrokers()).map((b) => b.brokerId)).toEqual([2]);
    // A returning broker is live again (unfenced); unregistering a live one removes its live registration too.
    const s4 = await open(store);
    expect(await store.registerBroker(s4, reg(2, 'r2'))).toBe('ok');
    expect((await store.listRegisteredBrokers()).map((b) => [b.brokerId, b.fenced])).toEqual([[2, false]]);
    expect(await store.unregisterBroker(2, won.fence)).toBe('ok');
    expect((await store.listBrokers()).items).toEqual([]);
    expect(await store.listRegisteredBrokers()).toEqual([]);
  });

  it('elects exactly one controller under contention, round after round, with a rising epoch', async () => {
    const root = freshRoot();
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => fx.open(root)));
    let lastEpoch = 0;
    const winners: number[] = [];
    let contenders = await Promise.all(stores.map((s) => open(s)));
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(contenders.map((sess, i) => stores[i]!.campaign(sess, i + 1)));
      const won = results.flatMap((r, i) => (r.elected ? [{ i, fence: r.fence }] : []));
      expect(won).toHaveLength(1);
      const { i, fence } = won[0]!;
      expect(fence.epoch).toBe(lastEpoch + 1);
      lastEpoch = fence.epoch;
      winners.push(i + 1);
      // The losers all see the winner.
      for (const r of results) if (!r.elected) expect(r.controller).toEqual({ brokerId: i + 1, epoch: fence.epoch });
      expect(await stores[0]!.getController()).toMatchObject({ brokerId: i + 1, epoch: fence.epoch });
      // A second campaign by the winner itself does not elect it twice.
      expect((await stores[i]!.campaign(contenders[i]!, i + 1)).elected).toBe(false);
      // The controller's lease ends; everyone campaigns again (the old controller with a new session).
      await contenders[i]!.close();
      contenders[i] = await open(stores[i]!);
    }
    expect(winners).toHaveLength(4);
  });

  it("refuses a stale controller's writes (controller epoch fencing)", async () => {
    const root = freshRoot();
    const [a, b] = [await fx.open(root), await fx.open(root)];
    const sa = await open(a);
    const sb = await open(b);
    const ea = await a.campaign(sa, 1);
    if (!ea.elected) throw new Error('a not elected');
    const topic = { name: 't', topicId: 'id-t', replicas: [[1, 2]], configs: {} };
    expect(await a.createTopic(topic, [state(1, [1, 2])], ea.fence)).toBe('ok');
    expect(await a.createTopic(topic, [state(1, [1, 2])], ea.fence)).toBe('exists');
    const p0 = (await a.getPartition('t', 0))!;
    expect(p0.state).toMatchObject({ leader: 1, isr: [1, 2], partitionEpoch: 0, controllerEpoch: ea.fence.epoch });

    // a's lease ends; nobody else elected yet: a's fence is already void (its key is gone).
    await sa.close();
    expect(await a.casPartition(p0, { leader: 2, leaderEpoch: 1, isr: [2] }, ea.fence)).toEqual({ ok: false, reason: 'fenced' });

    const eb = await b.campaign(sb, 2);
    if (!eb.elected) throw new Error('b not elected');
    expect(eb.fence.epoch).toBe(ea.fence.epoch + 1);
    // Every controller write with the old fence is refused, whatever it is.
    expect(await a.casPartition(p0, { leader: 2, leaderEpoch: 1, isr: [2] }, ea.fence)).toEqual({ ok: false, reason: 'fenced' });
    expect(await a.createTopic({ ...topic, name: 'u' }, [state(1, [1])], ea.fence)).toBe('fenced');
    expect(await a.deleteTopic('t', ea.fence)).toBe('fenced');
    expect(await a.setConfigs('topic', 't', { 'retention.ms': '1' }, ea.fence)).toBe('fenced');
    expect(await a.getTopic('u')).toBeUndefined();
    // The new controller's writes go through.
    const done = await b.casPartition(p0, { leader: 2, leaderEpoch: 1, isr: [2] }, eb.fence);
    expect(done.ok && done.state.state).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 1, controllerEpoch: eb.fence.epoch });
  });

  it('detects partition-state CAS conflicts and bumps the partition epoch on every change', async () => {
    const root = freshRoot();
    const [a, b] = [await fx.open(root), await fx.open(root)];
    const s = await open(a);
    const e = await a.campaign(s, 1);
    if (!e.elected) throw new Error('not elected');
    await a.createTopic({ name: 'c', topicId: 'id-c', replicas: [[1, 2, 3]], configs: {} }, [state(1, [1, 2, 3])], e.fence);
    const seenByA = (await a.getPartition('c', 0))!;
    const seenByB = (await b.getPartition('c', 0))!;
    const first = await a.casPartition(seenByA, { leader: 1, leaderEpoch: 0, isr: [1, 2] });
    expect(first.ok && first.state.state.partitionEpoch).toBe(1);
    // b's write was based on what a replaced: refused, with the current state to retry from.
    const second = await b.casPartition(seenByB, { leader: 1, leaderEpoch: 0, isr: [1, 3] });
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.reason).toBe('conflict');
    expect(second.current!.state).toMatchObject({ isr: [1, 2], partitionEpoch: 1 });
    const retried = await b.casPartition(second.current!, { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] });
    expect(retried.ok && retried.state.state).toMatchObject({ isr: [1, 2, 3], partitionEpoch: 2 });
    expect(await b.casPartition({ ...seenByB, partition: 9 }, { leader: 1, leaderEpoch: 0, isr: [1] })).toEqual({ ok: false, reason: 'missing' });
  });

  it('delivers watched changes in order (partition states, topics, configs)', async () => {
    const root = freshRoot();
    const [writer, watcher] = [await fx.open(root), await fx.open(root)];
    const s = await open(writer);
    const e = await writer.campaign(s, 1);
    if (!e.elected) throw new Error('not elected');
    const partitions = new EventLog<number>();
    const topics = new EventLog<string>();
    const configs = new EventLog<string>();
    const from = (await watcher.listPartitions()).revision;
    await watcher.watchPartitions(from, (ev) => partitions.push(ev.type === 'put' ? ev.value.state.partitionEpoch : -1));
    await watcher.watchTopics(from, (ev) => topics.push(ev.type === 'put' ? `put ${ev.value.name}/${ev.value.replicas.length}` : `delete ${ev.key}`));
    await watcher.watchConfigs(from, (ev) => configs.push(ev.type === 'put' ? `${ev.value.name} ${JSON.stringify(ev.value.configs)}` : `delete ${ev.key.name}`));

    await writer.createTopic({ name: 'w', topicId: 'id-w', replicas: [[1]], configs: {} }, [state(1, [1])], e.fence);
    let cur = (await writer.getPartition('w', 0))!;
    for (let i = 0; i < 20; i++) {
      const r = await writer.casPartition(cur, { leader: 1, leaderEpoch: i, isr: [1] }, e.fence);
      if (!r.ok) throw new Error(`cas ${i} failed: ${r.reason}`);
      cur = r.state;
    }
    expect(await writer.addPartitions('w', 1, [[1]], [state(1, [1])], e.fence)).toBe('ok');
    expect(await writer.setConfigs('topic', 'w', { 'retention.ms': '1000' }, e.fence)).toBe('ok');
    expect(await writer.setConfigs('topic', 'w', { 'retention.ms': '2000' })).toBe('ok');
    expect(await writer.deleteTopic('w', e.fence)).toBe('ok');

    // 0 (create), 1..20 (CAS), 0 (the added partition), then two deletes.
    expect(await partitions.count(24)).toEqual([0, ...Array.from({ length: 20 }, (_, i) => i + 1), 0, -1, -1]);
    expect(await topics.count(3)).toEqual(['put w/1', 'put w/2', 'delete w']);
    expect(await configs.count(3)).toEqual(['w {"retention.ms":"1000"}', 'w {"retention.ms":"2000"}', 'delete w']);
    expect(await watcher.getConfigs('topic', 'w')).toEqual({});
  });

  it('no split brain: a controller cut off from the store steps down before anyone else can be elected', async () => {
    const root = freshRoot();
    const link = await fx.openCuttable(root);
    const a = new ClusterMember({ store: link.store, registration: reg(1), sessionTtlMs: fx.ttlMs });
    const b = new ClusterMember({ store: await fx.open(root), registration: reg(2), sessionTtlMs: fx.ttlMs });
    const aResigned = new EventLog<number>();
    const aRejoined = new EventLog<true>();
    const bElected = new EventLog<number>();
    a.on('resigned', () => aResigned.push(Date.now()));
    a.on('rejoined', () => aRejoined.push(true));
    b.on('elected', () => bElected.push(Date.now()));
    try {
      await a.start();
      await b.start();
      expect(a.controller?.fence.brokerId).toBe(1);
      expect(b.controller).toBeUndefined();
      const granted = a.leaseAliveUntil;
      await waitFor(() => (a.leaseAliveUntil > granted ? true : undefined), 'a lease renewal');

      link.cut();
      const [bAt] = await bElected.count(1, fx.ttlMs * 4);
      const [aAt] = await aResigned.count(1);
      // The old controller stopped acting no later than the new one started.
      expect(aAt).toBeLessThanOrEqual(bAt!);
      expect(a.controller).toBeUndefined();
      expect(b.controller?.fence.brokerId).toBe(2);

      // Healed: a registers again as an ordinary broker; b stays controller.
      link.heal();
      await aRejoined.count(1, 30_000);
      expect(a.controller).toBeUndefined();
      expect(b.controller?.isActive).toBe(true);
      await waitFor(() => (b.controller?.liveBrokerIds().length === 2 ? true : undefined), 'the controller sees broker 1 again');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  // Last: it takes the store away and brings it back.
  it('losing the store: the lease holder reports lost leadership and registration within the TTL; it rejoins when the store is back', async () => {
    const root = freshRoot();
    const store = await fx.open(root);
    const member = new ClusterMember({ store, registration: reg(7), sessionTtlMs: fx.ttlMs });
    const lost = new EventLog<string>();
    const resigned = new EventLog<string>();
    const elected = new EventLog<number>();
    const rejoined = new EventLog<true>();
    member.on('sessionLost', lost.push);
    member.on('resigned', resigned.push);
    member.on('elected', (c) => elected.push(c.fence.epoch));
    member.on('rejoined', () => rejoined.push(true));
    // A watcher (another broker) established before the store goes away.
    const watcherStore = await fx.open(root);
    const configEvents = new EventLog<string>();
    await watcherStore.watchConfigs((await watcherStore.listBrokers()).revision, (ev) => configEvents.push(ev.type === 'put' ? ev.value.configs.v! : 'delete'));
    try {
      expect(await store.setConfigs('broker', '<default>', { v: 'before' })).toBe('ok');
      await configEvents.count(1);
      await member.start();
      await elected.count(1);
      expect(member.controller?.isActive).toBe(true);
      // Proof that renewals land (the deadline then rests on a renewal, not on the grant).
      const granted = member.leaseAliveUntil;
      await waitFor(() => (member.leaseAliveUntil > granted ? true : undefined), 'a lease renewal');

      await fx.lose();
      const lostAt = Date.now();
      const [reason] = await lost.count(1, fx.ttlMs * 3);
      const tookMs = Date.now() - lostAt;
      // Reported no later than the lease itself can expire (plus timer slack on a busy machine).
      expect(tookMs).toBeLessThanOrEqual(fx.ttlMs + 400);
      expect(reason).toMatch(/not renewed|expired/);
      // Leadership was dropped before (or as) the loss was reported: never two controllers.
      expect((await resigned.count(1))[0]).toBe(reason);
      expect(member.controller).toBeUndefined();
      expect(member.sessionLost).toBe(true);

      await fx.restore();
      await rejoined.count(1, 30_000);
      const [, epoch2] = await elected.count(2, 30_000);
      expect(epoch2).toBeGreaterThan((await elected.count(1))[0]!);
      expect(member.controller?.isActive).toBe(true);
      const brokers = await waitFor(async () => {
        const items = (await store.listBrokers()).items;
        return items.length === 1 ? items : undefined;
      }, 'one registration after rejoin');
      expect(brokers[0]!.brokerId).toBe(7);
      expect(await store.getController()).toMatchObject({ brokerId: 7, epoch: epoch2 });
      // The watch survived the outage: it still delivers, in order.
      expect(await store.setConfigs('broker', '<default>', { v: 'after' })).toBe('ok');
      expect(await configEvents.count(2, 30_000)).toEqual(['before', 'after']);
    } finally {
      await member.stop();
    }
  });
});

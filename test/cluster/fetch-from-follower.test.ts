// KIP-392, fetch from the closest replica: three in-process brokers in racks a, b and c with
// replica.selector.class=RackAwareReplicaSelector. A partition led in rack a is read by librdkafka
// (kcat, client.rack=c): the leader names broker 3 (rack c) as preferred read replica and broker 3
// serves every record (its follower-read counters prove it). On the wire: the leader's redirect
// (no records, the leader's offsets), followers serving v11+ consumers up to their high watermark
// and refusing older fetches and ListOffsets / OffsetForLeaderEpoch as Kafka does, fetch sessions
// on a follower, read_committed on a follower. Without a selector nothing is redirected, but
// followers still serve v11+ consumers (Kafka's ReplicaManager does).
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import { Partition } from '../../src/cluster/partition.js';
import { LeaderState } from '../../src/cluster/replication/leader-state.js';
import { preferredReadReplica, rackAwareReplicaSelector, replicaSelectorFor, RACK_AWARE_REPLICA_SELECTOR } from '../../src/cluster/replica-selector.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runJava, stepOf } from '../helpers/java-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireCommand, run } from '../compat/support/tools.js';

const RACKS: Record<number, string> = { 1: 'a', 2: 'b', 3: 'c' };
const COUNT = 120;

interface Racked {
  brokers: TestBroker[];
  byId(id: number): TestBroker;
  bootstrap(): string;
  close(): Promise<void>;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startRacked(extra: Record<string, string>): Promise<Racked> {
  const store = `memory:fff-${randomBytes(6).toString('hex')}`;
  const brokers: TestBroker[] = [];
  for (const id of [1, 2, 3]) {
    brokers.push(
      await startTestBroker({
        'node.id': String(id),
        'broker.rack': RACKS[id]!,
        'tributary.metadata.store': store,
        'tributary.metadata.session.timeout.ms': '1500',
        'replica.fetch.wait.max.ms': '100',
        'replica.fetch.backoff.ms': '100',
        'tributary.metrics.port': '0',
        ...extra,
      }),
    );
  }
  await waitFor('3 brokers registered', () => brokers.every((b) => b.broker.brokersFor('PLAINTEXT').length === 3));
  return {
    brokers,
    byId: (id) => brokers[id - 1]!,
    bootstrap: () => brokers.map((b) => b.bootstrap).join(','),
    close: async () => {
      for (const b of brokers.splice(0)) await b.cleanup();
    },
  };
}

/** Topic `name`, one partition on brokers [1, 2, 3] (led by 1, rack a), fully in sync on every broker. */
async function createLedInRackA(c: Racked, name: string): Promise<void> {
  const client = await RawClient.connect(c.byId(2).port);
  try {
    const r = await client.send(19, 7, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(r.topics[0].errorCode).toBe(ErrorCode.NONE);
  } finally {
    client.close();
  }
  for (const id of [1, 2, 3]) {
    await waitFor(`${name} led by 1 with ISR [1,2,3] on broker ${id}`, () => {
      const s = c.byId(id).broker.partitionManager.partition(name, 0);
      return s?.leaderId === 1 && s.isr.length === 3;
    });
  }
}

async function produce(c: Racked, topic: string, count: number, tag: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'fff', brokers: [c.byId(1).bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < count; i += 20) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(20, count - i) }, (_, j) => ({ partition: 0, value: `${tag}-${i + j}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Until broker `id`'s copy has the leader's high watermark (followers learn it from their next fetch). */
async function followerCaughtUp(c: Racked, topic: string, id: number): Promise<number> {
  const leaderHw = c.byId(1).broker.partitionManager.offsets({ topic, partition: 0 })!.highWatermark;
  await waitFor(`broker ${id} at HW ${leaderHw}`, () => c.byId(id).broker.partitionManager.offsets({ topic, partition: 0 })?.highWatermark === leaderHw);
  return leaderHw;
}

function fetchBody(topic: string, fetchOffset: number, rackId: string, extra: Record<string, unknown> = {}): object {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId,
    ...extra,
  };
}

function lastOffsetIn(records: Buffer | null): number {
  if (!records || records.length === 0) return -1;
  const b = scanBatches(records, 0, records.length, false).batches;
  return b.length === 0 ? -1 : b[b.length - 1]!.baseOffset + b[b.length - 1]!.lastOffsetDelta;
}

async function scrape(b: TestBroker, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${b.broker.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  if (!line) throw new Error(`${metric} missing from the metrics of broker ${b.broker.nodeId}`);
  return Number(line.split(' ')[1]);
}

async function kcatRead(c: Racked, topic: string, rack: string, extraArgs: string[] = []): Promise<string[]> {
  const k = await run('kcat', ['-C', '-b', c.bootstrap(), '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `client.rack=${rack}`, ...extraArgs], { timeoutMs: 60_000 });
  expect(k.code, k.stderr).toBe(0);
  return k.stdout.split('\n').filter((l) => l.length > 0);
}

describe('KIP-392 with RackAwareReplicaSelector (racks a, b, c)', () => {
  let c: Racked;
  beforeAll(async () => {
    c = await startRacked({ 'replica.selector.class': RACK_AWARE_REPLICA_SELECTOR });
  }, 60_000);
  afterAll(async () => {
    await c?.close();
  });

  it('kcat in rack c reads every record of a partition led in rack a, served by the broker in rack c', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    await createLedInRackA(c, 'fff');
    await produce(c, 'fff', COUNT, 'v');
    await followerCaughtUp(c, 'fff', 3);
    const leader = c.byId(1).broker.partitionManager.followerReads;
    const inC = c.byId(3).broker.partitionManager.followerReads;
    const redirectsBefore = leader.preferredReplicaRedirects;
    const bytesBefore = inC.followerReadBytes;

    const got = await kcatRead(c, 'fff', 'c');
    expect(got).toEqual(Array.from({ length: COUNT }, (_, i) => `v-${i}`));
    // The leader redirected kcat, and every record byte of the partition came from broker 3.
    expect(leader.preferredReplicaRedirects).toBeGreaterThan(redirectsBefore);
    const logBytes = c.byId(3).broker.logManager.getLog('fff', 0)!.size();
    expect(inC.followerReadBytes - bytesBefore).toBeGreaterThanOrEqual(logBytes);
    // Broker 2 (rack b) was never chosen for a rack-c client.
    expect(c.byId(2).broker.partitionManager.followerReads.followerReads).toBe(0);
    // What an operator sees: the counters on each broker's metrics endpoint.
    expect(await scrape(c.byId(3), 'tributary_follower_fetch_bytes_total')).toBe(inC.followerReadBytes);
    expect(await scrape(c.byId(1), 'tributary_preferred_read_replica_redirects_total')).toBe(leader.preferredReplicaRedirects);
  }, 120_000);

  it('on the wire: the leader names the rack-c replica (no records, its offsets), serves other racks and older versions itself', async () => {
    const hw = await followerCaughtUp(c, 'fff', 3);
    const leader = await RawClient.connect(c.byId(1).port);
    try {
      const redirected = (await leader.send(1, 12, fetchBody('fff', 0, 'c'))).responses[0].partitions[0];
      expect(redirected.errorCode).toBe(ErrorCode.NONE);
      expect(redirected.preferredReadReplica).toBe(3);
      expect(redirected.records?.length ?? 0).toBe(0);
      expect(redirected.highWatermark).toBe(hw);
      // A long poll with nothing to wait for answers at once with the redirect (as Kafka's fetchMessages).
      const t0 = Date.now();
      const polled = (await leader.send(1, 12, fetchBody('fff', hw, 'c', { maxWaitMs: 5000, minBytes: 1 }))).responses[0].partitions[0];
      expect(polled.preferredReadReplica).toBe(3);
      expect(Date.now() - t0).toBeLessThan(4000);
      // Rack a (the leader's own), no rack, and Fetch v10 (no client metadata): read from the leader.
      for (const [v, rack] of [[12, 'a'], [12, ''], [10, 'c']] as const) {
        const p = (await leader.send(1, v, fetchBody('fff', 0, rack))).responses[0].partitions[0];
        expect(p.errorCode).toBe(ErrorCode.NONE);
        expect(p.preferredReadReplica ?? -1).toBe(-1);
        expect(lastOffsetIn(p.records)).toBeGreaterThanOrEqual(0);
      }
    } finally {
      leader.close();
    }
  });

  it("a follower serves v11+ consumers up to its high watermark; Kafka's errors elsewhere", async () => {
    const hw = await followerCaughtUp(c, 'fff', 3);
    const follower = await RawClient.connect(c.byId(3).port);
    try {
      const served = (await follower.send(1, 12, fetchBody('fff', 0, 'c'))).responses[0].partitions[0];
      expect(served.errorCode).toBe(ErrorCode.NONE);
      expect(served.preferredReadReplica).toBe(-1);
      expect(served.highWatermark).toBe(hw);
      expect(lastOffsetIn(served.records)).toBe(hw - 1);
      // Beyond the follower's log end: OFFSET_OUT_OF_RANGE (the client goes back to the leader).
      const beyond = (await follower.send(1, 12, fetchBody('fff', hw + 1000, 'c'))).responses[0].partitions[0];
      expect(beyond.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      // A stale leader epoch is fenced on a follower too.
      const epoch = c.byId(3).broker.partitionManager.partition('fff', 0)!.leaderEpoch;
      const stale = await follower.send(1, 12, {
        ...fetchBody('fff', 0, 'c'),
        topics: [{ topic: 'fff', partitions: [{ partition: 0, currentLeaderEpoch: epoch + 1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      expect(stale.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
      // Fetch v10 has no client metadata: only the leader serves it (Kafka's fetchOnlyLeader).
      const old = (await follower.send(1, 10, fetchBody('fff', 0, 'c'))).responses[0].partitions[0];
      expect(old.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      // ListOffsets and a consumer's OffsetForLeaderEpoch stay leader-only (ReplicaManager: fetchOnlyFromLeader).
      const listed = await follower.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fff', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      expect(listed.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const ofle = await follower.send(23, 4, { replicaId: -1, topics: [{ topic: 'fff', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: epoch }] }] });
      expect(ofle.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      follower.close();
    }
  });

  it('a fetch session on a follower: the full fetch, then an incremental one carrying only the new records', async () => {
    const hw = await followerCaughtUp(c, 'fff', 3);
    const follower = await RawClient.connect(c.byId(3).port);
    try {
      const full = await follower.send(1, 12, fetchBody('fff', hw, 'c', { sessionId: 0, sessionEpoch: 0 }));
      expect(full.errorCode).toBe(ErrorCode.NONE);
      expect(full.sessionId).toBeGreaterThan(0);
      // Nothing new: the incremental answer omits the partition.
      const idle = await follower.send(1, 12, { ...fetchBody('fff', hw, 'c', { sessionId: full.sessionId, sessionEpoch: 1 }), topics: [] });
      expect(idle.errorCode).toBe(ErrorCode.NONE);
      expect(idle.responses).toEqual([]);
      await produce(c, 'fff', 5, 'more');
      const hw2 = await followerCaughtUp(c, 'fff', 3);
      const next = await follower.send(1, 12, { ...fetchBody('fff', hw, 'c', { sessionId: full.sessionId, sessionEpoch: 2 }), topics: [] });
      expect(next.errorCode).toBe(ErrorCode.NONE);
      const p = next.responses[0].partitions[0];
      expect(p.highWatermark).toBe(hw2);
      expect(lastOffsetIn(p.records)).toBe(hw2 - 1);
    } finally {
      follower.close();
    }
  });

  it('read_committed on a follower: kcat in rack c sees committed transactions only, served by rack c', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    await createLedInRackA(c, 'fff-txn');
    const kafka = new Kafka({ clientId: 'fff-txn', brokers: [c.byId(1).bootstrap], logLevel: logLevel.NOTHING });
    const producer: Producer = kafka.producer({ transactionalId: `fff-${randomBytes(4).toString('hex')}`, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      for (const [tag, commit] of [['c1', true], ['a1', false], ['c2', true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: 'fff-txn', messages: [0, 1, 2].map((i) => ({ partition: 0, value: `${tag}-${i}` })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    await followerCaughtUp(c, 'fff-txn', 3);
    // The follower's last stable offset is its high watermark once every transaction ended.
    await waitFor('LSO on broker 3', async () => {
      const r = await c.byId(3).broker.partitionManager.read('fff-txn', 0, 0, 1 << 20, { reader: 'consumer', isolation: 'read_committed', currentLeaderEpoch: -1, minOneMessage: true, clientRack: 'c' });
      return r.errorCode === ErrorCode.NONE && r.lastStableOffset === r.highWatermark;
    });
    const before = c.byId(3).broker.partitionManager.followerReads.followerReadBytes;
    const got = await kcatRead(c, 'fff-txn', 'c', ['-X', 'isolation.level=read_committed']);
    expect(got).toEqual(['c1-0', 'c1-1', 'c1-2', 'c2-0', 'c2-1', 'c2-2']);
    expect(c.byId(3).broker.partitionManager.followerReads.followerReadBytes).toBeGreaterThan(before);
  }, 120_000);

  it('the Java consumer in rack c (client.rack) reads a partition led in rack a from broker 3, read_uncommitted and read_committed', async () => {
    await createLedInRackA(c, 'fff-java');
    await produce(c, 'fff-java', 60, 'j');
    await followerCaughtUp(c, 'fff-java', 3);
    const inC = c.byId(3).broker.partitionManager.followerReads;
    const leader = c.byId(1).broker.partitionManager.followerReads;
    const bytesBefore = inC.followerReadBytes;
    const redirectsBefore = leader.preferredReplicaRedirects;
    const consumed = stepOf(await runJava('RackConsumerSession', [c.bootstrap(), 'fff-java', 'c', '60', 'read_uncommitted'], 120_000), 'consumed');
    expect(consumed.values).toEqual(Array.from({ length: 60 }, (_, i) => `j-${i}`));
    expect(leader.preferredReplicaRedirects).toBeGreaterThan(redirectsBefore);
    expect(inC.followerReadBytes - bytesBefore).toBeGreaterThanOrEqual(c.byId(3).broker.logManager.getLog('fff-java', 0)!.size());

    // The transactional partition of the previous test: committed records only, again from rack c.
    const txnBefore = inC.followerReadBytes;
    const committed = stepOf(await runJava('RackConsumerSession', [c.bootstrap(), 'fff-txn', 'c', '6', 'read_committed'], 120_000), 'consumed');
    expect(committed.values).toEqual(['c1-0', 'c1-1', 'c1-2', 'c2-0', 'c2-1', 'c2-2']);
    expect(inC.followerReadBytes).toBeGreaterThan(txnBefore);
  }, 240_000);
});

describe('KIP-392 without replica.selector.class', () => {
  let c: Racked;
  beforeAll(async () => {
    c = await startRacked({});
  }, 60_000);
  afterAll(async () => {
    await c?.close();
  });

  it('the leader never redirects: kcat in rack c reads everything from the leader', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    await createLedInRackA(c, 'plain');
    await produce(c, 'plain', 40, 'p');
    const hw = await followerCaughtUp(c, 'plain', 3);
    const got = await kcatRead(c, 'plain', 'c');
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => `p-${i}`));
    // kcat has read every record (above): none of it came from a follower, and nothing was redirected.
    for (const id of [1, 2, 3]) expect(c.byId(id).broker.partitionManager.followerReads).toEqual({ followerReads: 0, followerReadBytes: 0, preferredReplicaRedirects: 0 });
    const leader = await RawClient.connect(c.byId(1).port);
    const follower = await RawClient.connect(c.byId(3).port);
    try {
      const p = (await leader.send(1, 12, fetchBody('plain', 0, 'c'))).responses[0].partitions[0];
      expect(p.preferredReadReplica).toBe(-1);
      expect(lastOffsetIn(p.records)).toBe(39);
      // Kafka's ReplicaManager serves a consumer's Fetch v11+ (client metadata present) on a
      // follower even without a selector, up to the follower's high watermark.
      const f = (await follower.send(1, 11, fetchBody('plain', 0, 'c'))).responses[0].partitions[0];
      expect(f.errorCode).toBe(ErrorCode.NONE);
      expect(f.preferredReadReplica).toBe(-1);
      expect(f.highWatermark).toBe(hw);
      expect(lastOffsetIn(f.records)).toBe(hw - 1);
      expect(c.byId(3).broker.partitionManager.followerReads.followerReads).toBe(1);
      // Fetch v10 carries no client metadata: only the leader serves it (NOT_LEADER_OR_FOLLOWER, leader named).
      const old = (await follower.send(1, 10, fetchBody('plain', 0, 'c'))).responses[0].partitions[0];
      expect(old.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const v12 = (await follower.send(1, 12, fetchBody('plain', 0, 'c'))).responses[0].partitions[0];
      expect(v12.errorCode).toBe(ErrorCode.NONE);
      // The leader still names no preferred replica without a selector.
      expect(c.byId(1).broker.partitionManager.followerReads.preferredReplicaRedirects).toBe(0);
    } finally {
      leader.close();
      follower.close();
    }
  }, 120_000);
});

describe('RackAwareReplicaSelector choices', () => {
  function partitionLedBy1(isr: number[], leos: Record<number, number>): Partition {
    const log = { logEndOffset: 100, latestEpoch: () => 0 } as unknown as Partition['log'];
    const p = new Partition('t', 0, 'id', log, 1);
    p.replicas = [1, 2, 3, 4];
    p.isr = isr;
    p.replicated = true;
    p.leaderState = new LeaderState(0, p.replicas, 1, Date.now());
    for (const [id, leo] of Object.entries(leos)) p.leaderState.followers.set(Number(id), { leo, caughtUpAtMs: Date.now() });
    return p;
  }
  const racks: Record<number, string> = { 1: 'a', 2: 'b', 3: 'c', 4: 'c' };
  const sel = { selector: rackAwareReplicaSelector, rackOf: (id: number) => racks[id] };

  it('prefers the most caught-up in-sync replica in the client rack; never one out of the ISR or behind the fetch offset', () => {
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3, 4], { 2: 100, 3: 90, 4: 100 }), 50, 'c', sel, Date.now())).toBe(4);
    // 4 fell out of the ISR: 3 is the only rack-c candidate.
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3], { 2: 100, 3: 90, 4: 100 }), 50, 'c', sel, Date.now())).toBe(3);
    // 3 is in sync but has not reached the fetch offset: the leader serves.
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3], { 2: 100, 3: 90, 4: 100 }), 95, 'c', sel, Date.now())).toBe(-1);
    // The client's rack is the leader's, or no replica is there, or no rack: the leader (-1, never named).
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3, 4], { 2: 100, 3: 100, 4: 100 }), 0, 'a', sel, Date.now())).toBe(-1);
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3, 4], { 2: 100, 3: 100, 4: 100 }), 0, 'z', sel, Date.now())).toBe(-1);
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3, 4], { 2: 100, 3: 100, 4: 100 }), 0, '', sel, Date.now())).toBe(-1);
    // A replica whose broker is not registered (dead) is never named.
    expect(preferredReadReplica(partitionLedBy1([1, 2, 3], { 2: 100, 3: 100 }), 0, 'c', { ...sel, rackOf: (id: number) => (id === 3 ? undefined : racks[id]) }, Date.now())).toBe(-1);
  });

  it('replica.selector.class: unset means none; Kafka class names are accepted, others refused', () => {
    expect(replicaSelectorFor(null)).toBeNull();
    expect(replicaSelectorFor(RACK_AWARE_REPLICA_SELECTOR)).toBe(rackAwareReplicaSelector);
    expect(replicaSelectorFor('org.apache.kafka.common.replica.LeaderSelector')).not.toBeNull();
    expect(() => replicaSelectorFor('com.example.Mine')).toThrow(/not supported/);
  });
});

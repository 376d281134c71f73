// Cluster mode (issue 13): a tiered topic survives a leader change. Three in-process brokers share
// one object store (a local directory, and s3rver); topic RF 3 with small segments and
// local.retention.ms=0. Only the leader uploads; followers learn the uploaded offset from the
// leader's manifest and delete local segments only below it; after the leader is killed the new
// leader continues from the manifest; a real client reads from offset 0: byte-identical, and the
// store holds one manifest (of the new leader's epoch) naming exactly the objects present, which
// cover the log from offset 0 without gaps or duplicate segments.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../storage/tier/local-store.js';
import { decodeManifest } from '../../storage/tier/manifest.js';
import { listAll, type ObjectStore } from '../../storage/tier/object-store.js';
import { segmentIdOfKey } from '../../storage/tier/remote-keys.js';
import type { Partition } from '../../src/cluster/partition.js';
import { startTestBroker } from '../helpers/broker.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startS3rver, tierStoreOverrides, type S3Server } from '../helpers/s3-servers.js';
import { FAST_TIER, TOPIC_CONFIGS, kafkajsConsume, kcatConsume, messageValue, produceRange, rawBytes, storeFor, withAdmin } from '../storage/tier/broker-scenario.js';

const OVERRIDES = {
  ...FAST_TIER,
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.replication.factor': '3',
  'replica.lag.time.max.ms': '3000',
};

/** Leader epoch of a manifest key (-1: the single-broker manifest.json), null for segment objects. */
function manifestEpochOfKey(key: string): number | null {
  if (key.endsWith('/manifest.json')) return -1;
  const m = /\/manifest-(\d+)\.json$/.exec(key);
  return m ? Number(m[1]) : null;
}

/** One live broker: the clients discover the others from Metadata. */
const seed = (cluster: TestCluster) => cluster.bootstrap().split(',')[0]!;

function hosted(cluster: TestCluster, topic: string): { id: number; p: Partition }[] {
  const out: { id: number; p: Partition }[] = [];
  cluster.brokers.forEach((b, i) => {
    const p = b?.broker.partition(topic, 0);
    if (p) out.push({ id: i + 1, p });
  });
  return out;
}

function leaderOf(cluster: TestCluster, topic: string): { id: number; p: Partition } | undefined {
  return hosted(cluster, topic).find(({ id, p }) => p.leaderId === id);
}

function tierOf(cluster: TestCluster, id: number, topic: string) {
  return cluster.byId(id).broker.tier.status().partitions.find((s) => s.topic === topic && s.partition === 0);
}

/** The leader uploaded every rolled segment, and every replica's local copy starts at or below the uploaded end, after some deletion. */
async function waitUploadedEverywhere(cluster: TestCluster, topic: string, leaderId: number, minCopied: number): Promise<number> {
  let copied = -1;
  await cluster.waitFor(
    `${topic}: leader ${leaderId} uploaded past ${minCopied}, followers trimmed`,
    () => {
      const st = tierOf(cluster, leaderId, topic);
      if (!st || st.state !== 'ready' || st.lagSegments !== 0 || st.copiedEndOffset < minCopied) return false;
      copied = st.copiedEndOffset;
      return hosted(cluster, topic).every(({ id }) => {
        const f = tierOf(cluster, id, topic);
        return f !== undefined && f.copiedEndOffset === copied && f.localLogStartOffset > 0 && f.localLogStartOffset <= copied;
      });
    },
    30_000,
  );
  return copied;
}

/** One manifest (the leader epoch's), every object named by it and every entry's objects present; segments tile the log from 0. */
async function checkStore(store: ObjectStore, topic: string, leaderEpoch: number): Promise<void> {
  const objects = (await listAll(store, `${topic}-`)).map((o) => o.key);
  const manifests = objects.filter((k) => manifestEpochOfKey(k) !== null);
  expect(manifests.map((k) => manifestEpochOfKey(k))).toEqual([leaderEpoch]);
  const m = decodeManifest(await store.get(manifests[0]!), manifests[0]!);
  expect(m.leaderEpoch).toBe(leaderEpoch);
  expect(m.segments.every((s) => s.state === 'COPY_FINISHED')).toBe(true);
  const ids = new Set(m.segments.map((s) => s.id));
  const stored = objects.filter((k) => segmentIdOfKey(k) !== null);
  expect(new Set(stored.map((k) => segmentIdOfKey(k)))).toEqual(ids);
  expect(stored.length).toBe(2 * ids.size); // .log and .indexes of each
  expect(m.segments[0]!.baseOffset).toBe(0);
  for (let i = 1; i < m.segments.length; i++) {
    const prev = m.segments[i - 1]!;
    const s = m.segments[i]!;
    expect(s.baseOffset, `segment ${i} leaves a gap`).toBeLessThanOrEqual(prev.nextOffset);
    expect(s.baseOffset, `segment ${i} duplicates the start of ${i - 1}`).toBeGreaterThan(prev.baseOffset);
    expect(s.nextOffset, `segment ${i} adds nothing`).toBeGreaterThan(prev.nextOffset);
  }
  expect(m.segments[m.segments.length - 1]!.nextOffset).toBe(m.copiedEndOffset);
}

async function scenario(cluster: TestCluster, store: ObjectStore, topic: string, overrides: Record<string, string>): Promise<void> {
  const configs = { ...TOPIC_CONFIGS, 'remote.storage.enable': 'true', 'min.insync.replicas': '2' };
  await withAdmin(seed(cluster), (a) =>
    a.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] }),
  );
  await cluster.waitFor(`${topic} has a leader`, () => leaderOf(cluster, topic) !== undefined && hosted(cluster, topic).length === 3);
  await produceRange(seed(cluster), topic, 0, 800);
  const first = leaderOf(cluster, topic)!;
  const copied1 = await waitUploadedEverywhere(cluster, topic, first.id, 1);

  // Only the leader wrote: one manifest, of its epoch.
  await checkStore(store, topic, first.p.leaderEpoch);
  // Followers keep their segments above the uploaded offset (and their whole log end).
  for (const { id, p } of hosted(cluster, topic)) {
    if (id === first.id) continue;
    const st = tierOf(cluster, id, topic)!;
    expect(st.copiedSegmentsTotal, `follower ${id} uploaded`).toBe(0);
    expect(p.log.localLogStartOffset).toBeLessThanOrEqual(copied1);
    expect(p.log.logEndOffset).toBe(first.p.log.logEndOffset);
  }
  const before = await rawBytes(first.p.log, 0);
  // A group read now also creates __consumer_offsets (RF 3 needs three live brokers, as in Kafka).
  expect((await kafkajsConsume(seed(cluster), topic, 800)).map((m) => m.offset)).toEqual([...Array(800).keys()]);

  const killedDir = cluster.byId(first.id).dataDir;
  const oldEnd = first.p.log.logEndOffset;
  const restartOverrides = { ...overrides, 'tributary.metadata.store': cluster.byId(first.id).broker.config.get('tributary.metadata.store'), 'tributary.metadata.session.timeout.ms': '1500' };
  await cluster.kill(first.id);
  await cluster.waitFor(`${topic} has a new leader`, () => {
    const l = leaderOf(cluster, topic);
    return l !== undefined && l.id !== first.id;
  });
  await produceRange(seed(cluster), topic, 800, 1600);
  const second = leaderOf(cluster, topic)!;
  expect(second.p.leaderEpoch).toBeGreaterThan(first.p.leaderEpoch);
  const copied2 = await waitUploadedEverywhere(cluster, topic, second.id, copied1 + 1);
  expect(tierOf(cluster, second.id, topic)!.copiedSegmentsTotal).toBeGreaterThan(0);
  await checkStore(store, topic, second.p.leaderEpoch);
  expect(second.p.log.localLogStartOffset).toBeGreaterThan(copied1 - 1);
  expect(copied2).toBeGreaterThan(copied1);

  // Byte-identical from offset 0, through the new leader (remote below its local start).
  const after = await rawBytes(second.p.log, 0);
  expect(after.subarray(0, before.length).equals(before)).toBe(true);
  // Real clients from offset 0: a kafkajs consumer group and kcat, every record in order.
  const expectAll = (got: { offset: number; key: string; value: string }[]) => {
    expect(got.length).toBe(1600);
    got.forEach((m, i) => {
      expect(m.offset).toBe(i);
      expect(m.key).toBe(`key-${i}`);
      expect(m.value).toBe(messageValue(i));
    });
  };
  expectAll(await kcatConsume(cluster.bootstrap(), topic));
  expectAll(await kafkajsConsume(seed(cluster), topic, 1600));

  // The old leader comes back as a follower: its log ends below the new leader's local log start,
  // so it catches up from data the leader serves out of the store, rejoins the ISR, and trims its
  // local copy only below the uploaded offset.
  // (The case this covers: the new leader no longer holds locally where the old one stopped.)
  expect(second.p.log.localLogStartOffset).toBeGreaterThan(oldEnd);
  const dataDir = killedDir;
  const restarted = await startTestBroker({ ...restartOverrides, 'node.id': String(first.id) }, dataDir);
  cluster.brokers[first.id - 1] = restarted;
  await cluster.waitFor(
    `broker ${first.id} back in the ISR`,
    () => {
      const p = restarted.broker.partition(topic, 0);
      const l = leaderOf(cluster, topic);
      return p !== undefined && l !== undefined && l.p.isr.includes(first.id) && p.log.logEndOffset === l.p.log.logEndOffset;
    },
    30_000,
  );
  await cluster.waitFor(`broker ${first.id} learned the uploaded offset`, () => tierOf(cluster, first.id, topic)?.copiedEndOffset === copied2, 30_000);
  const back = restarted.broker.partition(topic, 0)!.log;
  expect(back.localLogStartOffset).toBeLessThanOrEqual(copied2);
  expect(tierOf(cluster, first.id, topic)!.copiedSegmentsTotal).toBe(0);
  expect((await rawBytes(back, 0)).equals(after)).toBe(true);

  // Topic deletion: the controller deletes the remote data; every broker's queued deletion drains.
  await withAdmin(seed(cluster), (a) => a.deleteTopics({ topics: [topic] }));
  await cluster.waitFor(
    `${topic}: remote data deleted`,
    async () => (await listAll(store, `${topic}-`)).length === 0 && cluster.brokers.every((b) => !b || b.broker.tier.status().pendingTopicDeletes.length === 0),
    30_000,
  );
}

describe('tiered storage in a cluster', () => {
  describe('local-directory store shared by three brokers', () => {
    let dir: string;
    let cluster: TestCluster;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'tier-cluster-'));
      cluster = await startCluster(3, { ...OVERRIDES, 'tributary.tier.local.dir': dir });
    });
    afterAll(async () => {
      await cluster?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('only the leader uploads; the new leader continues from the manifest; offset 0 reads byte-identical', async () => {
      await scenario(cluster, new LocalObjectStore(dir), 'tiered-failover', { ...OVERRIDES, 'tributary.tier.local.dir': dir });
    }, 90_000);
  });

  describe('s3rver', () => {
    let server: S3Server;
    let cluster: TestCluster;
    beforeAll(async () => {
      server = await startS3rver();
      cluster = await startCluster(3, { ...OVERRIDES, ...tierStoreOverrides(server, server.endpoint, 'tier-cluster') });
    });
    afterAll(async () => {
      await cluster?.close();
      await server?.stop();
    });

    it('the same on S3', async () => {
      const store = storeFor(server, server.endpoint, 'tier-cluster');
      try {
        await scenario(cluster, store, 'tiered-failover-s3', { ...OVERRIDES, ...tierStoreOverrides(server, server.endpoint, 'tier-cluster') });
      } finally {
        await store.close();
      }
    }, 90_000);
  });
});

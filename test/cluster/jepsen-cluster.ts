// The system under test for the Jepsen-style checks (issue 13): a real etcd and three brokers, each
// its own process (`node bin/tributary.js start` with tributary.metadata.store=etcd://…), so a
// kill is a real SIGKILL of a process with its own event loop, page cache writes and sockets.
// Partition leadership is read from the brokers over the wire (Metadata), the way clients see it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface ProcessCluster {
  etcd: TestEtcd;
  /** Index i holds node id i + 1; undefined while that broker is down. */
  brokers: (SpawnedBroker | undefined)[];
  /** Ports survive restarts (a restart reuses its port), so the bootstrap list is stable. */
  bootstrap(): string;
  liveIds(): number[];
  /** kill -9: no controlled shutdown, the lease is left to expire. */
  kill(id: number): Promise<void>;
  /** Starts a killed broker again on its data dir and port. */
  restart(id: number): Promise<void>;
  /** The topic's partitions as the first live broker that answers sees them. */
  partitions(topic: string): Promise<PartitionView[]>;
  /** As `partitions`, but from one broker (undefined when it does not answer). */
  partitionsOn(id: number, topic: string): Promise<PartitionView[] | undefined>;
  waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Copies every broker's data dir and every process's stderr (killed ones too) under `dir`, for diagnosing a violation. */
  preserve(dir: string): Promise<void>;
  close(): Promise<void>;
}

export interface ProcessClusterOptions {
  size?: number;
  overrides?: Record<string, string>;
  /** Use this etcd (not owned: close() leaves it running). */
  etcd?: TestEtcd;
}

const METADATA_VERSION = 9;

export async function startProcessCluster(opts: ProcessClusterOptions = {}): Promise<ProcessCluster> {
  const size = opts.size ?? 3;
  const etcd = opts.etcd ?? (await startEtcd());
  const ownsEtcd = !opts.etcd;
  const root = `/jepsen-${process.pid}-${Date.now()}/`;
  const overridesFor = (id: number): Record<string, string> => ({
    'node.id': String(id),
    'tributary.metadata.store': etcd.url,
    'tributary.metadata.root': root,
    'tributary.metadata.session.timeout.ms': '1000',
    'replica.lag.time.max.ms': '4000',
    'replica.fetch.backoff.ms': '100',
    'replica.fetch.wait.max.ms': '200',
    'group.initial.rebalance.delay.ms': '0',
    ...(opts.overrides ?? {}),
  });
  const brokers: (SpawnedBroker | undefined)[] = [];
  const ports: number[] = [];
  try {
    // One after the other: brokers started at the same instant race to create the internal
    // topics through the controller and one of them can fail its start (CreateTopics error).
    for (let i = 0; i < size; i++) {
      const b = await spawnBroker({ overrides: overridesFor(i + 1), startTimeoutMs: 60_000 });
      brokers.push(b);
      ports.push(b.port);
    }
  } catch (err) {
    for (const b of brokers) await b?.cleanup();
    if (ownsEtcd) await etcd.cleanup();
    throw err;
  }
  const killed = new Map<number, SpawnedBroker>();
  // stderr of every process that has ended, per node id (a restart starts a fresh capture).
  const pastLogs = new Map<number, string[]>();

  const metadataOn = async (id: number, topic: string): Promise<PartitionView[] | undefined> => {
    const b = brokers[id - 1];
    if (!b) return undefined;
    let c: RawClient | undefined;
    try {
      c = await RawClient.connect(b.port);
      const r = await Promise.race([
        c.send(3, METADATA_VERSION, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('metadata timeout')), 3_000)),
      ]);
      const t = r.topics.find((x: { name: string }) => x.name === topic);
      if (!t || t.errorCode !== 0) return undefined;
      return t.partitions
        .map((p: { partitionIndex: number; leaderId: number; leaderEpoch: number; replicaNodes: number[]; isrNodes: number[] }) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: [...p.replicaNodes].sort(),
          isr: [...p.isrNodes].sort(),
        }))
        .sort((a: PartitionView, b: PartitionView) => a.partition - b.partition);
    } catch {
      return undefined;
    } finally {
      c?.close();
    }
  };

  const cluster: ProcessCluster = {
    etcd,
    brokers,
    bootstrap: () => ports.map((p) => `127.0.0.1:${p}`).join(','),
    liveIds: () => brokers.flatMap((b, i) => (b ? [i + 1] : [])),
    async kill(id) {
      const b = brokers[id - 1];
      if (!b) return;
      brokers[id - 1] = undefined;
      await b.stop('SIGKILL');
      killed.set(id, b);
      pastLogs.set(id, [...(pastLogs.get(id) ?? []), b.logs()]);
    },
    async restart(id) {
      const b = killed.get(id);
      if (!b) throw new Error(`broker ${id} was not killed`);
      const next = await b.restart({ signal: 'SIGKILL' });
      killed.delete(id);
      brokers[id - 1] = next;
      ports[id - 1] = next.port;
    },
    partitionsOn: metadataOn,
    async partitions(topic) {
      for (const id of cluster.liveIds()) {
        const v = await metadataOn(id, topic);
        if (v) return v;
      }
      throw new Error(`no live broker answered Metadata for ${topic}`);
    },
    async waitFor(what, check, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async preserve(dir) {
      await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < size; i++) {
        const b = brokers[i] ?? killed.get(i + 1);
        if (!b) continue;
        await fs.cp(b.dataDir, path.join(dir, `broker-${i + 1}`), { recursive: true });
        const logs = [...(pastLogs.get(i + 1) ?? []), ...(brokers[i] ? [brokers[i]!.logs()] : [])];
        await fs.writeFile(path.join(dir, `broker-${i + 1}.log`), logs.map((l, k) => `=== process ${k + 1} ===\n${l}`).join('\n'));
      }
    },
    async close() {
      for (const b of [...brokers, ...killed.values()]) await b?.cleanup();
      brokers.fill(undefined);
      killed.clear();
      if (ownsEtcd) await etcd.cleanup();
    },
  };
  return cluster;
}

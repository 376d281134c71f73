// The testing API: `import { createTestCluster } from 'tributary/testing'`. A broker for a test
// suite: ephemeral port, fresh temp data dir removed on close, no logs unless asked, topics
// created up front, and `control()` to make the broker misbehave on purpose.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded, type Embedded } from './embedded.js';
import { LocalCluster, clusterDefaults } from './local-cluster.js';
import { settingsToProps, type BrokerSettings } from './config/settings.js';
import { validateTopicConfigs } from './config/topic-config.js';
import { invalidTopicNameReason } from './metadata/topic-name.js';
import type { LogLevelSetting, LogSink } from './logging/logger.js';
import type { ControlFn, ControlHandle, ControlOptions } from './network/request-control.js';

export type {
  ControlAction,
  ControlDecision,
  ControlFn,
  ControlHandle,
  ControlOptions,
  ControlRequestInfo,
  KafkaErrorName,
} from './network/request-control.js';
export type { BrokerSettings } from './config/settings.js';

export interface TestTopic {
  name: string;
  /** Default 1. */
  partitions?: number;
  /** Default: the cluster's default.replication.factor (the broker count, at most 3). */
  replicationFactor?: number;
  /** Topic configs (Kafka's topic keys, e.g. { 'cleanup.policy': 'compact' }). */
  config?: Record<string, string | number | boolean>;
}

export interface TestClusterOptions {
  /**
   * Number of brokers (default 1). Several form one cluster in this process (node ids 1..N, an
   * in-memory metadata store, replication), with default.replication.factor = min(3, N),
   * min.insync.replicas 2 from 3 brokers, and a 3 s registration lease, so `kill()` fails over
   * in about 3 s (`tributary.metadata.session.timeout.ms` in `config` changes it).
   */
  brokers?: number;
  /** Topics created before createTestCluster resolves. */
  topics?: readonly TestTopic[];
  /**
   * Broker settings (Kafka keys) for every broker. `listeners` and `log.dirs` default to
   * 127.0.0.1:0 and a temp dir (with several brokers they are set per broker and cannot be given).
   */
  config?: BrokerSettings;
  /** Default 'silent' (or env TRIBUTARY_TEST_LOG_LEVEL). */
  logLevel?: LogLevelSetting;
  /** Where log lines go when logLevel is not silent; default process.stderr. */
  logStream?: LogSink;
}

export interface TestBrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface TestCluster {
  /** `host:port[,host:port...]` for the clients' bootstrap servers. */
  readonly bootstrap: string;
  readonly brokers: readonly TestBrokerInfo[];
  /**
   * Intercepts every request of one API (a key such as 0, or a name such as 'Produce'). `fn` gets
   * the decoded request and decides: undefined/'pass' lets the broker handle it; `{ delayMs }`
   * delays it; `{ error }` answers with that Kafka error code in every error field; 'drop' closes
   * the connection; `{ response }` answers with a body of your own. Controls apply in the order
   * installed; the first that acts decides. Returns a handle to remove the control.
   */
  control<Req = any>(api: number | string, fn: ControlFn<Req>, opts?: TestControlOptions): ControlHandle;
  /**
   * Several brokers only: kill -9 of broker `nodeId` as the cluster sees it (no controlled
   * shutdown; its lease expires and its partitions get new leaders after the session timeout).
   * Its port stays reserved for `restart`.
   */
  kill(nodeId: number): Promise<void>;
  /** Several brokers only: clean shutdown of one broker (its lease is revoked, leaders move at once). */
  stop(nodeId: number): Promise<void>;
  /**
   * Several brokers only: starts broker `nodeId` again on the same port and data dir (stopping it
   * first if it runs) and resolves once every running broker sees it; it then catches up and
   * rejoins the ISRs. Controls installed on the cluster apply to it again.
   */
  restart(nodeId: number): Promise<void>;
  /** The node id of the current leader of a partition (-1 when it has none), as broker `from` (default: any running) sees it. */
  leaderOf(topic: string, partition: number): number;
  /** Stops the brokers and removes their data dirs. Idempotent. */
  close(): Promise<void>;
}

export interface TestControlOptions extends ControlOptions {
  /** Several brokers: intercept only on this broker (default: every broker; `times` counts across all). */
  broker?: number;
}

export async function createTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const brokers = options.brokers ?? 1;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 16) throw new Error(`createTestCluster: brokers must be an integer from 1 to 16, got ${brokers}`);
  const topics = options.topics ?? [];
  for (const t of topics) {
    const reason = invalidTopicNameReason(t.name);
    if (reason !== null) throw new Error(`createTestCluster: invalid topic name '${t.name}': ${reason}`);
    if (t.partitions !== undefined && (!Number.isInteger(t.partitions) || t.partitions < 1)) {
      throw new Error(`createTestCluster: topic '${t.name}' needs partitions >= 1, got ${t.partitions}`);
    }
    const bad = validateTopicConfigs(settingsToProps(t.config ?? {}));
    if (bad.length > 0) throw new Error(`createTestCluster: topic '${t.name}': ${bad.map((b) => b.error).join('; ')}`);
    if (t.replicationFactor !== undefined && (!Number.isInteger(t.replicationFactor) || t.replicationFactor < 1 || t.replicationFactor > brokers)) {
      throw new Error(`createTestCluster: topic '${t.name}' needs replicationFactor from 1 to ${brokers} (the broker count), got ${t.replicationFactor}`);
    }
  }
  if (brokers > 1) return createMultiBroker(brokers, topics, options);

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-test-cluster-'));
  const removeDir = () => fs.rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  let started: Embedded;
  try {
    started = await startEmbedded(
      {
        config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir, ...(options.config ?? {}) },
        logLevel: options.logLevel ?? (process.env.TRIBUTARY_TEST_LOG_LEVEL as LogLevelSetting | undefined),
        logStream: options.logStream,
      },
      'silent',
    );
  } catch (err) {
    await removeDir();
    throw err;
  }
  const { broker } = started;
  try {
    for (const t of topics) await broker.createTopic(t.name, t.partitions ?? 1, 1, settingsToProps(t.config ?? {}));
  } catch (err) {
    await started.close();
    await removeDir();
    throw err;
  }

  const endpoint = broker.endpointFor(broker.boundListeners[0]!.name);
  let closing: Promise<void> | null = null;
  return Object.freeze({
    bootstrap: started.bootstrap,
    brokers: Object.freeze([Object.freeze({ nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port })]),
    control: (api: number | string, fn: ControlFn, opts?: TestControlOptions) => broker.requestControls.install(api, fn, opts),
    kill: () => Promise.reject(new Error('kill() needs a cluster of several brokers (createTestCluster({ brokers: 3 }))')),
    stop: () => Promise.reject(new Error('stop() needs a cluster of several brokers; close() stops a single broker')),
    restart: () => Promise.reject(new Error('restart() needs a cluster of several brokers (createTestCluster({ brokers: 3 }))')),
    leaderOf: (topic: string, partition: number) => (broker.partitionManager.partition(topic, partition) ? endpoint.nodeId : -1),
    close() {
      closing ??= (async () => {
        broker.requestControls.clear();
        await started.close();
        await removeDir();
      })();
      return closing;
    },
  });
}

/** Several brokers: a LocalCluster over an in-memory store, one temp dir with a subdir per broker. */
async function createMultiBroker(n: number, topics: readonly TestTopic[], options: TestClusterOptions): Promise<TestCluster> {
  const user = options.config ?? {};
  for (const key of ['listeners', 'log.dirs', 'log.dir', 'node.id', 'broker.id', 'tributary.metadata.store']) {
    if (user[key] !== undefined) throw new Error(`createTestCluster: '${key}' is set per broker when brokers > 1; leave it out`);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-test-cluster-'));
  const removeDir = () => fs.rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
      brokers: Array.from({ length: n }, (_, i) => ({ nodeId: i + 1, dataDir: path.join(root, `broker-${i + 1}`), port: 0 })),
      config: { ...clusterDefaults(n), 'tributary.metadata.session.timeout.ms': 3000, 'replica.lag.time.max.ms': 5000, ...user },
      logLevel: options.logLevel ?? (process.env.TRIBUTARY_TEST_LOG_LEVEL as LogLevelSetting | undefined) ?? 'silent',
      logStream: options.logStream ? () => options.logStream : undefined,
    });
  } catch (err) {
    await removeDir();
    throw err;
  }
  const running = () => cluster.brokers.filter((b) => b.embedded).map((b) => b.embedded!.broker);
  const leaderOf = (topic: string, partition: number) => {
    for (const b of running()) {
      const st = b.partitionManager.partition(topic, partition);
      if (st) return st.leaderId;
    }
    return -1;
  };
  try {
    const first = running()[0]!;
    const rf = Math.min(3, n);
    for (const t of topics) await first.createTopic(t.name, t.partitions ?? 1, t.replicationFactor ?? rf, settingsToProps(t.config ?? {}));
    // Every broker knows every partition's leader before the test's clients ask any of them.
    await cluster.waitUntil('topics led on every broker', () =>
      topics.every((t) => running().every((b) => Array.from({ length: t.partitions ?? 1 }, (_, p) => b.partitionManager.partition(t.name, p)?.leaderId ?? -1).every((l) => l >= 0))),
    );
  } catch (err) {
    await cluster.close();
    await removeDir();
    throw err;
  }

  // Controls live on the cluster: re-installed on a restarted broker.
  interface ClusterControl { api: number | string; fn: ControlFn; broker?: number; handles: Map<number, ControlHandle>; removed: boolean }
  const controls: ClusterControl[] = [];
  const installOn = (c: ClusterControl, nodeId: number) => {
    const e = cluster.get(nodeId).embedded;
    if (!e || c.removed || (c.broker !== undefined && c.broker !== nodeId)) return;
    c.handles.set(nodeId, e.broker.requestControls.install(c.api, c.fn));
  };
  const infos = () => Object.freeze(cluster.brokers.map((b) => Object.freeze({ nodeId: b.nodeId, host: b.host, port: b.port })));
  let closing: Promise<void> | null = null;
  return Object.freeze({
    bootstrap: cluster.bootstrap,
    get brokers() {
      return infos();
    },
    control(api: number | string, fn: ControlFn, opts: TestControlOptions = {}): ControlHandle {
      if (opts.broker !== undefined) cluster.get(opts.broker);
      const times = opts.times ?? Infinity;
      let seen = 0;
      let acted = 0;
      const c: ClusterControl = { api, fn: () => undefined, broker: opts.broker, handles: new Map(), removed: false };
      const remove = () => {
        c.removed = true;
        for (const h of c.handles.values()) h.remove();
      };
      // One count across brokers, so { times: 2 } means the first two requests the cluster gets.
      c.fn = async (request, info) => {
        if (c.removed || acted >= times) return undefined;
        seen++;
        const decision = await fn(request, info);
        if (decision !== undefined && decision !== 'pass' && acted < times) {
          acted++;
          if (acted >= times) remove();
        }
        return decision;
      };
      controls.push(c);
      for (const b of cluster.brokers) installOn(c, b.nodeId);
      return {
        remove,
        get seen() {
          return seen;
        },
        get acted() {
          return acted;
        },
      };
    },
    async kill(nodeId: number) {
      await cluster.kill(nodeId);
    },
    async stop(nodeId: number) {
      await cluster.stop(nodeId);
    },
    async restart(nodeId: number) {
      await cluster.restart(nodeId);
      for (const c of controls) installOn(c, nodeId);
      await cluster.waitUntil(`broker ${nodeId} registered on every broker`, () => cluster.allRegistered(), 30_000);
    },
    leaderOf,
    close() {
      closing ??= (async () => {
        for (const c of controls) c.removed = true;
        await cluster.close();
        await removeDir();
      })();
      return closing;
    },
  });
}

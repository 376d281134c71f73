// The testing API: `import { createTestCluster } from 'tributary/testing'`. A broker for a test
// suite: ephemeral port, fresh temp data dir removed on close, no logs unless asked, topics
// created up front, and `control()` to make the broker misbehave on purpose.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded, type Embedded } from './embedded.js';
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
  /** Topic configs (Kafka's topic keys, e.g. { 'cleanup.policy': 'compact' }). */
  config?: Record<string, string | number | boolean>;
}

export interface TestClusterOptions {
  /** Number of brokers. Only 1 today: several need replication, which Tributary does not have yet. */
  brokers?: number;
  /** Topics created before createTestCluster resolves. */
  topics?: readonly TestTopic[];
  /** Broker settings (Kafka keys). `listeners` and `log.dirs` default to 127.0.0.1:0 and a temp dir. */
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
  control<Req = any>(api: number | string, fn: ControlFn<Req>, opts?: ControlOptions): ControlHandle;
  /** Stops the broker and removes its data dir. Idempotent. */
  close(): Promise<void>;
}

export async function createTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const brokers = options.brokers ?? 1;
  if (brokers !== 1) {
    throw new Error(`createTestCluster: brokers: ${brokers} is not supported yet (Tributary has no replication; use brokers: 1)`);
  }
  const topics = options.topics ?? [];
  for (const t of topics) {
    const reason = invalidTopicNameReason(t.name);
    if (reason !== null) throw new Error(`createTestCluster: invalid topic name '${t.name}': ${reason}`);
    if (t.partitions !== undefined && (!Number.isInteger(t.partitions) || t.partitions < 1)) {
      throw new Error(`createTestCluster: topic '${t.name}' needs partitions >= 1, got ${t.partitions}`);
    }
    const bad = validateTopicConfigs(settingsToProps(t.config ?? {}));
    if (bad.length > 0) throw new Error(`createTestCluster: topic '${t.name}': ${bad.map((b) => b.error).join('; ')}`);
  }

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
    control: (api: number | string, fn: ControlFn, opts?: ControlOptions) => broker.requestControls.install(api, fn, opts),
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

// The coordinator runtime (Kafka's CoordinatorRuntime, in our terms): one way for the group,
// KIP-848, transaction coordinators and the aggregation stage to
//   - open their internal topic (find it, or create it compacted with the configured partitions),
//   - replay a partition on load and append records to it, only through InternalPartitionAccess
//     (the partition layer), with one storage-error mapping (write-errors.ts),
//   - be told to load and unload internal-topic partitions at run time (failover calls
//     load/unload; on one broker every partition is loaded at start and stays loaded).
//
// A coordinator registers itself for its topic as a CoordinatorShard; the runtime dispatches
// load/unload to it. The shard keeps its own PartitionStates (partition-states.ts) so requests
// answer COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR without knowing about the runtime.
import type { InternalPartitionAccess, InternalTopics, MarkerSpec, InternalAppendResult, TopicPartition } from '../../cluster/partition-api.js';
import type { Logger } from '../../logging/logger.js';
import { appendRecords } from './append-internal.js';
import type { CoordinatorRecord, CoordinatorRecordLog, OpenTransactions } from './record-log.js';
import { replayCoordinatorRecords } from './read-internal.js';

export type RuntimeLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface InternalTopicSpec {
  name: string;
  /** Used only when the topic is created: an existing topic keeps its count (keys must not move). */
  numPartitions: number;
  configs: Record<string, string>;
  /** Cluster mode: replicas of each partition (offsets.topic.replication.factor etc.); 1 on a single broker. */
  replicationFactor?: number;
}

/** A coordinator's side of load/unload: called by the runtime for each partition of its topic. */
export interface CoordinatorShard {
  /**
   * Replays `partition` into memory and starts serving it. Cluster mode passes `ready`: the
   * partition is loading (COORDINATOR_LOAD_IN_PROGRESS) from the call on, the replay starts once
   * `ready` resolves true, and false means leadership moved on (the partition stays unloaded).
   */
  loadPartition(partition: number, ready?: () => Promise<boolean>): Promise<void>;
  /** Stops serving `partition` and drops its state (parked requests get NOT_COORDINATOR). */
  unloadPartition(partition: number): Promise<void>;
}

export interface RuntimeDeps {
  access: InternalPartitionAccess;
  topics: InternalTopics;
  logger: RuntimeLogger;
  /**
   * Cluster mode: internal topics are cluster topics (created through the controller, see
   * createInternalTopic) and partitions are loaded / unloaded as this broker gains / loses their
   * leadership (leadershipChanged), not all at start.
   */
  clustered?: boolean;
}

/** After this long waiting for the high watermark to reach the log end, a new leader says so in the log. */
const CATCH_UP_WAIT_MS = 30_000;
const CATCH_UP_POLL_MS = 20;

export class CoordinatorRuntime {
  private readonly shards = new Map<string, CoordinatorShard>();
  private readonly specs = new Map<string, InternalTopicSpec>();
  private readonly creating = new Map<string, Promise<boolean>>();
  /** Cluster mode: whether this broker leads each internal-topic partition (`topic\0partition`), as last told. */
  private readonly leading = new Map<string, boolean>();
  /** Load/unload runs one at a time per partition, in the order leadership changed. */
  private readonly transitions = new Map<string, Promise<void>>();
  private following = false;
  private stopped = false;

  constructor(private readonly deps: RuntimeDeps) {}

  get clustered(): boolean {
    return this.deps.clustered === true;
  }

  get access(): InternalPartitionAccess {
    return this.deps.access;
  }

  get topics(): InternalTopics {
    return this.deps.topics;
  }

  /** The topic's log, creating the topic when missing and `create`; null when missing and not created. */
  async open(spec: InternalTopicSpec, create = true): Promise<InternalTopicLog | null> {
    this.specs.set(spec.name, spec);
    // Cluster mode: the topic is created by FindCoordinator (createInternalTopic) once enough
    // brokers are alive; until it arrives, keys hash over the configured partition count.
    if (this.clustered) return new InternalTopicLog(this.deps.access, spec.name, () => this.deps.topics.topics.get(spec.name)?.partitions ?? spec.numPartitions);
    let topic = this.deps.topics.topics.get(spec.name);
    if (!topic) {
      if (!create) return null;
      topic = await this.deps.topics.createTopic(spec.name, spec.numPartitions, 1, spec.configs);
    }
    const partitions = topic.partitions;
    return new InternalTopicLog(this.deps.access, spec.name, () => partitions);
  }

  /** The partition count of an internal topic: the existing topic's, else the configured one (undefined: not a coordinator topic). */
  partitionCount(topic: string): number | undefined {
    return this.deps.topics.topics.get(topic)?.partitions ?? this.specs.get(topic)?.numPartitions;
  }

  /**
   * Cluster mode (FindCoordinator): creates the internal topic through the controller with its
   * replication factor, as Kafka does on the first FindCoordinator. False while it cannot be
   * created (fewer live brokers than the replication factor: INVALID_REPLICATION_FACTOR), which
   * the caller answers COORDINATOR_NOT_AVAILABLE. Concurrent callers share one attempt.
   */
  createInternalTopic(name: string): Promise<boolean> {
    if (this.deps.topics.topics.get(name)) return Promise.resolve(true);
    const spec = this.specs.get(name);
    if (!spec) return Promise.resolve(false);
    let p = this.creating.get(name);
    if (!p) {
      p = this.deps.topics
        .createTopic(name, spec.numPartitions, spec.replicationFactor ?? 1, spec.configs)
        .then(
          () => true,
          (err: Error & { errorCode?: number }) => {
            // Another broker created it first: it arrives through the store's watch.
            if (this.deps.topics.topics.get(name)) return true;
            this.deps.logger.warn('internal topic not created yet', { topic: name, replicationFactor: spec.replicationFactor ?? 1, error: err.message });
            return false;
          },
        )
        .finally(() => this.creating.delete(name));
      this.creating.set(name, p);
    }
    return p;
  }

  /** Finds or creates a topic the caller manages itself (the aggregation stage's output and changelogs). */
  async ensureTopic(spec: InternalTopicSpec): Promise<{ name: string; partitions: number }> {
    const existing = this.deps.topics.topics.get(spec.name);
    if (existing) return existing;
    return this.deps.topics.createTopic(spec.name, spec.numPartitions, this.clustered ? (spec.replicationFactor ?? 1) : 1, spec.configs);
  }

  /** Registers the coordinator that owns `topic`'s partitions (one per topic). */
  register(topic: string, shard: CoordinatorShard): void {
    if (this.shards.has(topic)) throw new Error(`${topic} already has a coordinator`);
    this.shards.set(topic, shard);
    // Registered after followLeadership() (the aggregation stage, the share coordinator): load what
    // this broker already leads.
    if (!this.following) return;
    for (const [key, leader] of this.leading) {
      const [t, partition] = key.split('\0') as [string, string];
      if (leader && t === topic) this.transition(topic, Number(partition));
    }
  }

  unregister(topic: string, shard: CoordinatorShard): void {
    if (this.shards.get(topic) === shard) this.shards.delete(topic);
  }

  /** Failover: this broker became leader of `topic`-`partition` (`ready`: see CoordinatorShard.loadPartition). */
  async load(topic: string, partition: number, ready?: () => Promise<boolean>): Promise<void> {
    const shard = this.shards.get(topic);
    if (!shard) throw new Error(`no coordinator registered for ${topic}`);
    this.deps.logger.info('loading coordinator partition', { topic, partition });
    await shard.loadPartition(partition, ready);
  }

  /** Failover: this broker is no longer leader of `topic`-`partition`. */
  async unload(topic: string, partition: number): Promise<void> {
    const shard = this.shards.get(topic);
    if (!shard) throw new Error(`no coordinator registered for ${topic}`);
    this.deps.logger.info('unloading coordinator partition', { topic, partition });
    await shard.unloadPartition(partition);
  }

  /**
   * Cluster mode: the partition layer's view of who leads `topic`-`partition` changed. Leading
   * loads it on the topic's coordinator (after its high watermark reached its log end, so the
   * replay holds every acknowledged write), not leading unloads it (requests: NOT_COORDINATOR).
   */
  leadershipChanged(topic: string, partition: number, leader: boolean): void {
    const key = `${topic}\0${partition}`;
    const was = this.leading.get(key) ?? false;
    this.leading.set(key, leader);
    if (was !== leader && this.following) this.transition(topic, partition);
  }

  /** Cluster mode, once every coordinator is registered and started: load what this broker leads now, follow changes from here on. */
  followLeadership(): void {
    this.following = true;
    for (const [key, leader] of this.leading) {
      if (!leader) continue;
      const [topic, partition] = key.split('\0') as [string, string];
      this.transition(topic, Number(partition));
    }
  }

  /** This broker leads nothing any more (metadata store session lost): every loaded partition is unloaded. */
  resignAll(): void {
    for (const [key, leader] of this.leading) {
      if (!leader) continue;
      const [topic, partition] = key.split('\0') as [string, string];
      this.leadershipChanged(topic, Number(partition), false);
    }
  }

  /** Stops following leadership (shutdown): pending transitions end without loading. */
  async stopFollowing(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.transitions.values()]);
  }

  private isLeading(topic: string, partition: number): boolean {
    return !this.stopped && this.leading.get(`${topic}\0${partition}`) === true;
  }

  private transition(topic: string, partition: number): void {
    const key = `${topic}\0${partition}`;
    const run = (this.transitions.get(key) ?? Promise.resolve())
      .then(async () => {
        if (!this.shards.has(topic)) return;
        if (!this.isLeading(topic, partition)) {
          await this.unload(topic, partition);
          return;
        }
        // Loading from here on (requests: COORDINATOR_LOAD_IN_PROGRESS); the replay waits for the catch-up.
        await this.load(topic, partition, async () => (await this.caughtUp(topic, partition)) && this.isLeading(topic, partition));
      })
      .catch((err: Error) => this.deps.logger.error('coordinator partition transition failed', { topic, partition, error: err.message }));
    this.transitions.set(key, run);
    void run.finally(() => {
      if (this.transitions.get(key) === run) this.transitions.delete(key);
    });
  }

  /**
   * A new leader's high watermark reaches the log end it started with once its ISR followers
   * fetched from it: only then is everything the previous leader acknowledged readable by the
   * replay. False when leadership moved on meanwhile (or it never caught up).
   */
  private async caughtUp(topic: string, partition: number): Promise<boolean> {
    const tp = { topic, partition };
    // The partition's state can arrive before its topic (etcd watches deliver them separately):
    // until the partition is open here there is no log end to reach yet.
    let target: number | undefined;
    const warnAt = Date.now() + CATCH_UP_WAIT_MS;
    let warned = false;
    for (;;) {
      if (!this.isLeading(topic, partition)) return false;
      const o = this.deps.access.offsets(tp);
      if (o) {
        target ??= o.logEndOffset;
        if (o.highWatermark >= target) return true;
      }
      // A lagging ISR member holds the HW back until the ISR shrinks (replica.lag.time.max.ms): keep waiting.
      if (!warned && Date.now() > warnAt) {
        warned = true;
        this.deps.logger.warn('coordinator partition waits for its high watermark to reach the log end', { topic, partition, highWatermark: o?.highWatermark ?? -1, logEndOffset: target ?? -1 });
      }
      await new Promise((r) => setTimeout(r, CATCH_UP_POLL_MS));
    }
  }

  /** Appends a transaction marker (transaction end) to any partition. */
  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    return this.deps.access.appendMarker(tp, marker);
  }
}

/** One internal topic as a CoordinatorRecordLog, over the partition layer. */
export class InternalTopicLog implements CoordinatorRecordLog {
  constructor(
    private readonly access: InternalPartitionAccess,
    readonly topic: string,
    private readonly partitions: () => number,
  ) {}

  /** The topic's partition count (cluster mode: the configured count until the topic exists). */
  get numPartitions(): number {
    return this.partitions();
  }

  append(partition: number, records: CoordinatorRecord[]): Promise<number> {
    // A plain promise chain (appendRecords never rejects): two or three of these per transaction.
    return appendRecords(this.access, { topic: this.topic, partition }, records).then(errorCodeOf);
  }

  replay(partition: number, onRecord: (r: CoordinatorRecord) => void): Promise<OpenTransactions> {
    return replayCoordinatorRecords(this.access, { topic: this.topic, partition }, onRecord);
  }

  coordinatorEpoch(partition: number): number {
    return this.access.offsets({ topic: this.topic, partition })?.leaderEpoch ?? 0;
  }
}

function errorCodeOf(r: InternalAppendResult): number {
  return r.errorCode;
}

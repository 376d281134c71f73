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
}

/** A coordinator's side of load/unload: called by the runtime for each partition of its topic. */
export interface CoordinatorShard {
  /** Replays `partition` into memory and starts serving it. */
  loadPartition(partition: number): Promise<void>;
  /** Stops serving `partition` and drops its state (parked requests get NOT_COORDINATOR). */
  unloadPartition(partition: number): Promise<void>;
}

export interface RuntimeDeps {
  access: InternalPartitionAccess;
  topics: InternalTopics;
  logger: RuntimeLogger;
}

export class CoordinatorRuntime {
  private readonly shards = new Map<string, CoordinatorShard>();

  constructor(private readonly deps: RuntimeDeps) {}

  get access(): InternalPartitionAccess {
    return this.deps.access;
  }

  get topics(): InternalTopics {
    return this.deps.topics;
  }

  /** The topic's log, creating the topic when missing and `create`; null when missing and not created. */
  async open(spec: InternalTopicSpec, create = true): Promise<InternalTopicLog | null> {
    let topic = this.deps.topics.topics.get(spec.name);
    if (!topic) {
      if (!create) return null;
      topic = await this.deps.topics.createTopic(spec.name, spec.numPartitions, 1, spec.configs);
    }
    return new InternalTopicLog(this.deps.access, spec.name, topic.partitions);
  }

  /** Finds or creates a topic the caller manages itself (the aggregation stage's output and changelogs). */
  async ensureTopic(spec: InternalTopicSpec): Promise<{ name: string; partitions: number }> {
    const existing = this.deps.topics.topics.get(spec.name);
    if (existing) return existing;
    return this.deps.topics.createTopic(spec.name, spec.numPartitions, 1, spec.configs);
  }

  /** Registers the coordinator that owns `topic`'s partitions (one per topic). */
  register(topic: string, shard: CoordinatorShard): void {
    if (this.shards.has(topic)) throw new Error(`${topic} already has a coordinator`);
    this.shards.set(topic, shard);
  }

  unregister(topic: string, shard: CoordinatorShard): void {
    if (this.shards.get(topic) === shard) this.shards.delete(topic);
  }

  /** Failover: this broker became leader of `topic`-`partition`. */
  async load(topic: string, partition: number): Promise<void> {
    const shard = this.shards.get(topic);
    if (!shard) throw new Error(`no coordinator registered for ${topic}`);
    this.deps.logger.info('loading coordinator partition', { topic, partition });
    await shard.loadPartition(partition);
  }

  /** Failover: this broker is no longer leader of `topic`-`partition`. */
  async unload(topic: string, partition: number): Promise<void> {
    const shard = this.shards.get(topic);
    if (!shard) throw new Error(`no coordinator registered for ${topic}`);
    this.deps.logger.info('unloading coordinator partition', { topic, partition });
    await shard.unloadPartition(partition);
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
    readonly numPartitions: number,
  ) {}

  async append(partition: number, records: CoordinatorRecord[]): Promise<number> {
    return (await appendRecords(this.access, { topic: this.topic, partition }, records)).errorCode;
  }

  replay(partition: number, onRecord: (r: CoordinatorRecord) => void): Promise<OpenTransactions> {
    return replayCoordinatorRecords(this.access, { topic: this.topic, partition }, onRecord);
  }

  coordinatorEpoch(partition: number): number {
    return this.access.offsets({ topic: this.topic, partition })?.leaderEpoch ?? 0;
  }
}

// The partition layer (issue 12; Kafka's ReplicaManager in our terms): the ONLY way anything
// appends to or reads from a partition. Produce, Fetch, ListOffsets, WriteTxnMarkers,
// DeleteRecords, OffsetForLeaderEpoch, DescribeProducers/LogDirs, the coordinators
// (InternalPartitionAccess) and the aggregation stage all come through here; none of them touches
// a PartitionLog. What lives here, once:
//
//   check                              | answer                         | applies to
//   -----------------------------------+--------------------------------+---------------------------
//   acks not in {-1, 0, 1}             | INVALID_REQUIRED_ACKS          | append (client)
//   no such partition here             | UNKNOWN_TOPIC_OR_PARTITION     | everything
//   partition led by another broker    | NOT_LEADER_OR_FOLLOWER         | append, read, offsets (a follower serves
//                                      |                                | v11+ consumers, KIP-392, selector or not)
//   currentLeaderEpoch given, != ours  | FENCED / UNKNOWN_LEADER_EPOCH  | read, offsets
//   client writing an internal topic   | INVALID_TOPIC_EXCEPTION        | append (client)
//   acks=-1 and |ISR| < min.insync     | NOT_ENOUGH_REPLICAS            | append (client)
//   producer state (sequence, epoch)   | as Kafka                       | append (client, coordinator), markers
//   KIP-890 transaction verification   | via the injected verifier      | append (client)
//
// It owns the Partition objects (leader id, leader epoch, replicas, ISR — today always this
// broker alone), so replication changes who advances the high watermark and the ISR, not the
// callers. Reads are bounded by reader kind: consumers up to the HW (LSO for read_committed),
// followers up to the log end, internal readers up to the HW.
//
// Hot path: append and read do a map lookup and a few integer checks per partition; uncompressed
// well-formed client batches are never decoded (client-records.ts).
import { ErrorCode } from '../../protocol/errors.js';
import { scanBatches } from '../../protocol/records/batch-header.js';
import type { LogManager } from '../../storage/log/log-manager.js';
import { LogError, type AppendResult } from '../../storage/log/partition-log.js';
import { appendClientRecords, appendCoordinatorBatch, appendTxnMarker, type ClientAppendOptions, type ProducerAppend } from '../../storage/log/producer-state/append-with-state.js';
import type { LogConfig } from '../../storage/log/log-config.js';
import type { ResolvedTopicConfig } from '../config/topic-config.js';
import type { Logger } from '../logging/logger.js';
import { isBrokerOwnedTopic } from '../metadata/topic-name.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { AppendWaiters } from './append-waiters.js';
import { validateClientRecords } from './client-records.js';
import { endOffsetForEpoch } from './leader-epoch.js';
import { lookupOffset, offsetLookupError, type OffsetLookupResult } from './offset-lookup.js';
import { Partition } from './partition.js';
import type {
  AppendOrigin,
  InternalAppendResult,
  InternalPartitionAccess,
  InternalReadResult,
  IsolationLevel,
  MarkerSpec,
  PartitionOffsets,
  ProducerStateUpkeep,
  ReaderKind,
  TopicPartition,
} from './partition-api.js';
import { runProducerMaintenance } from './producer-maintenance.js';
import type { RecordError } from './record-checks.js';
import { tpKey } from './topic-partition.js';
import { newFollowerReadStats, preferredReadReplica, type ReadReplicaSelection } from './replica-selector.js';
import { LeaderState } from './replication/leader-state.js';
import type { ReplicationQuotaManager } from './replication/replication-quota.js';

/** Cluster mode: what the partition layer asks of replication (the broker wires these). */
export interface ReplicationHooks {
  /** This broker follows the partition now (leader and epoch are on it). */
  follow(partition: Partition): void;
  /** This broker no longer follows the partition. */
  unfollow(partition: Partition): void;
  /** The leader changes the ISR (Kafka's ZooKeeper-era ISR update: a CAS on the partition state). */
  alterIsr(partition: Partition, newIsr: number[]): void;
  /** replica.lag.time.max.ms */
  lagTimeMaxMs: number;
}

/** KIP-890: NONE when the coordinator has the partition in the producer's open transaction, else the produce error. */
export type TransactionVerifier = (
  transactionalId: string | null,
  producerId: number,
  producerEpoch: number,
  topic: string,
  partition: number,
  produceVersion: number,
) => number;

export interface PartitionManagerOptions {
  nodeId: number;
  logManager: LogManager;
  /** The topic's resolved config (the topic manager's cache). */
  topicConfig(topic: string): ResolvedTopicConfig;
  logger: Logger;
  /** Cluster mode: how long a coordinator's acks=all write to this internal topic waits for the ISR (default 5 s). */
  internalWriteTimeoutMs?(topic: string): number;
}

export interface AppendOptions {
  /** Client appends: the Produce request's version and transactional id. */
  produceVersion?: number;
  transactionalId?: string | null;
  /** acks=-1 on a replicated partition: how long to wait for the ISR (the Produce request's timeout). */
  timeoutMs?: number;
  /** Kafka's internalTopicsAllowed: a Produce from client id `__admin_client` (the aggregation stage of another broker) may write broker-owned topics. */
  internalTopicsAllowed?: boolean;
}

/** The leader a NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answer names (KIP-951). */
export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}
/** acks=-1 waits at most this long for the ISR when the caller names no timeout (Kafka's request.timeout.ms default). */
const DEFAULT_REPLICATION_TIMEOUT_MS = 30_000;

/** One partition's answer to an append, in Produce's partition-response terms. */
export interface AppendOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: RecordError[];
  /** NOT_LEADER_OR_FOLLOWER: the leader this broker knows (KIP-951, Produce v10+ currentLeader). */
  currentLeader?: LeaderHint;
  /**
   * Null when nothing was written. Otherwise settles once the append is acknowledged as
   * requiredAcks asks (today: bytes in the OS; with replication, acks=-1 waits for the ISR).
   * On a write failure it first sets errorCode = KAFKA_STORAGE_ERROR and baseOffset = -1 here.
   * Never rejects.
   */
  completion: Promise<void> | null;
}

export interface ReadOptions {
  reader: ReaderKind;
  isolation: IsolationLevel;
  /** -1 when the reader names no epoch. */
  currentLeaderEpoch: number;
  /** KIP-74: return at least one whole batch even beyond maxBytes. */
  minOneMessage: boolean;
  /** Follower fetches: the fetching replica's node id (its fetch offset is its log end offset). */
  replicaId?: number;
  /**
   * KIP-392: set for consumers that sent client metadata (Fetch v11+, '' when no rack). As
   * Kafka's FetchParams.fetchOnlyLeader: such a consumer may read from a follower (up to its HW),
   * and the leader may answer with a preferred read replica instead of records.
   */
  clientRack?: string;
}

export interface PartitionReadResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer;
  /** Null unless read_committed: the aborted transactions overlapping the returned range. */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  leaderId: number;
  leaderEpoch: number;
  /** KIP-392: the replica the consumer should fetch from instead (no records then); absent otherwise. */
  preferredReadReplica?: number;
}

/** What handlers may see of a partition: its replica state, never its log. */
export interface PartitionState {
  readonly topic: string;
  readonly index: number;
  readonly topicId: string;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: number[];
  readonly isr: number[];
}

/** A partition's replica state from the cluster metadata store. */
export interface ClusterPartitionState extends PartitionState {
  readonly partitionEpoch: number;
}

function applyState(p: Partition, s: ClusterPartitionState): void {
  p.leaderId = s.leaderId;
  p.leaderEpoch = s.leaderEpoch;
  p.replicas = s.replicas;
  p.isr = s.isr;
}

/** One log dir as DescribeLogDirs reports it. */
export interface LogDirState {
  dir: string;
  online: boolean;
  partitions: { topic: string; partition: number; size: number; highWatermark: number; logEndOffset: number }[];
}

const EMPTY = Buffer.alloc(0);
const NO_RECORD_ERRORS: RecordError[] = [];
const NO_CLIENT_APPEND_OPTIONS: ClientAppendOptions = {};
/**
 * Coordinator writes wait for the local write only, as they always have here. Kafka's
 * coordinators append with acks=-1; with replication this becomes -1 (and min.insync applies).
 */
const INTERNAL_REQUIRED_ACKS = 1;
/** Replicated coordinator writes wait this long for the ISR unless the broker says otherwise (Kafka's offsets.commit.timeout.ms default). */
const INTERNAL_REPLICATION_TIMEOUT_MS = 5_000;

function appendFailed(errorCode: number, errorMessage: string | null = null, recordErrors: RecordError[] = NO_RECORD_ERRORS): AppendOutcome {
  return { errorCode, errorMessage, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors, completion: null };
}

function readFailed(errorCode: number): PartitionReadResult {
  return { errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY, abortedTransactions: null, leaderId: -1, leaderEpoch: -1 };
}

/** The log's own append error as the Kafka code clients get. */
function logAppendError(error: NonNullable<AppendResult['error']>): number {
  return error === 'RECORD_BATCH_TOO_LARGE' ? ErrorCode.RECORD_LIST_TOO_LARGE : ErrorCode.KAFKA_STORAGE_ERROR;
}

export class PartitionManager implements InternalPartitionAccess, ProducerStateUpkeep {
  /** Long-polling fetches wait here for a partition's high watermark to move. */
  readonly waiters = new AppendWaiters();
  private readonly partitions = new Map<string, Partition>();
  /**
   * Cluster mode only: every partition's replica state as the metadata store has it (leader,
   * epoch, replicas, ISR), hosted here or not; Metadata answers from it and a non-replica is
   * answered NOT_LEADER_OR_FOLLOWER. Empty on a single broker.
   */
  private readonly clusterStates = new Map<string, ClusterPartitionState>();
  private verifyTxn: TransactionVerifier | null = null;
  /** Set once by the broker in cluster mode: partitions lead only when the store says so. */
  clustered = false;
  /** KIP-73 leader-side replication quota (replication-quota.ts); null: never throttled. */
  leaderReplicationQuota: ReplicationQuotaManager | null = null;
  private replication: ReplicationHooks | null = null;
  /** stopReplication ran (crash, shutdown): this broker leads nothing from now on, whatever the store says. */
  private replicationStopped = false;
  private lagTimer: NodeJS.Timeout | null = null;
  /** KIP-392: replica.selector.class with the brokers' racks (cluster mode); null = never redirect. */
  private readReplicas: ReadReplicaSelection | null = null;
  /** KIP-392 counters: consumer reads served here as a follower, redirects issued here as leader. */
  readonly followerReads = newFollowerReadStats();

  constructor(private readonly opts: PartitionManagerOptions) {}

  /** The transaction coordinator is created after this layer (it appends through it). */
  setTransactionVerifier(verify: TransactionVerifier | null): void {
    this.verifyTxn = verify;
  }

  // ---- partition ownership (the topic manager calls these) ----

  /** Opens (or re-configures) the logs of partitions [from, record.partitions) and leads them. */
  async openPartitions(record: TopicRecord, from: number, logConfig: LogConfig, hosted: (p: number) => boolean = () => true): Promise<void> {
    const { logManager, nodeId } = this.opts;
    for (let p = from; p < record.partitions; p++) {
      if (!hosted(p)) continue;
      const open = this.partitions.get(tpKey(record.name, p));
      // Cluster mode: a topic record changed (configs, reassignment) while the partition is hosted.
      if (open && open.topicId === record.id) {
        open.log.updateConfig(logConfig);
        continue;
      }
      let log = logManager.getLog(record.name, p);
      if (log) log.updateConfig(logConfig);
      else log = await logManager.createLog(record.name, p, record.id, logConfig);
      const partition = new Partition(record.name, p, record.id, log, nodeId);
      const known = this.clusterStates.get(tpKey(record.name, p));
      partition.replicated = this.clustered;
      if (known) applyState(partition, known);
      else if (partition.replicated) applyState(partition, { ...partition, leaderId: -1, replicas: [], isr: [], partitionEpoch: -1 });
      log.onHighWatermark = () => this.waiters.notify(record.name, p);
      this.partitions.set(tpKey(record.name, p), partition);
      if (partition.replicated) this.onRoleChange(partition);
    }
  }

  /** Forgets and deletes the logs of partitions [0, count) of `topic`; parked fetches wake up. */
  async deletePartitions(topic: string, count: number): Promise<void> {
    for (let p = 0; p < count; p++) {
      const hosted = this.partitions.get(tpKey(topic, p));
      if (hosted?.replicated) {
        hosted.leaderState?.failAll();
        this.replication?.unfollow(hosted);
      }
      this.partitions.delete(tpKey(topic, p));
      this.clusterStates.delete(tpKey(topic, p));
      await this.opts.logManager.deleteLog(topic, p);
      this.waiters.notify(topic, p);
    }
  }

  /**
   * Cluster mode: this broker is no longer a replica of the partition (a reassignment removed
   * it): its log is deleted; the partition's state stays known (Metadata, leader hints).
   */
  async dropReplica(topic: string, index: number): Promise<void> {
    const key = tpKey(topic, index);
    const hosted = this.partitions.get(key);
    if (!hosted) return;
    hosted.leaderState?.failAll();
    hosted.leaderState = null;
    this.replication?.unfollow(hosted);
    this.partitions.delete(key);
    await this.opts.logManager.deleteLog(topic, index);
    this.waiters.notify(topic, index);
  }

  updateLogConfig(topic: string, count: number, logConfig: LogConfig): void {
    for (let p = 0; p < count; p++) this.partitions.get(tpKey(topic, p))?.log.updateConfig(logConfig);
  }

  /** The replica state of a partition hosted here (undefined when there is none). */
  partition(topic: string, index: number): PartitionState | undefined {
    const key = tpKey(topic, index);
    return this.partitions.get(key) ?? this.clusterStates.get(key);
  }

  /** Cluster mode, lease lost: every partition led here stops being led (NOT_LEADER_OR_FOLLOWER) until the store says otherwise. */
  resignLeadership(): void {
    for (const known of this.clusterStates.values()) {
      if (known.leaderId === this.opts.nodeId) this.applyClusterState({ ...known, leaderId: -1 });
    }
  }

  /**
   * Cluster mode: a topic's assignment (from its topic record). Topic and partition-state events
   * come from separate watches, so a state may have arrived before its topic's replicas.
   */
  setClusterReplicas(topic: string, replicas: number[][]): void {
    for (let i = 0; i < replicas.length; i++) {
      const known = this.clusterStates.get(tpKey(topic, i));
      if (known && known.replicas.join() !== replicas[i]!.join()) this.applyClusterState({ ...known, replicas: replicas[i]! });
    }
  }

  /** Cluster mode: the store's state of a partition (hosted here or not) becomes this broker's view. */
  applyClusterState(state: ClusterPartitionState): void {
    const key = tpKey(state.topic, state.index);
    this.clusterStates.set(key, state);
    const hosted = this.partitions.get(key);
    if (hosted) {
      applyState(hosted, state);
      if (hosted.replicated) this.onRoleChange(hosted);
    }
    // Parked fetches re-check leadership (a leader that lost the partition answers NOT_LEADER_OR_FOLLOWER).
    this.waiters.notify(state.topic, state.index);
  }

  /**
   * The Partition object with its log, for the parts of the broker that manage logs rather than
   * read or write records (tiering, metrics, the legacy coordinator paths until they move onto
   * InternalPartitionAccess). Never for the data path.
   */
  hostedPartition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(tpKey(topic, index));
  }

  // ---- replication (cluster mode) ----

  /** Wires replication in; starts the ISR shrink check (every half of replica.lag.time.max.ms). */
  setReplication(hooks: ReplicationHooks): void {
    this.replication = hooks;
    const every = Math.max(50, Math.floor(hooks.lagTimeMaxMs / 2));
    this.lagTimer = setInterval(() => this.shrinkIsrs(), every);
    this.lagTimer.unref();
  }

  /** KIP-392: the leader redirects consumers that name a rack (replica.selector.class set; null = never). */
  setReadReplicaSelection(selection: ReadReplicaSelection | null): void {
    this.readReplicas = selection;
  }

  stopReplication(): void {
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.lagTimer = null;
    for (const p of this.partitions.values()) {
      p.leaderState?.failAll();
      p.leaderState = null;
      if (p.replicated) this.replication?.unfollow(p);
    }
    this.replication = null;
    this.replicationStopped = true;
  }

  /** After the store changed a hosted partition's state: lead (fresh follower state per epoch) or follow. */
  private onRoleChange(p: Partition): void {
    // A stopped broker takes no new leadership: a late store update must not give it a leader
    // state again, with which it would take writes no follower will fetch (writableLeaderOrError).
    if (this.replicationStopped) return;
    const self = this.opts.nodeId;
    if (p.leaderId === self) {
      if (!p.leaderState || p.leaderState.leaderEpoch !== p.leaderEpoch) {
        p.leaderState?.failAll();
        p.leaderState = new LeaderState(p.leaderEpoch, p.replicas, self, Date.now());
        this.replication?.unfollow(p);
      }
      this.advanceHighWatermark(p);
      return;
    }
    if (p.leaderState) {
      p.leaderState.failAll();
      p.leaderState = null;
    }
    if (p.leaderId >= 0 && p.replicas.includes(self)) this.replication?.follow(p);
    else this.replication?.unfollow(p);
  }

  /** Leader: HW = the lowest log end offset in the ISR; parked acks=all produces below it complete. */
  private advanceHighWatermark(p: Partition): void {
    const st = p.leaderState;
    if (!st) return;
    const log = p.log;
    log.setHighWatermark(st.highWatermark(log.writtenEndOffset, p.isr, this.opts.nodeId));
    st.release(log.highWatermark);
  }

  /** A follower's Fetch: its position, lag clock and (when caught up to the HW) its way back into the ISR. */
  private followerFetched(p: Partition, replicaId: number, fetchOffset: number): void {
    const st = p.leaderState;
    if (!st || !p.replicas.includes(replicaId)) return;
    const f = st.followers.get(replicaId) ?? { leo: -1, caughtUpAtMs: Date.now() };
    f.leo = fetchOffset;
    if (fetchOffset >= p.log.writtenEndOffset) f.caughtUpAtMs = Date.now();
    st.followers.set(replicaId, f);
    this.advanceHighWatermark(p);
    if (!p.isr.includes(replicaId) && fetchOffset >= p.log.highWatermark) {
      this.replication?.alterIsr(p, [...p.isr, replicaId].sort((a, b) => a - b));
    }
  }

  /** Kafka's maybeShrinkIsr: followers not caught up within replica.lag.time.max.ms leave the ISR. */
  private shrinkIsrs(): void {
    const hooks = this.replication;
    if (!hooks) return;
    const now = Date.now();
    for (const p of this.partitions.values()) {
      const st = p.leaderState;
      if (!st) continue;
      const out = p.isr.filter((id) => {
        if (id === this.opts.nodeId) return false;
        const f = st.followers.get(id);
        // Caught up right now counts as caught up (an idle partition has no lag).
        if (f && f.leo >= p.log.writtenEndOffset) return false;
        return !f || now - f.caughtUpAtMs > hooks.lagTimeMaxMs;
      });
      if (out.length > 0) hooks.alterIsr(p, p.isr.filter((id) => !out.includes(id)));
    }
  }

  /**
   * acks=-1 on a replicated partition: the outcome completes once the HW passes the append (every
   * ISR member has it). NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
   * min.insync.replicas meanwhile; REQUEST_TIMED_OUT / NOT_LEADER_OR_FOLLOWER when it never does.
   */
  private awaitReplication(p: Partition, out: AppendOutcome, requiredAcks: number, timeoutMs: number): void {
    const written = out.completion;
    if (!written) return;
    const st = p.leaderState;
    out.completion = written.then(async () => {
      if (out.errorCode !== ErrorCode.NONE) return;
      // Followers parked on this partition may fetch now; the leader's own write may move the HW.
      this.waiters.notify(p.topic, p.index);
      this.advanceHighWatermark(p);
      if (requiredAcks !== -1 || !st) return;
      // Already there (an ISR of this broker alone: the HW moved with the write above) — nothing would release a waiter.
      // Only while this leadership lasts (Kafka's checkEnoughReplicasReachOffset is a leader's check):
      // a deposed leader's HW is a follower's, following another log in which this offset may hold
      // another record (its write may even settle after it was deposed and truncated).
      const reached = p.leaderState === st && (p.log.highWatermark > out.lastOffset || (await st.waitFor(out.lastOffset + 1, timeoutMs)));
      let error: number = ErrorCode.NONE;
      if (p.leaderState !== st) error = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      else if (!reached) error = ErrorCode.REQUEST_TIMED_OUT;
      else if (p.isr.length < this.opts.topicConfig(p.topic).get('min.insync.replicas')) error = ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
      if (error !== ErrorCode.NONE) {
        out.errorCode = error;
        out.baseOffset = -1;
        // Leadership moved while the append waited (failover, controlled shutdown): name the new leader (KIP-951).
        if (error === ErrorCode.NOT_LEADER_OR_FOLLOWER) out.currentLeader = this.leaderHint(p.topic, p.index);
      }
    });
  }

  // ---- leadership ----

  /** UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER, else the partition. */
  private leaderOrError(topic: string, index: number): Partition | number {
    const key = tpKey(topic, index);
    const p = this.partitions.get(key);
    // Cluster mode: a partition this broker does not host is led elsewhere.
    if (!p) return this.clusterStates.has(key) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (p.leaderId !== this.opts.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return p;
  }

  /**
   * As above, for writes. A replicated partition led here without a leader state is on a broker
   * whose replication has stopped (crash, shutdown: the listener still answers until the services
   * are down). Its writes would reach no follower, and an acks=-1 append could not wait for the
   * ISR: it used to be acknowledged at once, then lost with the broker, so an idempotent producer
   * went on to the next sequence and the new leader answered OUT_OF_ORDER_SEQUENCE_NUMBER.
   * Kafka stops processing requests before it stops replicating; here such writes are refused
   * with NOT_LEADER_OR_FOLLOWER and the client retries them on the next leader.
   */
  private writableLeaderOrError(topic: string, index: number): Partition | number {
    const p = this.leaderOrError(topic, index);
    if (typeof p !== 'number' && p.replicated && p.leaderState === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return p;
  }

  /** As above, plus the reader's epoch (KIP-320): -1 means unchecked. */
  private leaderAtEpochOrError(topic: string, index: number, currentLeaderEpoch: number): Partition | number {
    const p = this.leaderOrError(topic, index);
    if (typeof p === 'number' || currentLeaderEpoch === -1 || currentLeaderEpoch === p.leaderEpoch) return p;
    return currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
  }

  /**
   * Kafka's Partition.getLocalLog with requireLeader=false (KIP-392 consumer reads): the epoch is
   * checked first, then any hosted replica will do, leader or follower.
   */
  private replicaAtEpochOrError(topic: string, index: number, currentLeaderEpoch: number): Partition | number {
    const key = tpKey(topic, index);
    const p = this.partitions.get(key);
    // Unreplicated partitions (a single broker, broker-local topics) are read from their leader only, as before.
    if (!p?.replicated) return this.leaderAtEpochOrError(topic, index, currentLeaderEpoch);
    if (currentLeaderEpoch !== -1 && currentLeaderEpoch !== p.leaderEpoch) return currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
    // A hosted partition with no leader (offline) is not served.
    if (p.leaderId < 0) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return p;
  }

  /**
   * Kafka's Partition.appendRecordsToLeader check: acks=-1 needs at least min.insync.replicas in
   * the ISR. The one place it is decided; replication only changes `isr`.
   */
  private notEnoughReplicas(partition: Partition, requiredAcks: number): AppendOutcome | null {
    if (requiredAcks !== -1) return null;
    const minIsr = this.opts.topicConfig(partition.topic).get('min.insync.replicas');
    if (minIsr <= partition.isr.length) return null;
    return appendFailed(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR ${partition.isr.length} is insufficient to satisfy the min.isr requirement`);
  }

  // ---- append ----

  /**
   * Appends to a partition this broker leads. Offsets are assigned synchronously, so appends to
   * one partition land in call order. `records`: for 'client', the Produce request's bytes (any
   * magic, validated here); for 'coordinator' and 'admin', exactly one v2 batch built by the broker.
   */
  append(origin: AppendOrigin, topic: string, index: number, records: Buffer | null, requiredAcks: number, options: AppendOptions = {}): AppendOutcome {
    if (requiredAcks !== 0 && requiredAcks !== 1 && requiredAcks !== -1) return appendFailed(ErrorCode.INVALID_REQUIRED_ACKS);
    const partition = this.writableLeaderOrError(topic, index);
    if (typeof partition === 'number') {
      const failed = appendFailed(partition);
      if (partition === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
        // A stopped broker still named leader by the store does not hint at itself: leader unknown (-1).
        const hint = this.leaderHint(topic, index);
        failed.currentLeader = hint.leaderId === this.opts.nodeId ? { leaderId: -1, leaderEpoch: -1 } : hint;
      }
      return failed;
    }
    if (origin === 'replication') {
      // A leader never takes follower writes; followers arrive with the multi-broker issue.
      return appendFailed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${this.opts.nodeId} leads ${topic}-${index}: replication appends go to followers`);
    }
    if (origin === 'client') {
      // Clients may not write to internal topics; only the coordinators append there.
      if (isBrokerOwnedTopic(topic) && !options.internalTopicsAllowed) return appendFailed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    }
    const short = this.notEnoughReplicas(partition, requiredAcks);
    if (short) return short;
    if (origin === 'client') {
      const out = this.appendClient(partition, records, options.produceVersion ?? 3, options.transactionalId ?? null);
      if (partition.replicated) this.awaitReplication(partition, out, requiredAcks, options.timeoutMs ?? DEFAULT_REPLICATION_TIMEOUT_MS);
      return out;
    }
    if (records === null) return appendFailed(ErrorCode.INVALID_RECORD, 'no records');
    const out = this.guarded(partition, () => appendInternalBatches(partition, records));
    if (partition.replicated) this.awaitReplication(partition, out, requiredAcks, options.timeoutMs ?? DEFAULT_REPLICATION_TIMEOUT_MS);
    return out;
  }

  private appendClient(partition: Partition, records: Buffer | null, produceVersion: number, transactionalId: string | null): AppendOutcome {
    const { topic, index } = partition;
    const checked = validateClientRecords(records, produceVersion, this.opts.topicConfig(topic), topic, index);
    if (!checked.ok) return appendFailed(checked.errorCode, checked.errorMessage, checked.recordErrors);
    const verify = this.verifyTxn;
    const batches = checked.batches;
    // Idempotence and transactions: duplicates get their original offsets, sequence/epoch errors
    // are answered as Kafka does; a producer's first transactional write here is verified with the
    // transaction coordinator (KIP-890). Only a batch with a producer id can need that, so the
    // closure is built for those alone (hot path: no per-request options for plain batches).
    const opts =
      verify && batches.length === 1 && batches[0]!.producerId >= 0
        ? { verifyTxn: (pid: number, epoch: number) => verify(transactionalId, pid, epoch, topic, index, produceVersion) }
        : NO_CLIENT_APPEND_OPTIONS;
    let r: ProducerAppend;
    try {
      r = appendClientRecords(partition.log, checked.data, batches, partition.leaderEpoch, opts);
    } catch (err) {
      return this.appendThrew(partition, err);
    }
    return this.appendSettled(partition, r);
  }

  /** A COMMIT/ABORT control batch, checked against the producer state (stale epochs refused). */
  appendTxnMarker(topic: string, index: number, marker: MarkerSpec): AppendOutcome {
    const partition = this.writableLeaderOrError(topic, index);
    if (typeof partition === 'number') return appendFailed(partition);
    const out = this.guarded(partition, () => appendTxnMarker(partition.log, marker, partition.leaderEpoch));
    // Kafka writes markers with acks=-1: a transaction is complete only once every ISR member has them.
    if (partition.replicated) this.awaitReplication(partition, out, -1, DEFAULT_REPLICATION_TIMEOUT_MS);
    return out;
  }

  /** Runs a producer-state append and turns every way it can fail into a Kafka error code. */
  private guarded(partition: Partition, run: () => ProducerAppend): AppendOutcome {
    let r: ProducerAppend;
    try {
      r = run();
    } catch (err) {
      return this.appendThrew(partition, err);
    }
    return this.appendSettled(partition, r);
  }

  private appendThrew(partition: Partition, err: unknown): AppendOutcome {
    this.opts.logger.error('append failed', { topic: partition.topic, partition: partition.index, error: (err as Error).message });
    return appendFailed(ErrorCode.KAFKA_STORAGE_ERROR);
  }

  /** The outcome of a producer-state append that returned (errors as Kafka codes; a failed write later becomes KAFKA_STORAGE_ERROR). */
  private appendSettled(partition: Partition, r: ProducerAppend): AppendOutcome {
    if (r.errorCode !== ErrorCode.NONE) return appendFailed(r.errorCode, r.errorMessage);
    const result = r.result!;
    if (result.error) return appendFailed(logAppendError(result.error));
    const out: AppendOutcome = {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: result.baseOffset,
      lastOffset: result.lastOffset,
      logAppendTimeMs: result.logAppendTime,
      logStartOffset: result.logStartOffset,
      recordErrors: NO_RECORD_ERRORS,
      completion: null,
    };
    out.completion = result.written.then(undefined, (err: Error) => {
      this.opts.logger.error('write failed', { topic: partition.topic, partition: partition.index, error: err.message });
      out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      out.baseOffset = -1;
    });
    return out;
  }

  // ---- read ----

  /** Whole batches from `fetchOffset`, at most `maxBytes` (see minOneMessage), below the reader's bound. */
  async read(topic: string, index: number, fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<PartitionReadResult> {
    // KIP-392: a consumer with client metadata (Fetch v11+) may read from any replica hosting the
    // partition, with or without a replica selector, as Kafka's ReplicaManager allows
    // (fetchOnlyFromLeader = isFromFollower || (isFromConsumer && clientMetadata.isEmpty)); a
    // follower serves it up to its high watermark (read_committed: its LSO). Only the leader's
    // redirect below needs a selector.
    const anyReplica = opts.reader === 'consumer' && opts.clientRack !== undefined;
    const partition = anyReplica ? this.replicaAtEpochOrError(topic, index, opts.currentLeaderEpoch) : this.leaderAtEpochOrError(topic, index, opts.currentLeaderEpoch);
    if (typeof partition === 'number') {
      const failed = readFailed(partition);
      if (partition === ErrorCode.NOT_LEADER_OR_FOLLOWER || partition === ErrorCode.FENCED_LEADER_EPOCH) Object.assign(failed, this.leaderHint(topic, index));
      return failed;
    }
    const log = partition.log;
    // A Fetch naming a replica id on a partition that is not replicated (a single broker) reads as a consumer.
    const fromWire = opts.reader === 'follower' && opts.replicaId !== undefined;
    const reader = fromWire && !partition.replicated ? 'consumer' : opts.reader;
    if (fromWire && reader === 'follower') this.followerFetched(partition, opts.replicaId!, fetchOffset);
    // KIP-73: a throttled partition's bytes count against the leader's rate; a follower outside the
    // ISR gets none while the rate is above it (Kafka's shouldLeaderThrottle).
    const quota = fromWire && reader === 'follower' ? this.leaderReplicationQuota : null;
    const throttled = quota !== null && quota.isThrottled(topic, index);
    if (throttled && quota.shouldThrottle(topic, index, partition.isr.includes(opts.replicaId!))) {
      return { ...readFailed(ErrorCode.NONE), highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, leaderId: partition.leaderId, leaderEpoch: partition.leaderEpoch };
    }
    const committed = reader === 'consumer' && opts.isolation === 'read_committed';
    if (anyReplica && this.readReplicas && partition.replicated && partition.leaderId === this.opts.nodeId) {
      const preferred = preferredReadReplica(partition, fetchOffset, opts.clientRack!, this.readReplicas, Date.now());
      if (preferred >= 0) {
        this.followerReads.preferredReplicaRedirects++;
        return { ...this.offsetsSnapshot(partition), records: EMPTY, abortedTransactions: null, preferredReadReplica: preferred };
      }
    }
    const maxOffset = reader === 'follower' ? log.logEndOffset : committed ? log.lastStableOffset : log.highWatermark;
    let read;
    try {
      read = await log.read(fetchOffset, maxBytes, maxOffset, opts.minOneMessage);
    } catch (err) {
      this.opts.logger.error('fetch read failed', { topic, partition: index, error: (err as Error).message });
      return readFailed(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    // Damage met by a read answers CORRUPT_MESSAGE (see fetch-reader.ts for why not KAFKA_STORAGE_ERROR).
    if (read.error) return readFailed(ErrorCode[read.error]);
    if (throttled) quota.record(read.records.length);
    if (anyReplica && partition.leaderId !== this.opts.nodeId) {
      this.followerReads.followerReads++;
      this.followerReads.followerReadBytes += read.records.length;
    }
    return {
      errorCode: ErrorCode.NONE,
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: log.logStartOffset,
      records: read.records,
      // read_committed: the aborted transactions overlapping what is returned (from the txn index).
      abortedTransactions: committed ? log.producers.abortedTransactionsForRead(fetchOffset, read.records) : null,
      leaderId: partition.leaderId,
      leaderEpoch: partition.leaderEpoch,
    };
  }

  /**
   * As Kafka's KafkaApis (KIP-951): NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH name the leader
   * this broker knows, so a client can go there without a Metadata round trip.
   */
  private leaderHint(topic: string, index: number): LeaderHint {
    // Cluster mode: a partition not hosted here is known only by its store state.
    const p = this.partitions.get(tpKey(topic, index)) ?? this.clusterStates.get(tpKey(topic, index));
    return p ? { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
  }

  /** A preferred-read-replica answer carries the leader's offsets and no records (Kafka's fetchOffsetSnapshot). */
  private offsetsSnapshot(p: Partition): Omit<PartitionReadResult, 'records' | 'abortedTransactions'> {
    const log = p.log;
    return { errorCode: ErrorCode.NONE, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch };
  }

  // ---- offsets and admin operations ----

  /** ListOffsets for one partition: `target` is a timestamp or one of the special values (offset-lookup.ts). */
  async fetchOffsetForTimestamp(topic: string, index: number, target: number, isolation: IsolationLevel, currentLeaderEpoch: number, remoteTimeoutMs: number): Promise<OffsetLookupResult> {
    const partition = this.leaderAtEpochOrError(topic, index, currentLeaderEpoch);
    if (typeof partition === 'number') return offsetLookupError(partition);
    const upper = isolation === 'read_committed' ? partition.log.lastStableOffset : partition.log.highWatermark;
    return lookupOffset(partition, target, upper, remoteTimeoutMs);
  }

  /** OffsetForLeaderEpoch: (epoch, end offset), or (-1, -1) when the epoch is unknown. */
  lastOffsetForLeaderEpoch(topic: string, index: number, requestedEpoch: number, currentLeaderEpoch: number): { errorCode: number; epoch: number; endOffset: number } {
    const partition = this.leaderAtEpochOrError(topic, index, currentLeaderEpoch);
    if (typeof partition === 'number') return { errorCode: partition, epoch: -1, endOffset: -1 };
    return { errorCode: ErrorCode.NONE, ...endOffsetForEpoch(partition, requestedEpoch) };
  }

  /**
   * DeleteRecords (Kafka's Partition.deleteRecordsOnLeader): `offset` -1 means the HW; beyond
   * the HW is OFFSET_OUT_OF_RANGE; topics without cleanup.policy=delete answer POLICY_VIOLATION.
   */
  async deleteRecordsBefore(topic: string, index: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    const partition = this.leaderOrError(topic, index);
    if (typeof partition === 'number') return { errorCode: partition, lowWatermark: -1 };
    if (!this.opts.topicConfig(topic).get('cleanup.policy').includes('delete')) return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1 };
    const log = partition.log;
    if (offset !== -1 && (offset < 0 || offset > log.highWatermark)) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    try {
      const lowWatermark = await log.deleteRecordsBefore(offset);
      this.opts.logger.info('records deleted', { topic, partition: index, logStartOffset: lowWatermark });
      return { errorCode: ErrorCode.NONE, lowWatermark };
    } catch (err) {
      if (err instanceof LogError) return { errorCode: ErrorCode[err.code], lowWatermark: -1 };
      this.opts.logger.error('delete records failed', { topic, partition: index, error: (err as Error).message });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    }
  }

  /** Makes moved log start offsets durable now (after DeleteRecords), not at the next periodic checkpoint. */
  checkpoint(): Promise<void> {
    return this.opts.logManager.checkpoint();
  }

  /** DescribeProducers: the active producers of a partition this broker leads. */
  describeProducers(topic: string, index: number): { errorCode: number; activeProducers: ReturnType<Partition['log']['producers']['describe']> } {
    const partition = this.leaderOrError(topic, index);
    if (typeof partition === 'number') return { errorCode: partition, activeProducers: [] };
    return { errorCode: ErrorCode.NONE, activeProducers: partition.log.producers.describe() };
  }

  /** Producer-id expiration and index pruning over every local log (ProducerStateUpkeep). */
  expireProducers(now: number, expirationMs: number): number {
    return runProducerMaintenance(this.opts.logManager.allLogs(), now, expirationMs);
  }

  /** DescribeLogDirs: every log dir with the partitions it holds. */
  describeLogDirs(): LogDirState[] {
    return this.opts.logManager.describeLogDirs().map((d) => ({
      dir: d.dir,
      online: d.online,
      partitions: d.logs.map((log) => ({ topic: log.topic, partition: log.partition, size: log.size(), highWatermark: log.highWatermark, logEndOffset: log.logEndOffset })),
    }));
  }

  // ---- InternalPartitionAccess (coordinators, aggregation stage) ----

  // appendInternal / appendMarker append in the caller's synchronous stretch and return one promise
  // (no async frames: each transaction makes three of these calls). They never reject.
  appendInternal(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult> {
    try {
      // Replicated (cluster mode): acks=-1 as Kafka's coordinators, waiting for the ISR (min.insync applies).
      const replicated = this.partitions.get(tpKey(tp.topic, tp.partition))?.replicated === true;
      const acks = replicated ? -1 : INTERNAL_REQUIRED_ACKS;
      return internalResult(this.append('coordinator', tp.topic, tp.partition, records, acks, replicated ? { timeoutMs: this.opts.internalWriteTimeoutMs?.(tp.topic) ?? INTERNAL_REPLICATION_TIMEOUT_MS } : NO_APPEND_OPTIONS));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult> {
    try {
      return internalResult(this.appendTxnMarker(tp.topic, tp.partition, marker));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async readInternal(tp: TopicPartition, fetchOffset: number, maxBytes: number): Promise<InternalReadResult> {
    const r = await this.read(tp.topic, tp.partition, fetchOffset, maxBytes, INTERNAL_READ);
    return { errorCode: r.errorCode, records: r.records, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
  }

  offsets(tp: TopicPartition): PartitionOffsets | undefined {
    const p = this.partitions.get(tpKey(tp.topic, tp.partition));
    if (!p) return undefined;
    return { logStartOffset: p.log.logStartOffset, highWatermark: p.log.highWatermark, logEndOffset: p.log.logEndOffset, leaderEpoch: p.leaderEpoch };
  }
}

/**
 * Batches built by a coordinator: one batch with a producer id (TxnOffsetCommit) is checked
 * against that producer's epoch; batches without one go straight to the log.
 */
function appendInternalBatches(partition: Partition, records: Buffer): ProducerAppend {
  const scan = scanBatches(records, 0, records.length, false);
  if (scan.error !== null || scan.batches.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'internal append: not whole record batches', result: null, duplicate: false };
  if (scan.batches.length === 1) return appendCoordinatorBatch(partition.log, records, partition.leaderEpoch, Date.now(), scan);
  if (scan.batches.some((b) => b.producerId >= 0)) {
    return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'a coordinator batch with a producer id must be appended alone', result: null, duplicate: false };
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, result: partition.log.append(records, scan.batches, partition.leaderEpoch), duplicate: false };
}

const INTERNAL_READ: ReadOptions = { reader: 'internal', isolation: 'read_uncommitted', currentLeaderEpoch: -1, minOneMessage: true };

const NO_APPEND_OPTIONS: AppendOptions = {};

/** The result once the write settled: one reaction on the write's completion, none when there is nothing to wait for. */
function internalResult(out: AppendOutcome): Promise<InternalAppendResult> {
  return out.completion ? out.completion.then(() => settledResult(out)) : Promise.resolve(settledResult(out));
}

function settledResult(out: AppendOutcome): InternalAppendResult {
  if (out.errorCode !== ErrorCode.NONE) {
    return out.errorMessage === null ? { errorCode: out.errorCode, baseOffset: -1, lastOffset: -1 } : { errorCode: out.errorCode, baseOffset: -1, lastOffset: -1, errorMessage: out.errorMessage };
  }
  return { errorCode: ErrorCode.NONE, baseOffset: out.baseOffset, lastOffset: out.lastOffset };
}

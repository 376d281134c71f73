// The transaction coordinator: every transactional id of the cluster (this broker owns all the
// __transaction_state partitions), persisted in __transaction_state and recovered by replay.
//
// It runs on the coordinator runtime (src/coordinator/runtime/): each __transaction_state
// partition is loaded (replayed) and can be unloaded at run time; an id whose partition is
// loading answers COORDINATOR_LOAD_IN_PROGRESS, one whose partition is unloaded NOT_COORDINATOR.
//
// Lifecycle (Broker.start / Broker.close):
//   const tc = await createTransactionCoordinator(runtime, deps)  // after logs load, before listening
//   await tc.startup()    // loads __transaction_state, resumes Prepare* transactions, timers
//   ... handlers call the methods below; runtime.load/unload(TXN_STATE_TOPIC, p) on failover ...
//   await tc.shutdown()   // before the logs close; Prepare* transactions resume at next start
//
// See txn-states.ts for the state machine, txn-init.ts / txn-partitions.ts / txn-end.ts for the
// request flows and txn-offsets.ts for TxnOffsetCommit.
import path from 'node:path';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ConfigGetter } from '../common/config-getter.js';
import { TXN_STATE_TOPIC, txnStateTopicSpec } from '../common/internal-topics.js';
import type { CoordinatorRuntime, CoordinatorShard } from '../runtime/coordinator-runtime.js';
import { ProducerIdManager, PRODUCER_IDS_FILE } from './producer-ids.js';
import type { ProducerStateUpkeep } from '../../cluster/partition-api.js';
import { readTxnConfig } from './txn-config.js';
import type { CoordinatorRecordLog } from '../runtime/record-log.js';
import { TxnCore, type TxnCoreOptions, type TxnPartitionWrites } from './txn-core.js';
import { abortTimedOutTransactions, completeTransaction, endTxn, endTxnV2, removeExpiredTransactionalIds, type EndTxnV2Result } from './txn-end.js';
import { initProducerId, type InitProducerIdResult } from './txn-init.js';
import { TxnMetadata } from './txn-metadata.js';
import { TxnOffsets, type GroupCoordinatorLookup } from './txn-offsets.js';
import { addOffsets, addPartitions, verifyOne, verifyPartitions, type TopicPartitionRef } from './txn-partitions.js';
import { decodeTxnLogKey, decodeTxnLogValue, type TxnLogValue } from './txn-records.js';
import { ALL_TXN_STATES, isPreparing, type TxnState } from './txn-states.js';

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: number;
  transactionState: string;
}

export interface TransactionCoordinatorOptions extends Omit<TxnCoreOptions, 'onOffsetsMarker'> {
  /** The partition layer's producer-state upkeep (producer-id expiration and index pruning). */
  producerUpkeep?: ProducerStateUpkeep;
  /** The group coordinator, when the broker runs one (TxnOffsetCommit). */
  groups?: GroupCoordinatorLookup;
  /** Cluster mode: startup loads nothing; the runtime loads the partitions this broker leads. */
  followLeadership?: boolean;
  /** Cluster mode: the inter-broker channel (markers, Produce v12's remote add), closed at shutdown. */
  markerChannel?: InterBrokerTxnChannel | undefined;
}

/** Cluster mode: what the coordinator asks of other brokers (src/cluster/txn-marker-sender.ts). */
export interface InterBrokerTxnChannel {
  addPartitionsToTxn?(txnPartition: number, txn: { transactionalId: string; producerId: number; producerEpoch: number; parts: readonly TopicPartitionRef[] }): Promise<number>;
  /** KIP-890 verification at the coordinator: its answer per "topic\0partition". */
  verifyPartitionsInTxn?(txnPartition: number, txn: { transactionalId: string; producerId: number; producerEpoch: number; parts: readonly TopicPartitionRef[] }): Promise<Map<string, number>>;
  close(): void;
}

export class TransactionCoordinator implements CoordinatorShard {
  readonly core: TxnCore;
  readonly offsets: TxnOffsets;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    this.offsets = new TxnOffsets(opts.groups ?? (() => undefined));
    this.core = new TxnCore({ ...opts, onOffsetsMarker: (p, pid, committed) => this.offsets.onMarker(p, pid, committed) });
    this.offsets.attach(this.core);
  }

  get isActive(): boolean {
    return this.core.active;
  }

  /** Cluster mode: this broker coordinates only the ids of the __transaction_state partitions it leads. */
  get followsLeadership(): boolean {
    return this.opts.followLeadership === true;
  }

  async startup(): Promise<void> {
    this.core.active = true; // ids of partitions still loading answer COORDINATOR_LOAD_IN_PROGRESS
    // Cluster mode: the (lazily created) topic's partitions are loaded one by one as this broker
    // becomes their leader; ids of partitions it does not lead answer NOT_COORDINATOR.
    if (this.opts.followLeadership) this.core.log = await this.core.opts.openLog(false);
    const loaded = this.opts.followLeadership ? 0 : await this.load();
    for (const md of this.core.txns.values()) if (isPreparing(md.state)) void completeTransaction(this.core, md);
    const cfg = this.core.config;
    this.every(cfg.abortTimedOutIntervalMs, () => abortTimedOutTransactions(this.core));
    this.every(cfg.removeExpiredIntervalMs, () => removeExpiredTransactionalIds(this.core));
    const upkeep = this.opts.producerUpkeep;
    if (upkeep) this.every(cfg.producerIdExpirationCheckIntervalMs, () => upkeep.expireProducers(this.core.now(), cfg.producerIdExpirationMs));
    this.core.logger.info('transaction coordinator started', { transactionalIds: loaded });
  }

  async shutdown(): Promise<void> {
    this.core.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await this.core.drain();
    this.opts.markerChannel?.close();
    this.core.active = false;
    this.core.states.clear();
  }

  /**
   * The runtime's load (failover made this broker leader of __transaction_state-`partition`):
   * replays it, then resumes its Prepare* transactions as startup does.
   */
  async loadPartition(partition: number, ready?: () => Promise<boolean>): Promise<void> {
    const log = this.core.log;
    if (log && (!Number.isInteger(partition) || partition < 0 || partition >= log.numPartitions)) throw new RangeError(`no partition ${partition} of ${TXN_STATE_TOPIC}`);
    // No topic yet (created, all partitions loaded, on the first transactional InitProducerId), or not running.
    if (!log || !this.core.active || this.core.stopping) return;
    let maxPid = -1;
    const loaded = await this.core.states.load(partition, async () => {
      if (ready && !(await ready())) return false;
      maxPid = await this.replayPartition(log, partition);
      return true;
    });
    if (!loaded) return;
    if (maxPid >= 0) await this.core.opts.producerIds.ensureAbove(maxPid);
    for (const md of this.core.txns.values()) {
      if (isPreparing(md.state) && this.core.partitionFor(md.transactionalId) === partition) void completeTransaction(this.core, md);
    }
    this.core.logger.info('loaded __transaction_state partition', { partition });
  }

  /** The runtime's unload: the partition's ids leave memory; their marker loops stop (the next owner resumes them). */
  async unloadPartition(partition: number): Promise<void> {
    if (!this.core.states.unload(partition)) return;
    let ids = 0;
    for (const md of [...this.core.txns.values()]) {
      if (this.core.partitionFor(md.transactionalId) !== partition) continue;
      this.core.forget(md);
      ids++;
    }
    this.core.logger.info('unloaded __transaction_state partition', { partition, transactionalIds: ids });
  }

  private every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        this.core.logger.error('transaction coordinator task failed', { err: String(e) });
      }
    }, Math.min(ms, 2 ** 31 - 1));
    t.unref?.();
    this.timers.push(t);
  }

  /** Loads every __transaction_state partition (if the topic exists): the last record per transactional id wins. */
  private async load(): Promise<number> {
    const log = await this.core.opts.openLog(false);
    if (!log) return 0;
    this.core.log = log;
    let maxPid = -1;
    for (let p = 0; p < log.numPartitions; p++) {
      await this.core.states.load(p, async () => {
        maxPid = Math.max(maxPid, await this.replayPartition(log, p));
      });
    }
    // Should the producer-id file be lost, ids already in use are still never handed out again.
    if (maxPid >= 0) await this.core.opts.producerIds.ensureAbove(maxPid);
    return this.core.txns.size;
  }

  /** Replays one partition into `core.txns`; returns the highest producer id seen (-1: none). */
  private async replayPartition(log: CoordinatorRecordLog, partition: number): Promise<number> {
    let maxPid = -1;
    let skipped = 0;
    const latest = new Map<string, TxnLogValue | null>();
    await log.replay(partition, (rec) => {
      try {
        const id = decodeTxnLogKey(rec.key);
        if (id !== null) latest.set(id, rec.value === null ? null : decodeTxnLogValue(rec.value));
      } catch {
        skipped++;
      }
    });
    for (const [id, v] of latest) {
      if (v === null || v.state === 'Dead') continue;
      this.core.txns.set(id, TxnMetadata.fromLog(id, v));
      if (v.producerId > maxPid) maxPid = v.producerId;
    }
    if (skipped > 0) this.core.logger.warn('skipped undecodable __transaction_state records', { partition, count: skipped });
    return maxPid;
  }

  // ---- requests ----------------------------------------------------------------------------------

  initProducerId(transactionalId: string | null, timeoutMs: number, producerId = -1, producerEpoch = -1): Promise<InitProducerIdResult> {
    return initProducerId(this.core, transactionalId, timeoutMs, producerId, producerEpoch);
  }

  /** `clientTransactionVersion` 2: added by Produce v12 / TxnOffsetCommit v5 on the producer's behalf. */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, parts: TopicPartitionRef[], clientTransactionVersion?: number): Promise<number> {
    return addPartitions(this.core, transactionalId, producerId, producerEpoch, parts, clientTransactionVersion);
  }

  /**
   * Produce v12's implicit add (transactions v2). Cluster mode: a producer coordinated by another
   * broker has its partitions added there (AddPartitionsToTxn v5 over the inter-broker channel).
   */
  async addPartitionsForProduce(transactionalId: string, producerId: number, producerEpoch: number, parts: TopicPartitionRef[]): Promise<number> {
    const code = await this.addPartitions(transactionalId, producerId, producerEpoch, parts, 2);
    const channel = this.opts.markerChannel;
    if (code !== ErrorCode.NOT_COORDINATOR || !this.followsLeadership || !channel?.addPartitionsToTxn) return code;
    return channel.addPartitionsToTxn(this.core.partitionFor(transactionalId), { transactionalId, producerId, producerEpoch, parts });
  }

  /**
   * Cluster mode, Produce before v12: partitions a transactional producer starts writing to on
   * this leader are verified at its coordinator when that is another broker (the append path's
   * own check, verifyForProduce, can only ask the local coordinator). Null when the coordinator
   * is this broker or verification is off (the append path checks); else the code per "topic\0partition".
   */
  async verifyAtRemoteCoordinator(transactionalId: string, producerId: number, producerEpoch: number, parts: TopicPartitionRef[]): Promise<Map<string, number> | null> {
    const channel = this.opts.markerChannel;
    if (!this.followsLeadership || !this.core.config.partitionVerification || !channel?.verifyPartitionsInTxn) return null;
    if (this.core.unavailable(transactionalId) !== ErrorCode.NOT_COORDINATOR) return null;
    return channel.verifyPartitionsInTxn(this.core.partitionFor(transactionalId), { transactionalId, producerId, producerEpoch, parts });
  }

  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, parts: TopicPartitionRef[]): { errorCode: number; partitions: number[] } {
    return verifyPartitions(this.core, transactionalId, producerId, producerEpoch, parts);
  }

  /** KIP-890 check of the produce path; NONE when the partition is in the producer's open transaction. */
  verifyForProduce(transactionalId: string | null, producerId: number, producerEpoch: number, topic: string, partition: number): number {
    return verifyOne(this.core, transactionalId, producerId, producerEpoch, topic, partition);
  }

  addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
    return addOffsets(this.core, transactionalId, producerId, producerEpoch, groupId);
  }

  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    return endTxn(this.core, transactionalId, producerId, producerEpoch, commit);
  }

  /** EndTxn v5 (transaction version 2): the epoch is bumped; the answer carries the next id and epoch. */
  endTxnV2(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<EndTxnV2Result> {
    return endTxnV2(this.core, transactionalId, producerId, producerEpoch, commit);
  }

  // ---- admin -------------------------------------------------------------------------------------

  describe(transactionalIds: string[]): DescribedTransaction[] {
    return transactionalIds.map((transactionalId) => {
      const unavailable = this.core.unavailable(transactionalId);
      const md = unavailable === null ? this.core.txns.get(transactionalId) : undefined;
      if (!md) {
        return {
          errorCode: unavailable ?? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
          transactionalId,
          transactionState: '',
          transactionTimeoutMs: 0,
          transactionStartTimeMs: -1,
          producerId: -1,
          producerEpoch: -1,
          topics: [],
        };
      }
      return {
        errorCode: 0,
        transactionalId,
        transactionState: md.state,
        transactionTimeoutMs: md.timeoutMs,
        transactionStartTimeMs: md.startTimestamp,
        producerId: md.producerId,
        producerEpoch: md.producerEpoch,
        topics: md.partitionList().map((t) => ({ topic: t.topic, partitions: t.partitions })),
      };
    });
  }

  /** ListTransactions: state names, producer ids and (v1) minimum running time filter; empty filters match all. */
  list(stateFilters: string[], producerIdFilters: number[], durationFilterMs = -1): { errorCode: number; unknownStateFilters: string[]; transactions: ListedTransaction[] } {
    const unavailable = this.core.unavailable();
    if (unavailable !== null) return { errorCode: unavailable, unknownStateFilters: [], transactions: [] };
    const known = new Set<string>(ALL_TXN_STATES);
    const unknownStateFilters = stateFilters.filter((s) => !known.has(s));
    const states = new Set(stateFilters.filter((s) => known.has(s)) as TxnState[]);
    if (stateFilters.length > 0 && states.size === 0) return { errorCode: 0, unknownStateFilters, transactions: [] };
    const pids = new Set(producerIdFilters);
    const now = this.core.now();
    const transactions: ListedTransaction[] = [];
    for (const md of this.core.txns.values()) {
      if (states.size > 0 && !states.has(md.state)) continue;
      if (pids.size > 0 && !pids.has(md.producerId)) continue;
      if (durationFilterMs >= 0 && (md.state !== 'Ongoing' || now - md.startTimestamp < durationFilterMs)) continue;
      transactions.push({ transactionalId: md.transactionalId, producerId: md.producerId, transactionState: md.state });
    }
    return { errorCode: 0, unknownStateFilters, transactions };
  }

  /** Runs the timeout check now (also on its timer). */
  abortTimedOut(): number {
    return abortTimedOutTransactions(this.core);
  }

  /** Runs the transactional id expiration now (also on its timer). */
  removeExpired(): number {
    return removeExpiredTransactionalIds(this.core);
  }
}

export interface TxnCoordinatorDeps {
  config: ConfigGetter;
  /** Cluster mode: this broker's id (producer ids come from its own range). */
  nodeId?: number;
  /** Cluster mode: marker writes routed to each partition's leader (closed at shutdown). */
  markers?: InterBrokerTxnChannel & Pick<TxnPartitionWrites, 'appendMarker' | 'partitionKnown'>;
  /** The first log directory (the producer-id block file lives there). */
  logDir: string;
  /** __consumer_offsets partition count (AddOffsetsToTxn, before the group coordinator answers). */
  offsetsPartitions(): number;
  /** The partition layer's producer-state upkeep (producer-id expiration and index pruning). */
  producerUpkeep: ProducerStateUpkeep;
  /** The group coordinator (TxnOffsetCommit), through the narrow interface it implements. */
  groups: GroupCoordinatorLookup;
  logger: TxnCoreOptions['logger'];
}

/**
 * Builds the broker's transaction coordinator over __transaction_state (opened through the
 * runtime, created on the first transactional InitProducerId) and registers it with the runtime.
 * Call startup() next.
 */
export async function createTransactionCoordinator(runtime: CoordinatorRuntime, deps: TxnCoordinatorDeps): Promise<TransactionCoordinator> {
  const config = readTxnConfig(deps.config);
  const producerIds = await ProducerIdManager.load(path.join(deps.logDir, PRODUCER_IDS_FILE), deps.nodeId);
  const tc = new TransactionCoordinator({
    config,
    producerIds,
    openLog: (create) =>
      runtime.open(runtime.clustered ? txnStateTopicSpec(config.numPartitions, config.segmentBytes, config.replicationFactor, config.minIsr) : txnStateTopicSpec(config.numPartitions, config.segmentBytes), create),
    followLeadership: runtime.clustered,
    // Cluster mode: markers for partitions led elsewhere go to their leaders (WriteTxnMarkers).
    partitions: deps.markers
      ? { appendInternal: (tp, r) => runtime.access.appendInternal(tp, r), appendMarker: deps.markers.appendMarker, partitionKnown: deps.markers.partitionKnown }
      : runtime.access,
    markerChannel: deps.markers,
    offsetsPartitions: deps.offsetsPartitions,
    producerUpkeep: deps.producerUpkeep,
    groups: deps.groups,
    logger: deps.logger,
  });
  runtime.register(TXN_STATE_TOPIC, tc);
  return tc;
}

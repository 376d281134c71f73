// The transaction coordinator's shared state (Kafka's TransactionStateManager): the transactional
// ids it owns, the __transaction_state log, and the one way a transition becomes real —
// persist(): write the record, then apply it (or drop it if the write failed).
//
// Everything runs on the event loop with no await between a check and the prepareTransition that
// marks the id busy, which gives the atomicity Kafka gets from its per-id lock.
import { ErrorCode } from '../../../protocol/errors.js';
import type { InternalPartitionAccess } from '../../cluster/partition-api.js';
import type { Logger } from '../../logging/logger.js';
import { partitionForTxn } from '../common/partition-for.js';
import { PartitionStates } from '../runtime/partition-states.js';
import type { CoordinatorRecordLog } from '../runtime/record-log.js';
import { coordinatorWriteError } from '../runtime/write-errors.js';
import type { ProducerIdManager } from './producer-ids.js';
import type { TxnCoordinatorConfig } from './txn-config.js';
import type { TxnMetadata, TxnTransit } from './txn-metadata.js';
import { encodeTxnLogKey, encodeTxnLogValue } from './txn-records.js';

export type TxnLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Where markers (transaction end) and TxnOffsetCommit batches are appended: the partition layer. */
export type TxnPartitionWrites = Pick<InternalPartitionAccess, 'appendMarker' | 'appendInternal'> & {
  /**
   * Cluster mode: whether the metadata still has this partition (its topic is not deleted). A
   * marker answered UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata has is retried — the
   * leader has not loaded it yet (a restarted broker) — as Kafka's TransactionMarkerRequestCompletionHandler
   * does; only a partition the metadata lost is dropped from the transaction. Absent (one broker):
   * UNKNOWN_TOPIC_OR_PARTITION means the topic is gone.
   */
  partitionKnown?(tp: { topic: string; partition: number }): boolean;
};

export interface TxnCoreOptions {
  config: TxnCoordinatorConfig;
  /** Opens __transaction_state; with `create`, creates it when missing. */
  openLog(create: boolean): Promise<CoordinatorRecordLog | null>;
  producerIds: ProducerIdManager;
  /** Markers and transactional offset batches go through the partition layer. */
  partitions: TxnPartitionWrites;
  /** Number of __consumer_offsets partitions (AddOffsetsToTxn adds the group's partition). */
  offsetsPartitions(): number;
  /** A COMMIT/ABORT marker reached __consumer_offsets-`partition`: pending transactional offsets resolve. */
  onOffsetsMarker?(partition: number, producerId: number, committed: boolean): void;
  logger: TxnLogger;
  now?: () => number;
}

export class TxnCore {
  readonly txns = new Map<string, TxnMetadata>();
  /** Replay of __transaction_state done: requests are served. */
  active = false;
  /** Set by shutdown: background marker/completion loops stop (the Prepare* state stays on disk). */
  stopping = false;
  log: CoordinatorRecordLog | null = null;
  /** Which __transaction_state partitions are loaded here (the runtime loads and unloads them). */
  readonly states = new PartitionStates();
  private opening: Promise<CoordinatorRecordLog> | null = null;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(readonly opts: TxnCoreOptions) {}

  get config(): TxnCoordinatorConfig {
    return this.opts.config;
  }

  get logger(): TxnLogger {
    return this.opts.logger;
  }

  now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** __transaction_state, created on first use. */
  ensureLog(): Promise<CoordinatorRecordLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= this.opts.openLog(true).then(async (l) => {
      if (!l) throw new Error('__transaction_state could not be created');
      // Just created: every partition is empty, so loading it is immediate.
      for (let p = 0; p < l.numPartitions; p++) await this.states.load(p, async () => {});
      this.log = l;
      return l;
    });
    this.opening.catch(() => (this.opening = null));
    return this.opening;
  }

  partitionFor(transactionalId: string): number {
    return partitionForTxn(transactionalId, this.log?.numPartitions ?? this.config.numPartitions);
  }

  coordinatorEpochFor(transactionalId: string): number {
    return this.log?.coordinatorEpoch ? this.log.coordinatorEpoch(this.partitionFor(transactionalId)) : 0;
  }

  /**
   * Writes `t` (prepared on `md`) to __transaction_state and applies it once written; on failure
   * the id is left as it was. Resolves with a client-facing error code; never rejects.
   */
  persist(md: TxnMetadata, t: TxnTransit): Promise<number> {
    // With the log open (every request but the first transactional InitProducerId) the record is
    // appended in this synchronous stretch, so its offset follows the caller's check and
    // prepareTransition directly; one promise chain per write, no async frames around it (this
    // runs two or three times per transaction).
    const log = this.log;
    const written = log ? this.appendState(log, md, t) : this.ensureLog().then((l) => this.appendState(l, md, t));
    const run: Promise<number> = written.then(
      (code) => this.applyWritten(md, t, code, run),
      (e: unknown) => {
        this.logger.error('transaction state write failed', { transactionalId: md.transactionalId, err: String(e) });
        return this.applyWritten(md, t, ErrorCode.COORDINATOR_NOT_AVAILABLE, run);
      },
    );
    this.writing.set(md, run);
    this.track(run);
    return run;
  }

  private appendState(log: CoordinatorRecordLog, md: TxnMetadata, t: TxnTransit): Promise<number> {
    try {
      const value = t.state === 'Dead' ? null : encodeTxnLogValue(md.toLogValue(t));
      return log.append(this.partitionFor(md.transactionalId), [{ key: (md.logKey ??= encodeTxnLogKey(md.transactionalId)), value }]).then(coordinatorWriteError);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Applies `t` once written (or drops it); the client-facing code. */
  private applyWritten(md: TxnMetadata, t: TxnTransit, code: number, run: Promise<number>): number {
    if (this.writing.get(md) === run) this.writing.delete(md);
    if (code === ErrorCode.NONE) {
      md.completeTransition(t);
      md.unpersisted = false; // the record just written carries the whole state
      if (t.state === 'Dead' && this.txns.get(md.transactionalId) === md) this.txns.delete(md.transactionalId);
    } else {
      md.abortTransition();
    }
    return code;
  }

  /** The transition of `md` being written, if any (see persist). */
  private readonly writing = new WeakMap<TxnMetadata, Promise<number>>();

  /** Resolves once the transition of `md` in progress, if any, is written or has failed. */
  async writeInProgress(md: TxnMetadata): Promise<void> {
    const w = this.writing.get(md);
    if (w) await w;
  }

  /**
   * Writes the current (already applied) state of `md` unless a newer transition was applied
   * since `version` — its own record then carries the state. Used for the deferred Complete*.
   */
  async writeApplied(md: TxnMetadata, version: number): Promise<void> {
    // Check and append in one synchronous stretch: the append assigns the record's offset, so it
    // lands before any later transition's record (replay keeps the last record per id).
    const log = this.log;
    if (!log || md.version !== version || !md.unpersisted || md.pending || !this.owns(md)) return;
    md.unpersisted = false;
    const current: TxnTransit = {
      producerId: md.producerId,
      lastProducerId: md.lastProducerId,
      producerEpoch: md.producerEpoch,
      lastProducerEpoch: md.lastProducerEpoch,
      timeoutMs: md.timeoutMs,
      state: md.state,
      partitions: md.partitions,
      startTimestamp: md.startTimestamp,
      lastUpdateTimestamp: md.lastUpdateTimestamp,
      nextProducerId: md.nextProducerId,
      clientTransactionVersion: md.clientTransactionVersion,
    };
    const record = { key: (md.logKey ??= encodeTxnLogKey(md.transactionalId)), value: encodeTxnLogValue(md.toLogValue(current)) };
    const code = await log.append(this.partitionFor(md.transactionalId), [record]);
    if (code !== ErrorCode.NONE) this.logger.warn('deferred transaction state write failed', { transactionalId: md.transactionalId, error: code });
  }

  /**
   * Deferred writes, in due order (one delay for all, so insertion order is due order), served by
   * one timer: a transaction end costs a map entry, not a timer of its own.
   */
  private readonly deferred = new Map<TxnMetadata, { version: number; due: number }>();
  private deferTimer: NodeJS.Timeout | null = null;

  /** Writes the applied state of `md` after `delayMs` (writeApplied), or at shutdown, whichever comes first. */
  deferWrite(md: TxnMetadata, delayMs: number): void {
    this.deferred.delete(md); // re-inserted last: due order
    this.deferred.set(md, { version: md.version, due: Date.now() + delayMs });
    if (!this.deferTimer) this.armDeferTimer(delayMs);
  }

  private armDeferTimer(ms: number): void {
    this.deferTimer = setTimeout(() => {
      this.deferTimer = null;
      this.writeDue();
    }, ms);
    this.deferTimer.unref?.();
  }

  private writeDue(): void {
    const now = Date.now();
    for (const [md, d] of this.deferred) {
      if (d.due > now) return this.armDeferTimer(d.due - now);
      this.deferred.delete(md);
      void this.track(this.writeApplied(md, d.version));
    }
  }

  /** Writes every deferred state now (clean shutdown: the next start has nothing to redo). */
  flushDeferred(): void {
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = null;
    for (const md of this.deferred.keys()) void this.track(this.writeApplied(md, md.version));
    this.deferred.clear();
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const forget = () => void this.inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  async drain(): Promise<void> {
    this.flushDeferred();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * The error for a request while the coordinator cannot serve (null: it can): shutting down,
   * still starting, or — for `transactionalId` — its __transaction_state partition loading
   * (COORDINATOR_LOAD_IN_PROGRESS) or unloaded (NOT_COORDINATOR). Before the topic exists every
   * id is served (it is created on the first transactional InitProducerId).
   */
  unavailable(transactionalId?: string): number | null {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    if (!this.active) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (transactionalId === undefined || !this.log) return null;
    const code = this.states.errorFor(this.partitionFor(transactionalId));
    return code === ErrorCode.NONE ? null : code;
  }

  /** Whether `md` is still the live state of its id (false once its partition was unloaded). */
  owns(md: TxnMetadata): boolean {
    return this.txns.get(md.transactionalId) === md;
  }

  /** Forgets `md` (its partition was unloaded): a pending deferred write is dropped, not written. */
  forget(md: TxnMetadata): void {
    if (this.txns.get(md.transactionalId) === md) this.txns.delete(md.transactionalId);
    this.deferred.delete(md);
  }

  /** Finds the transactional id a producer id currently belongs to (produce without a transactional id). */
  byProducerId(producerId: number): TxnMetadata | undefined {
    for (const md of this.txns.values()) if (md.producerId === producerId) return md;
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    t.unref?.();
  });
}

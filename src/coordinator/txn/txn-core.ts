// The transaction coordinator's shared state (Kafka's TransactionStateManager): the transactional
// ids it owns, the __transaction_state log, and the one way a transition becomes real —
// persist(): write the record, then apply it (or drop it if the write failed).
//
// Everything runs on the event loop with no await between a check and the prepareTransition that
// marks the id busy, which gives the atomicity Kafka gets from its per-id lock.
import { ErrorCode } from '../../../protocol/errors.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import type { Logger } from '../../logging/logger.js';
import type { ProducerIdManager } from './producer-ids.js';
import type { TxnCoordinatorConfig } from './txn-config.js';
import { partitionForTxn, txnWriteError, type TxnRecordLog } from './txn-log.js';
import type { TxnMetadata, TxnTransit } from './txn-metadata.js';
import { encodeTxnLogKey, encodeTxnLogValue } from './txn-records.js';

export type TxnLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** A partition markers can be written to. */
export interface MarkerPartition {
  log: PartitionLog;
  leaderEpoch: number;
}

export interface TxnCoreOptions {
  config: TxnCoordinatorConfig;
  /** Opens __transaction_state; with `create`, creates it when missing. */
  openLog(create: boolean): Promise<TxnRecordLog | null>;
  producerIds: ProducerIdManager;
  /** A local partition by name (markers are written straight into it). */
  partition(topic: string, index: number): MarkerPartition | undefined;
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
  log: TxnRecordLog | null = null;
  private opening: Promise<TxnRecordLog> | null = null;
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
  ensureLog(): Promise<TxnRecordLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= this.opts.openLog(true).then((l) => {
      if (!l) throw new Error('__transaction_state could not be created');
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
    return this.log ? this.log.coordinatorEpoch(this.partitionFor(transactionalId)) : 0;
  }

  /**
   * Writes `t` (prepared on `md`) to __transaction_state and applies it once written; on failure
   * the id is left as it was. Resolves with a client-facing error code; never rejects.
   */
  persist(md: TxnMetadata, t: TxnTransit): Promise<number> {
    const run = (async () => {
      let code: number;
      try {
        const log = await this.ensureLog();
        const value = t.state === 'Dead' ? null : encodeTxnLogValue(md.toLogValue(t));
        code = txnWriteError(await log.append(this.partitionFor(md.transactionalId), [{ key: encodeTxnLogKey(md.transactionalId), value }]));
      } catch (e) {
        this.logger.error('transaction state write failed', { transactionalId: md.transactionalId, err: String(e) });
        code = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
      if (code === ErrorCode.NONE) {
        md.completeTransition(t);
        if (t.state === 'Dead' && this.txns.get(md.transactionalId) === md) this.txns.delete(md.transactionalId);
      } else {
        md.abortTransition();
      }
      return code;
    })();
    this.track(run);
    return run;
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** The error for a request while the coordinator cannot serve. */
  unavailable(): number | null {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    if (!this.active) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return null;
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

// Ending transactions: EndTxn from the producer, the fencing abort (InitProducerId on an open
// transaction, transaction.timeout.ms), the marker write path, and the cleanup timers.
//
//   EndTxn(commit|abort)    Ongoing ──write──> PrepareCommit|PrepareAbort
//                           markers: one COMMIT|ABORT control batch per partition of the
//                           transaction, appended through the partition layer's appendMarker
//                           (WriteTxnMarkers semantics, producer-state checked); retried on
//                           storage errors; the broker resumes them after a restart
//                           ──write──> CompleteCommit|CompleteAbort
//
// Kafka answers EndTxn once Prepare* is written and the producer retries its next request on
// CONCURRENT_TRANSACTIONS until Complete* is. The markers here are local appends, so EndTxn is
// answered once they are written (bounded wait): the data is committed (LSO past the markers) and
// any transactional offsets visible when the producer hears back. Complete* is then applied and
// its record deferred (see writeComplete); a request that finds the id still writing markers
// waits for them (settle) instead of bouncing with CONCURRENT_TRANSACTIONS — as if its retry had
// come just late enough.
import { ErrorCode } from '../../../protocol/errors.js';
import { OFFSETS_TOPIC } from '../common/internal-topics.js';
import { sleep, type TxnCore } from './txn-core.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TV2, type TxnMetadata } from './txn-metadata.js';
import { isIdle } from './txn-states.js';

/** Longest a request waits for markers or an in-flight completion before answering anyway. */
const COMPLETION_WAIT_MS = 5_000;
/** How long Complete* waits for a newer transition to carry it before it is written on its own. */
const COMPLETE_WRITE_DELAY_MS = 20;

interface Completion {
  /** Every marker is written (or given up on). */
  markers: Promise<void>;
  /** Complete* is written (or the coordinator is stopping). */
  done: Promise<void>;
}

/** The completion in progress per transactional id (EndTxn, a fence, a timeout or a restart starts one). */
const completions = new WeakMap<TxnMetadata, Completion>();

/**
 * Bounded waits without a timer per wait: every wait started within the same CAP_BUCKET_MS joins
 * one bucket whose single timer releases it COMPLETION_WAIT_MS (+ up to CAP_BUCKET_MS) later. A
 * wait that ends normally (markers written within microseconds) leaves its bucket at once, so
 * nothing of it is kept until the timer fires (a Promise.race against one shared promise would
 * keep a reaction per EndTxn alive for the whole bucket).
 */
const CAP_BUCKET_MS = 1_000;
let capBucketId = -1;
let capBucket = new Set<() => void>();

function capped(p: Promise<void>): Promise<void> {
  const id = Math.floor(Date.now() / CAP_BUCKET_MS);
  if (id !== capBucketId) {
    capBucketId = id;
    const bucket = (capBucket = new Set());
    setTimeout(() => {
      for (const release of bucket) release();
      bucket.clear();
    }, COMPLETION_WAIT_MS + CAP_BUCKET_MS).unref?.();
  }
  const bucket = capBucket;
  return new Promise<void>((resolve) => {
    bucket.add(resolve);
    const done = () => {
      bucket.delete(resolve);
      resolve();
    };
    p.then(done, done);
  });
}

/**
 * Waits (bounded) for a completion of `md` in progress, if any, so the caller sees the settled
 * state. Undefined when there is none: callers then go on in the same synchronous stretch
 * (`const s = settle(md); if (s) await s;`), without an await per request.
 */
export function settle(md: TxnMetadata | undefined): Promise<void> | undefined {
  const c = md && completions.get(md);
  return c ? capped(c.done) : undefined;
}

export async function endTxn(core: TxnCore, transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
  const unavailable = core.unavailable(transactionalId);
  if (unavailable !== null) return unavailable;
  const md = core.txns.get(transactionalId);
  const settling = settle(md);
  if (settling) await settling;
  if (!md || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (producerEpoch !== md.producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (md.pending) return ErrorCode.CONCURRENT_TRANSACTIONS;
  switch (md.state) {
    case 'Ongoing': {
      const code = await core.persist(md, md.prepareAbortOrCommit(commit ? 'PrepareCommit' : 'PrepareAbort', core.now(), 0));
      if (code !== ErrorCode.NONE) return code;
      await capped(completeTransaction(core, md).markers);
      return ErrorCode.NONE;
    }
    case 'CompleteCommit':
      return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
    case 'CompleteAbort':
      return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
    case 'PrepareCommit':
      return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
    case 'PrepareAbort':
      return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
    default:
      return ErrorCode.INVALID_TXN_STATE;
  }
}

export interface EndTxnV2Result {
  errorCode: number;
  /** The producer id and epoch of the producer's next transaction (-1 on error). */
  producerId: number;
  producerEpoch: number;
}

const SHORT_MAX = 32767;

/**
 * EndTxn v5 (transaction version 2, Kafka's TransactionCoordinator.endTransaction with
 * clientTransactionVersion 2): every transaction end bumps the epoch, the markers carry the
 * bumped epoch and the answer names the producer id and epoch to use next (a new producer id
 * at epoch 0 once the epoch is exhausted). A retry — the producer never heard the answer — is
 * recognised by the epoch being one behind (or by the id rotation) and answered again. Aborting
 * with no transaction open is allowed (the producer may abort before anything was sent).
 */
export async function endTxnV2(core: TxnCore, transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<EndTxnV2Result> {
  const fail = (errorCode: number): EndTxnV2Result => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
  const unavailable = core.unavailable(transactionalId);
  if (unavailable !== null) return fail(unavailable);
  const md = core.txns.get(transactionalId);
  const settling = settle(md);
  if (settling) await settling;
  if (!md) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  const retryOnOverflow = md.lastProducerId === producerId && producerId !== md.producerId && producerEpoch === SHORT_MAX - 1 && md.producerEpoch === 0;
  const retryOnEpochBump = md.producerId === producerId && md.producerEpoch === producerEpoch + 1;
  if (md.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  const ended = md.state === 'PrepareCommit' || md.state === 'PrepareAbort' || md.state === 'CompleteCommit' || md.state === 'CompleteAbort';
  const isRetry = ended && (retryOnEpochBump || retryOnOverflow);
  if (!isRetry && producerEpoch !== md.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
  if (md.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  const current = (): EndTxnV2Result => ({ errorCode: ErrorCode.NONE, ...md.afterCompletion });
  const prepare = async (noPartitionAdded: boolean): Promise<EndTxnV2Result> => {
    // Epoch exhausted: the next producer id is reserved now and taken over at Complete*.
    const nextProducerId = md.producerEpoch >= SHORT_MAX - 1 ? await core.opts.producerIds.generate() : NO_PRODUCER_ID;
    if (md.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    const t = md.prepareAbortOrCommit(commit ? 'PrepareCommit' : 'PrepareAbort', core.now(), TV2, nextProducerId, noPartitionAdded);
    const code = await core.persist(md, t);
    if (code !== ErrorCode.NONE) return fail(code);
    const answer = current();
    await capped(completeTransaction(core, md).markers);
    return answer;
  };
  switch (md.state) {
    case 'Ongoing':
      return prepare(false);
    case 'CompleteCommit':
      if (commit) return isRetry ? current() : fail(ErrorCode.INVALID_TXN_STATE);
      return isRetry ? fail(ErrorCode.INVALID_TXN_STATE) : prepare(true);
    case 'CompleteAbort':
      if (!commit) return isRetry ? current() : prepare(true);
      return fail(ErrorCode.INVALID_TXN_STATE);
    case 'Empty':
      return commit ? fail(ErrorCode.INVALID_TXN_STATE) : prepare(true);
    case 'PrepareCommit':
      return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
    case 'PrepareAbort':
      return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
    default:
      return fail(ErrorCode.INVALID_TXN_STATE);
  }
}

/**
 * Aborts the open transaction of `md` with a bumped epoch (Kafka's prepareFenceProducerEpoch +
 * endTransaction(ABORT)): the markers carry the new epoch, so the partitions reject every later
 * write of the fenced producer, and the coordinator rejects its requests with PRODUCER_FENCED.
 */
export async function fenceAndAbort(core: TxnCore, md: TxnMetadata): Promise<number> {
  if (md.pending) return ErrorCode.CONCURRENT_TRANSACTIONS;
  if (md.state !== 'Ongoing') return ErrorCode.INVALID_TXN_STATE;
  const t = md.prepareTransition({ state: 'PrepareAbort', producerEpoch: md.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH, lastUpdateTimestamp: core.now() });
  const code = await core.persist(md, t);
  if (code === ErrorCode.NONE) completeTransaction(core, md);
  return code;
}

/** Writes the markers of a Prepare* transaction, then Complete*. One run per transaction at a time. */
export function completeTransaction(core: TxnCore, md: TxnMetadata): Completion {
  let c = completions.get(md);
  if (c) return c;
  const markers = core.track(writeMarkers(core, md));
  const done = core.track(markers.then(() => writeComplete(core, md))).finally(() => {
    if (completions.get(md) === c) completions.delete(md);
  });
  c = { markers, done };
  completions.set(md, c);
  return c;
}

async function writeMarkers(core: TxnCore, md: TxnMetadata): Promise<void> {
  const committed = md.state === 'PrepareCommit';
  if (!committed && md.state !== 'PrepareAbort') return;
  const marker = { producerId: md.producerId, producerEpoch: md.producerEpoch, coordinatorEpoch: core.coordinatorEpochFor(md.transactionalId), committed };
  let remaining = md.partitionList().flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  while (remaining.length > 0) {
    // Shutting down, or the id's partition was unloaded: the next owner resumes from Prepare*.
    if (core.stopping || !core.owns(md)) return;
    const retry: typeof remaining = [];
    const retryErrors = new Set<number>();
    // Every marker is appended (its offset assigned) in this synchronous loop; the writes settle below.
    const written = remaining.map((tp) =>
      core.opts.partitions.appendMarker(tp, marker).then((r) => {
        switch (r.errorCode) {
          case ErrorCode.NONE:
            if (tp.topic === OFFSETS_TOPIC) core.opts.onOffsetsMarker?.(tp.partition, marker.producerId, committed);
            return;
          case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
            // The leader does not have the partition (yet): a restarted broker before its metadata
            // arrives. Dropping the marker would leave the producer's transaction open there, and
            // its next transaction's ABORT would then cover this committed one. Only a partition
            // the metadata no longer has (topic deleted) is dropped, as Kafka does.
            if (core.opts.partitions.partitionKnown?.(tp)) {
              retry.push(tp);
              retryErrors.add(r.errorCode);
            } else core.logger.info('transaction marker dropped: partition deleted', { transactionalId: md.transactionalId, topic: tp.topic, partition: tp.partition });
            return;
          case ErrorCode.KAFKA_STORAGE_ERROR:
          case ErrorCode.NOT_LEADER_OR_FOLLOWER:
          case ErrorCode.NOT_ENOUGH_REPLICAS:
          case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
          case ErrorCode.REQUEST_TIMED_OUT:
            retry.push(tp);
            retryErrors.add(r.errorCode);
            return;
          case ErrorCode.INVALID_PRODUCER_EPOCH:
          case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
          case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
          case ErrorCode.UNSUPPORTED_VERSION:
          case ErrorCode.CORRUPT_MESSAGE:
          case ErrorCode.MESSAGE_TOO_LARGE:
          case ErrorCode.RECORD_LIST_TOO_LARGE:
          case ErrorCode.INVALID_REQUIRED_ACKS:
            // A newer epoch or coordinator already wrote here, or the partition can never take the
            // marker: it is obsolete or impossible for this partition.
            core.logger.warn('transaction marker rejected', { transactionalId: md.transactionalId, topic: tp.topic, partition: tp.partition, error: r.errorMessage ?? r.errorCode });
            return;
          default:
            // Unexpected (UNKNOWN_SERVER_ERROR from an unreachable or failing leader, …): Kafka's
            // completion handler never completes the transaction past one, so it is retried like
            // the retriable errors rather than dropped (a dropped COMMIT leaves the producer's
            // transaction open on that partition; see UNKNOWN_TOPIC_OR_PARTITION above).
            retry.push(tp);
            retryErrors.add(r.errorCode);
        }
      }),
    );
    await Promise.all(written);
    remaining = retry;
    if (remaining.length > 0) {
      core.logger.warn('retrying transaction markers', { transactionalId: md.transactionalId, partitions: remaining.length, errors: [...retryErrors] });
      await sleep(core.config.retryBackoffMs);
    }
  }
}

/**
 * Markers are written: the transaction is over. Complete* is applied at once and its record is
 * written a little later (COMPLETE_WRITE_DELAY_MS) unless a newer transition's record — usually
 * the producer's next AddPartitionsToTxn — is written first and carries the state instead: one
 * __transaction_state write per transaction saved. Until either lands, the log says Prepare*; a
 * crash then only makes the restarted coordinator write the same markers again (a duplicate
 * marker of a finished transaction changes nothing) and complete.
 */
async function writeComplete(core: TxnCore, md: TxnMetadata): Promise<void> {
  if (md.state !== 'PrepareCommit' && md.state !== 'PrepareAbort') return;
  if (!core.owns(md)) return; // its partition was unloaded: the next owner completes it
  while (md.pending) {
    if (core.stopping) return;
    await sleep(core.config.retryBackoffMs);
  }
  md.completeTransition(md.prepareComplete(core.now()));
  md.unpersisted = true;
  core.deferWrite(md, COMPLETE_WRITE_DELAY_MS);
}

/** transaction.timeout.ms: open transactions past their timeout are fenced and aborted. */
export function abortTimedOutTransactions(core: TxnCore): number {
  if (!core.active || core.stopping) return 0;
  const now = core.now();
  let n = 0;
  for (const md of core.txns.values()) {
    if (md.state !== 'Ongoing' || md.pending || md.startTimestamp < 0) continue;
    if (now <= md.startTimestamp + md.timeoutMs) continue;
    n++;
    core.logger.info('aborting timed-out transaction', { transactionalId: md.transactionalId, producerId: md.producerId, epoch: md.producerEpoch });
    void fenceAndAbort(core, md).then((code) => {
      if (code !== ErrorCode.NONE) core.logger.warn('timed-out transaction abort failed', { transactionalId: md.transactionalId, error: code });
    });
  }
  return n;
}

/** transactional.id.expiration.ms: idle ids are removed (tombstone). */
export function removeExpiredTransactionalIds(core: TxnCore): number {
  if (!core.active || core.stopping) return 0;
  const now = core.now();
  let n = 0;
  for (const md of [...core.txns.values()]) {
    if (md.pending || !isIdle(md.state)) continue;
    if (now - md.lastUpdateTimestamp < core.config.transactionalIdExpirationMs) continue;
    n++;
    void core.persist(md, md.prepareDead());
  }
  return n;
}

// InitProducerId (Kafka's TransactionCoordinator.handleInitProducerId):
//   - no transactional id: a fresh producer id at epoch 0 (idempotent producer);
//   - a new transactional id: a fresh producer id, epoch 0, state Empty;
//   - an existing one: the epoch is bumped (fencing every older producer of the id), or a new
//     producer id when the epoch is exhausted; an open transaction is first aborted with a bumped
//     epoch and the producer is told CONCURRENT_TRANSACTIONS, so it retries once the abort is done;
//   - KIP-360: a producer passing its current id/epoch may bump its own epoch to recover, and a
//     retry of a bump it missed gets the same epoch back.
import { ErrorCode } from '../../../protocol/errors.js';
import { fenceAndAbort, settle } from './txn-end.js';
import type { TxnCore } from './txn-core.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TxnMetadata } from './txn-metadata.js';
import { isIdle } from './txn-states.js';

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1, producerEpoch: -1 });

export async function initProducerId(
  core: TxnCore,
  transactionalId: string | null,
  timeoutMs: number,
  expectedProducerId = NO_PRODUCER_ID,
  expectedEpoch = NO_PRODUCER_EPOCH,
): Promise<InitProducerIdResult> {
  if (transactionalId === null) {
    try {
      return { errorCode: ErrorCode.NONE, producerId: await core.opts.producerIds.generate(), producerEpoch: 0 };
    } catch (e) {
      core.logger.error('producer id allocation failed', { err: String(e) });
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
  if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
  const unavailable = core.unavailable(transactionalId);
  if (unavailable !== null) return fail(unavailable);
  if (timeoutMs <= 0 || timeoutMs > core.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  const expected = expectedProducerId !== NO_PRODUCER_ID ? { producerId: expectedProducerId, epoch: expectedEpoch } : null;

  try {
    await core.ensureLog();
  } catch (e) {
    core.logger.error('cannot open __transaction_state', { err: String(e) });
    return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  let md = core.txns.get(transactionalId);
  if (!md) {
    let pid: number;
    try {
      pid = await core.opts.producerIds.generate();
    } catch (e) {
      core.logger.error('producer id allocation failed', { err: String(e) });
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    // Another InitProducerId for the same id may have created it while we waited.
    md = core.txns.get(transactionalId);
    if (!md) {
      md = new TxnMetadata(transactionalId, { producerId: pid, producerEpoch: NO_PRODUCER_EPOCH, timeoutMs, state: 'Empty', now: core.now() });
      core.txns.set(transactionalId, md);
    }
  }
  const settling = settle(md);
  if (settling) await settling;
  if (md.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  if (expected && !md.isValidProducerId(expected.producerId, expected.epoch)) return fail(ErrorCode.PRODUCER_FENCED);

  const now = core.now();
  switch (md.state) {
    case 'PrepareCommit':
    case 'PrepareAbort':
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    case 'Ongoing': {
      // Fence the current producer and abort its transaction; the caller retries afterwards and
      // gets a second bump (or a new producer id if the fence exhausted the epochs).
      const code = await fenceAndAbort(core, md);
      return fail(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
    }
    case 'Empty':
    case 'CompleteCommit':
    case 'CompleteAbort': {
      let transit;
      if (md.isEpochExhausted) {
        let pid: number;
        try {
          pid = await core.opts.producerIds.generate();
        } catch {
          return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
        if (md.pending || !isIdle(md.state)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
        transit = md.prepareProducerIdRotation(pid, timeoutMs, now, expected !== null);
      } else {
        const t = md.prepareIncrementEpoch(timeoutMs, expected ? expected.epoch : null, now);
        if (typeof t === 'number') return fail(t);
        transit = t;
      }
      const code = await core.persist(md, transit);
      if (code !== ErrorCode.NONE) return fail(code);
      return { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch };
    }
    default:
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  }
}

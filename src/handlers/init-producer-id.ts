// InitProducerId (v0-5): a producer id and epoch for an idempotent producer (no transactional id)
// or a transactional one (fencing older producers of the id; KIP-360 epoch bumps with v3+).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { InitProducerIdResponse } from '../../protocol/generated/init-producer-id.js';
import { defineHandler } from '../network/request-context.js';
import type { TxnCoordinatorRef } from './handler-deps.js';

/** PRODUCER_FENCED exists from this InitProducerId version on; older clients get INVALID_PRODUCER_EPOCH. */
const FENCED_SINCE = 4;

export function initProducerIdHandler(deps: TxnCoordinatorRef) {
  return defineHandler(Api.InitProducerId, {
    maxVersion: 5,
    errorResponse(_req, errorCode): InitProducerIdResponse {
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    },
    async handle(ctx, req): Promise<InitProducerIdResponse> {
      const v = ctx.header.apiVersion;
      const tc = deps.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
      const r = await tc.initProducerId(req.transactionalId, req.transactionTimeoutMs, v >= 3 ? req.producerId : -1, v >= 3 ? req.producerEpoch : -1);
      const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && v < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
      return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    },
  });
}

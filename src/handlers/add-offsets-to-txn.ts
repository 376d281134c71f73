// AddOffsetsToTxn (v0-4): the group's __consumer_offsets partition joins the transaction, so a
// following TxnOffsetCommit's offsets are committed or aborted with it.
import { ErrorCode } from '../../protocol/errors.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/generated/add-offsets-to-txn.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

const FENCED_SINCE = 2;

export function addOffsetsToTxnHandler(broker: Broker): ApiHandler<AddOffsetsToTxnRequest> {
  return {
    apiKey: 25,
    minVersion: 0,
    maxVersion: 4,
    errorResponse(_req, errorCode): AddOffsetsToTxnResponse {
      return { throttleTimeMs: 0, errorCode };
    },
    async handle(ctx, req): Promise<AddOffsetsToTxnResponse> {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const code = await tc.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
      return { throttleTimeMs: 0, errorCode: code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : code };
    },
  };
}

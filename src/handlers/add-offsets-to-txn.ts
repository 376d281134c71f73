// AddOffsetsToTxn (v0-4): the group's __consumer_offsets partition joins the transaction, so a
// following TxnOffsetCommit's offsets are committed or aborted with it.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { AddOffsetsToTxnResponse } from '../../protocol/generated/add-offsets-to-txn.js';
import { defineHandler } from '../network/request-context.js';
import type { TxnCoordinatorRef } from './handler-deps.js';

const FENCED_SINCE = 2;

export function addOffsetsToTxnHandler(deps: TxnCoordinatorRef) {
  return defineHandler(Api.AddOffsetsToTxn, {
    errorResponse(_req, errorCode): AddOffsetsToTxnResponse {
      return { throttleTimeMs: 0, errorCode };
    },
    async handle(ctx, req): Promise<AddOffsetsToTxnResponse> {
      const tc = deps.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const code = await tc.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
      return { throttleTimeMs: 0, errorCode: code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < FENCED_SINCE ? ErrorCode.INVALID_PRODUCER_EPOCH : code };
    },
  });
}

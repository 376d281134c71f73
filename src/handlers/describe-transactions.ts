// DescribeTransactions (v0): state, timeout, start time, producer id/epoch and partitions of
// transactional ids (TRANSACTIONAL_ID_NOT_FOUND for unknown ones).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeTransactionsResponse } from '../../protocol/generated/describe-transactions.js';
import { defineHandler } from '../network/request-context.js';
import type { TxnCoordinatorRef } from './handler-deps.js';

export function describeTransactionsHandler(deps: TxnCoordinatorRef) {
  const failed = (transactionalId: string, errorCode: number) => ({
    errorCode,
    transactionalId,
    transactionState: '',
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1,
    producerId: -1,
    producerEpoch: -1,
    topics: [],
  });
  return defineHandler(Api.DescribeTransactions, {
    errorResponse(req, errorCode): DescribeTransactionsResponse {
      return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, errorCode)) };
    },
    handle(_ctx, req): DescribeTransactionsResponse {
      const tc = deps.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, ErrorCode.COORDINATOR_NOT_AVAILABLE)) };
      return { throttleTimeMs: 0, transactionStates: tc.describe(req.transactionalIds) };
    },
  });
}

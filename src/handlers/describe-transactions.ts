// DescribeTransactions (v0): state, timeout, start time, producer id/epoch and partitions of
// transactional ids (TRANSACTIONAL_ID_NOT_FOUND for unknown ones).
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/generated/describe-transactions.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../network/request-context.js';

export function describeTransactionsHandler(broker: Broker): ApiHandler<DescribeTransactionsRequest> {
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
  return {
    apiKey: 65,
    minVersion: 0,
    maxVersion: 0,
    errorResponse(req, errorCode): DescribeTransactionsResponse {
      return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, errorCode)) };
    },
    handle(_ctx, req): DescribeTransactionsResponse {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, ErrorCode.COORDINATOR_NOT_AVAILABLE)) };
      return { throttleTimeMs: 0, transactionStates: tc.describe(req.transactionalIds) };
    },
  };
}

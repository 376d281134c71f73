// ListTransactions (v0-2): transactional ids filtered by state names, producer ids, (v1) how
// long their transaction has been open and (v2, KIP-1152) a regular expression the whole id must
// match; unknown state names are echoed back, an invalid expression is INVALID_REGULAR_EXPRESSION.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/generated/list-transactions.js';
import type { Broker } from '../broker.js';
import { compileTopicRegex } from '../coordinator/consumer/consumer-core.js';
import type { ApiHandler } from '../network/request-context.js';

export function listTransactionsHandler(broker: Broker): ApiHandler<ListTransactionsRequest> {
  return {
    apiKey: 66,
    minVersion: 0,
    maxVersion: 2,
    errorResponse(_req, errorCode): ListTransactionsResponse {
      return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
    },
    handle(ctx, req): ListTransactionsResponse {
      const tc = broker.txnCoordinator;
      if (!tc) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
      const v = ctx.header.apiVersion;
      // Null or empty: no filter (Kafka matches with RE2 against the whole id).
      const pattern = v >= 2 && req.transactionalIdPattern ? compileTopicRegex(req.transactionalIdPattern) : null;
      if (v >= 2 && req.transactionalIdPattern && pattern === null) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
      const r = tc.list(req.stateFilters, req.producerIdFilters, v >= 1 ? req.durationFilter : -1);
      const transactionStates = pattern ? r.transactions.filter((t) => pattern.test(t.transactionalId)) : r.transactions;
      return { throttleTimeMs: 0, errorCode: r.errorCode, unknownStateFilters: r.unknownStateFilters, transactionStates };
    },
  };
}

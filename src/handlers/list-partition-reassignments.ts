// ListPartitionReassignments (v0, KIP-455): the reassignments in progress. With one broker a
// replica set can only be "changed" to itself, which completes at once, so nothing is ever in
// progress: the answer is an empty list. Topics or partitions that do not exist are simply left
// out, as Kafka's ReplicationControlManager.listPartitionReassignments does.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListPartitionReassignmentsResponse } from '../../protocol/generated/list-partition-reassignments.js';
import { Api } from '../../protocol/generated/apis.js';
import { defineHandler } from '../network/request-context.js';

export function listPartitionReassignmentsHandler(_deps?: unknown) {
  return defineHandler(Api.ListPartitionReassignments, {
    errorResponse(_req, errorCode): ListPartitionReassignmentsResponse {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
    },
    handle(): ListPartitionReassignmentsResponse {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
    },
  });
}

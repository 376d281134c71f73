// ListPartitionReassignments (v0, KIP-455): the reassignments in progress. With one broker a
// replica set can only be "changed" to itself, which completes at once, so nothing is ever in
// progress: the answer is an empty list. Topics or partitions that do not exist are simply left
// out, as Kafka's ReplicationControlManager.listPartitionReassignments does.
import { ErrorCode } from '../../protocol/errors.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../protocol/generated/list-partition-reassignments.js';
import type { ApiHandler } from '../network/request-context.js';

export function listPartitionReassignmentsHandler(_deps?: unknown): ApiHandler<ListPartitionReassignmentsRequest> {
  return {
    apiKey: 46,
    minVersion: 0,
    maxVersion: 0,
    handle(): ListPartitionReassignmentsResponse {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
    },
  };
}

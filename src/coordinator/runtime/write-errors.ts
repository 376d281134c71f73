// The one storage-outcome → client-error mapping for everything a coordinator writes to its
// internal topic (Kafka's CoordinatorRuntime / appendGroupMetadataErrorToResponseError /
// TransactionStateManager mapping, which agree). Offset commits differ only in how "too large"
// is reported (INVALID_COMMIT_OFFSET_SIZE, Kafka's OffsetCommit mapping).
import { ErrorCode } from '../../../protocol/errors.js';

/** Group metadata, consumer group records, transaction state: a storage code as the client sees it. */
export function coordinatorWriteError(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** OffsetCommit / TxnOffsetCommit: as coordinatorWriteError, but a too-large write is the commit's fault. */
export function offsetCommitWriteError(code: number): number {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return coordinatorWriteError(code);
  }
}

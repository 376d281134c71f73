// A group's committed offset for one partition, as the group coordinators keep it in memory and the
// transaction coordinator stages it for TxnOffsetCommit.
export interface CommittedOffset {
  offset: number;
  /** -1 when the client sent none. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only set by OffsetCommit v2-4 with an explicit retention time (old expiration semantics). */
  expireTimestamp: number | null;
}

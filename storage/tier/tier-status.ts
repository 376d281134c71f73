// What `tributary tier status` and the metrics show about tiered storage.

export interface PartitionTierStatus {
  topic: string;
  partition: number;
  topicId: string;
  /** remote.storage.enable for the topic right now (copies stop when false; remote data stays readable). */
  enabled: boolean;
  /** 'loading' until the manifest is read and recovery is done; 'error' if that failed (retried). */
  state: 'loading' | 'ready' | 'error';
  /** First offset served from the store (-1: none). */
  remoteLogStartOffset: number;
  /** Exclusive end of the copied prefix, as recorded in the stored manifest (-1: none). */
  copiedEndOffset: number;
  localLogStartOffset: number;
  logEndOffset: number;
  remoteSegments: number;
  remoteBytes: number;
  localBytes: number;
  /** Rolled local segments not copied yet. */
  lagSegments: number;
  lagBytes: number;
  copiedSegmentsTotal: number;
  copiedBytesTotal: number;
  deletedSegmentsTotal: number;
  orphansDeletedTotal: number;
  lastCopyAt: number;
  lastError: string | null;
  lastErrorAt: number;
}

export interface TierStatus {
  store: string;
  updatedAt: number;
  partitions: PartitionTierStatus[];
  cache: { bytes: number; maxBytes: number; entries: number; hits: number; misses: number; evictions: number };
  reads: { reads: number; bytesServed: number; getRequests: number; bytesFetched: number; crcFailures: number };
  /**
   * The broker's pooled-buffer counters (protocol/wire/buffer-pool.ts framePool, shared with
   * Produce frames and segment reads): remote chunks are read into its buffers, so `allocated`
   * growing with cold reads means buffers are not coming back from the chunk cache.
   */
  pool?: { allocated: number; reused: number; refused: number; retainedBytes: number };
  /** Topics whose remote data is still being deleted. */
  pendingTopicDeletes: string[];
}

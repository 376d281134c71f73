// What a coordinator sees of its internal topic: numbered partitions it appends records to and
// replays on load. The runtime's InternalTopicLog implements it over the partition layer; unit
// tests implement it in memory.

export interface CoordinatorRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

/** A transactional record replayed without its marker yet. */
export interface HeldRecord extends CoordinatorRecord {
  /** Its log offset: of two records of one key, the higher offset wins (see txn-replay.ts). */
  offset: number;
  /** A later record of its key already took effect: its COMMIT must not apply it. */
  superseded: boolean;
}

/** Transactional records (TxnOffsetCommit) replayed without a marker yet: producer id → records in log order. */
export type OpenTransactions = Map<number, HeldRecord[]>;

export interface CoordinatorRecordLog {
  readonly numPartitions: number;
  /**
   * Appends `records` to `partition` as one batch. The offsets are assigned before this returns
   * (two appends keep their call order); resolves once written with ErrorCode.NONE or the
   * storage-level code (map it with write-errors.ts). Never rejects.
   */
  append(partition: number, records: CoordinatorRecord[]): Promise<number>;
  /**
   * Calls `onRecord` for every record from the log start to the high watermark, in log order.
   * Transactional records count from their COMMIT marker on (dropped on ABORT); those still
   * without a marker are returned (an in-memory log may return nothing).
   */
  replay(partition: number, onRecord: (r: CoordinatorRecord) => void): Promise<OpenTransactions | void>;
  /** The coordinator epoch written into transaction markers (the partition's leader epoch). */
  coordinatorEpoch?(partition: number): number;
}

// The partition layer's contract (issue 12): the only way anything appends to or reads from a
// partition. Kafka's shape: one ReplicaManager.appendRecords / fetchMessages that every writer and
// reader goes through, so that replication changes who advances the high watermark, leadership
// checks and min.insync handling exist once, and callers never touch a PartitionLog.
//
// This file holds the types shared by the partition layer (src/cluster/) and its callers
// (handlers, the coordinator runtime, the aggregation stage). Callers depend on these interfaces,
// never on the implementing class.
import type { MarkerSpec } from '../../storage/log/producer-state/append-with-state.js';
import type { TopicRecord } from '../metadata/topic-registry.js';

export type { MarkerSpec };

/** Who is appending: decides which checks apply (clients may not write internal topics, etc.). */
export type AppendOrigin = 'client' | 'coordinator' | 'replication' | 'admin';

/** Who is reading: consumers see up to the HW (or LSO), followers up to the log end, internal readers up to the HW. */
export type ReaderKind = 'consumer' | 'follower' | 'internal';

export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Result of an internal (coordinator) append: a Kafka error code (0 = written) and the offsets. */
export interface InternalAppendResult {
  errorCode: number;
  /** -1 when nothing was written. */
  baseOffset: number;
  lastOffset: number;
  errorMessage?: string;
}

export interface InternalReadResult {
  errorCode: number;
  /** Whole batches only, possibly empty. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

/** Offsets of a local partition as the partition layer sees them. */
export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  leaderEpoch: number;
}

/**
 * What coordinators (group, KIP-848, transactions) and the aggregation stage use to write and
 * replay their partitions. Every method answers with Kafka error codes, never throws for an
 * expected condition (unknown partition, not leader, storage error, batch too large).
 */
export interface InternalPartitionAccess {
  /**
   * Appends record batches built by a coordinator (one or more whole v2 batches). Batches with a
   * producer id (TxnOffsetCommit) are checked against that producer's epoch, as Kafka does.
   * Resolves once the bytes are written (and, with replication, acknowledged by the ISR).
   * Appends to one partition are ordered in call order.
   */
  appendInternal(tp: TopicPartition, records: Buffer): Promise<InternalAppendResult>;
  /** A COMMIT/ABORT control batch for one partition (transaction end, WriteTxnMarkers). */
  appendMarker(tp: TopicPartition, marker: MarkerSpec): Promise<InternalAppendResult>;
  /** Whole batches from `fetchOffset`, at most `maxBytes` (at least one batch), below the HW. */
  readInternal(tp: TopicPartition, fetchOffset: number, maxBytes: number): Promise<InternalReadResult>;
  /** undefined when this broker has no such partition. */
  offsets(tp: TopicPartition): PartitionOffsets | undefined;
}

/**
 * The transaction coordinator's periodic producer-state upkeep (producer.id.expiration.ms):
 * producers idle past the expiration are forgotten on every local partition, as Kafka's
 * ProducerStateManager.removeExpiredProducers; returns how many were forgotten.
 */
export interface ProducerStateUpkeep {
  expireProducers(now: number, expirationMs: number): number;
}

/** What coordinators need of topic lifecycle: find or create their internal topics. */
export interface InternalTopics {
  topics: { get(name: string): TopicRecord | undefined };
  createTopic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>): Promise<TopicRecord>;
}

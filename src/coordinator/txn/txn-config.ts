// The broker settings the transaction coordinator reads, with Kafka's defaults as fallbacks.

export interface TxnCoordinatorConfig {
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  maxTimeoutMs: number;
  /** transaction.state.log.num.partitions (fixed once the topic exists). */
  numPartitions: number;
  /** transaction.state.log.segment.bytes. */
  segmentBytes: number;
  /** transaction.state.log.replication.factor (cluster mode). */
  replicationFactor: number;
  /** transaction.state.log.min.isr: min.insync.replicas of __transaction_state (cluster mode). */
  minIsr: number;
  /** transactional.id.expiration.ms: an idle transactional id is removed after this long. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms. */
  removeExpiredIntervalMs: number;
  /** producer.id.expiration.ms: partitions forget producers idle this long. */
  producerIdExpirationMs: number;
  /** producer.id.expiration.check.interval.ms. */
  producerIdExpirationCheckIntervalMs: number;
  /** transaction.partition.verification.enable (KIP-890). */
  partitionVerification: boolean;
  /** How long to wait before retrying a marker or completion write that failed. */
  retryBackoffMs: number;
}

export const DEFAULT_TXN_CONFIG: TxnCoordinatorConfig = {
  maxTimeoutMs: 900_000,
  numPartitions: 50,
  segmentBytes: 104_857_600,
  replicationFactor: 3,
  minIsr: 2,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutIntervalMs: 10_000,
  removeExpiredIntervalMs: 3_600_000,
  producerIdExpirationMs: 86_400_000,
  producerIdExpirationCheckIntervalMs: 600_000,
  partitionVerification: true,
  retryBackoffMs: 100,
};

const KEYS: Record<Exclude<keyof TxnCoordinatorConfig, 'retryBackoffMs'>, string> = {
  maxTimeoutMs: 'transaction.max.timeout.ms',
  numPartitions: 'transaction.state.log.num.partitions',
  segmentBytes: 'transaction.state.log.segment.bytes',
  replicationFactor: 'transaction.state.log.replication.factor',
  minIsr: 'transaction.state.log.min.isr',
  transactionalIdExpirationMs: 'transactional.id.expiration.ms',
  abortTimedOutIntervalMs: 'transaction.abort.timed.out.transaction.cleanup.interval.ms',
  removeExpiredIntervalMs: 'transaction.remove.expired.transaction.cleanup.interval.ms',
  producerIdExpirationMs: 'producer.id.expiration.ms',
  producerIdExpirationCheckIntervalMs: 'producer.id.expiration.check.interval.ms',
  partitionVerification: 'transaction.partition.verification.enable',
};

/** `get` returns a key's value; a key it does not know (throws or undefined) keeps Kafka's default. */
export function readTxnConfig(get: (key: string) => unknown): TxnCoordinatorConfig {
  const cfg: TxnCoordinatorConfig = { ...DEFAULT_TXN_CONFIG };
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
    let v: unknown;
    try {
      v = get(key);
    } catch {
      continue;
    }
    if (v === undefined || v === null) continue;
    // The broker config validated the key's type; the field takes that key's value as is.
    Object.assign(cfg, { [field]: v });
  }
  return cfg;
}

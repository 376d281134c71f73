// The broker settings the group coordinator reads, with Kafka's defaults as fallbacks so the
// coordinator works whether or not a key is defined in src/config yet.

export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms: extra wait for more members before an Empty group's first generation. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: allowed JoinGroup session timeouts. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.max.size: members per group. */
  maxSize: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.segment.bytes: its segment size. */
  offsetsTopicSegmentBytes: number;
  /** offsets.topic.replication.factor: replicas of __consumer_offsets (cluster mode). */
  offsetsTopicReplicationFactor: number;
  /** offsets.retention.minutes, in ms. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: longest OffsetCommit metadata string. */
  offsetMetadataMaxBytes: number;
  /** How long a new member's JoinGroup may stay parked (Kafka's fixed 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

const INT_MAX = 2147483647;

export const DEFAULT_GROUP_CONFIG: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxSize: INT_MAX,
  offsetsTopicNumPartitions: 50,
  offsetsTopicSegmentBytes: 104857600,
  offsetsTopicReplicationFactor: 3,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 5 * 60_000,
};

/**
 * Reads the coordinator settings through `get` (BrokerConfig.get); a key that is unknown to the
 * config (throws) or unset (undefined/null) falls back to Kafka's default.
 */
export function readGroupConfig(get: (key: string) => unknown): GroupCoordinatorConfig {
  const num = (key: string, fallback: number): number => {
    let v: unknown;
    try {
      v = get(key);
    } catch {
      return fallback;
    }
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  const d = DEFAULT_GROUP_CONFIG;
  return {
    initialRebalanceDelayMs: num('group.initial.rebalance.delay.ms', d.initialRebalanceDelayMs),
    minSessionTimeoutMs: num('group.min.session.timeout.ms', d.minSessionTimeoutMs),
    maxSessionTimeoutMs: num('group.max.session.timeout.ms', d.maxSessionTimeoutMs),
    maxSize: num('group.max.size', d.maxSize),
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions', d.offsetsTopicNumPartitions),
    offsetsTopicSegmentBytes: num('offsets.topic.segment.bytes', d.offsetsTopicSegmentBytes),
    offsetsTopicReplicationFactor: num('offsets.topic.replication.factor', d.offsetsTopicReplicationFactor),
    offsetsRetentionMs: num('offsets.retention.minutes', d.offsetsRetentionMs / 60_000) * 60_000,
    offsetsRetentionCheckIntervalMs: num('offsets.retention.check.interval.ms', d.offsetsRetentionCheckIntervalMs),
    offsetMetadataMaxBytes: num('offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
    newMemberJoinTimeoutMs: d.newMemberJoinTimeoutMs,
  };
}

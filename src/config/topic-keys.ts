// Topic-level keys (Kafka's TopicConfig / LogConfig) and their broker synonyms (Kafka's
// ServerTopicConfigSynonyms). A topic key without a per-topic override takes its value from the
// first broker synonym that has a value, converting hours/minutes to milliseconds; with no
// synonym set anywhere, from the topic key's own default (which equals the broker default).
import { bool, double, int, list, long, str, LONG_MAX } from './config-def.js';
import type { BrokerKey } from './broker-keys.js';
import { throttledReplicasValidator } from '../cluster/replication/throttled-replicas.js';
import { DEFAULT_MESSAGE_FORMAT_VERSION, messageFormatVersionValidator } from './message-format-version.js';

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;

export const TOPIC_KEYS = {
  'cleanup.policy': list(['delete'], { oneOf: ['compact', 'delete'], doc: "Retention policy: 'delete' old segments, 'compact' by key, or both." }),
  'compression.type': str('producer', { oneOf: COMPRESSION_TYPES, doc: "Final compression of the topic's data; 'producer' keeps the producer's codec." }),
  'compression.gzip.level': int(-1, {
    validate: (v) => ((v as number) === -1 || ((v as number) >= 1 && (v as number) <= 9) ? null : 'Value must be -1 (default) or between 1 and 9'),
    validValues: '[1,...,9] or -1',
    doc: 'Level when compression.type=gzip.',
  }),
  'compression.lz4.level': int(9, { min: 1, max: 17, doc: 'Level when compression.type=lz4 (accepted with a warning: the lz4 encoder has no level setting).' }),
  'compression.zstd.level': int(3, { min: -131072, max: 22, doc: 'Level when compression.type=zstd.' }),
  'delete.retention.ms': long(86400000, { min: 0, doc: 'How long delete tombstones are kept on compacted topics.' }),
  'file.delete.delay.ms': long(60000, { min: 0, doc: 'Delay before a deleted segment file is removed from the file system.' }),
  'flush.messages': long(LONG_MAX, { min: 1, doc: 'Messages accumulated before an fsync.' }),
  'flush.ms': long(LONG_MAX, { min: 0, doc: 'Maximum time data stays unflushed.' }),
  'follower.replication.throttled.replicas': list([], {
    validate: throttledReplicasValidator('follower.replication.throttled.replicas'),
    validValues: "[partitionId]:[brokerId],[partitionId]:[brokerId],... or '*'",
    doc: 'KIP-73: replicas whose fetching is limited by follower.replication.throttled.rate on their (follower) broker; cluster mode.',
  }),
  'index.interval.bytes': int(4096, { min: 0, doc: 'Bytes between entries of the sparse offset index.' }),
  'leader.replication.throttled.replicas': list([], {
    validate: throttledReplicasValidator('leader.replication.throttled.replicas'),
    validValues: "[partitionId]:[brokerId],[partitionId]:[brokerId],... or '*'",
    doc: 'KIP-73: replicas whose leader limits what it sends to followers to leader.replication.throttled.rate; cluster mode.',
  }),
  'local.retention.bytes': long(-2, { min: -2, doc: 'Bytes kept locally for tiered topics; -2 = retention.bytes.' }),
  'local.retention.ms': long(-2, { min: -2, doc: 'Time kept locally for tiered topics; -2 = retention.ms.' }),
  'max.compaction.lag.ms': long(LONG_MAX, { min: 1, doc: 'Maximum time a record may stay uncompacted.' }),
  'max.message.bytes': int(1048588, { min: 0, doc: 'Largest record batch size allowed (after compression).' }),
  'message.format.version': str(DEFAULT_MESSAGE_FORMAT_VERSION, {
    validate: messageFormatVersionValidator,
    validValues: '[0.8.0, 0.8.1, ..., 3.9-IV0] (Kafka versions)',
    doc: '[DEPRECATED] Accepted and validated as in Kafka 3.x, then ignored with a warning: the log always uses message format v2.',
  }),
  'message.timestamp.after.max.ms': long(3_600_000, { min: 0, doc: 'With CreateTime, reject batches timestamped further than this in the future (1 hour since Kafka 4.0, KIP-1030).' }),
  'message.timestamp.before.max.ms': long(LONG_MAX, { min: 0, doc: 'With CreateTime, reject batches timestamped further than this in the past.' }),
  'message.timestamp.type': str('CreateTime', { oneOf: ['CreateTime', 'LogAppendTime'], doc: 'Whether record timestamps are the create time or the log append time.' }),
  'min.cleanable.dirty.ratio': double(0.5, { min: 0, max: 1, doc: 'Minimum dirty ratio before the log is compacted.' }),
  'min.compaction.lag.ms': long(0, { min: 0, doc: 'Minimum time a record stays uncompacted.' }),
  'min.insync.replicas': int(1, { min: 1, doc: 'Minimum in-sync replicas for an acks=all write to succeed.' }),
  preallocate: bool(false, { doc: 'Preallocate segment files (accepted with a warning: segment files grow as they are written).' }),
  'remote.storage.enable': bool(false, { doc: 'Tier this topic to remote storage.' }),
  'remote.log.copy.disable': bool(false, { doc: 'Stop copying segments of this tiered topic to remote storage.' }),
  'remote.log.delete.on.disable': bool(false, { doc: 'Delete remote data when tiering is turned off for the topic.' }),
  'retention.bytes': long(-1, { doc: 'Maximum partition size before old segments are deleted; -1 = unlimited.' }),
  'retention.ms': long(604800000, { min: -1, doc: 'Time to keep a segment; -1 = forever.' }),
  'segment.bytes': int(1073741824, { min: 14, doc: 'Maximum size of a segment file.' }),
  'segment.index.bytes': int(10485760, { min: 4, doc: 'Maximum size of an offset index file.' }),
  'segment.jitter.ms': long(0, { min: 0, doc: 'Maximum random jitter subtracted from segment.ms.' }),
  'segment.ms': long(604800000, { min: 1, doc: 'Time after which a segment is rolled even if not full.' }),
  'unclean.leader.election.enable': bool(false, { doc: 'Allow out-of-sync replicas to become leader (accepted with a warning: a single broker has no out-of-sync replica).' }),
} as const;

export type TopicKeys = typeof TOPIC_KEYS;
export type TopicKey = keyof TopicKeys;

export interface BrokerSynonym {
  name: BrokerKey;
  /** Multiply the broker value by this to get the topic value (hours/minutes → ms). */
  factor?: number;
}

const HOURS = 3_600_000;
const MINUTES = 60_000;

/** Kafka's ALL_TOPIC_CONFIG_SYNONYMS, in priority order. Topic keys absent here have none. */
export const TOPIC_SYNONYMS: Partial<Record<TopicKey, readonly BrokerSynonym[]>> = {
  'segment.bytes': [{ name: 'log.segment.bytes' }],
  'segment.ms': [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', factor: HOURS }],
  'segment.jitter.ms': [{ name: 'log.roll.jitter.ms' }, { name: 'log.roll.jitter.hours', factor: HOURS }],
  'segment.index.bytes': [{ name: 'log.index.size.max.bytes' }],
  'flush.messages': [{ name: 'log.flush.interval.messages' }],
  'flush.ms': [{ name: 'log.flush.interval.ms' }, { name: 'log.flush.scheduler.interval.ms' }],
  'retention.bytes': [{ name: 'log.retention.bytes' }],
  'retention.ms': [
    { name: 'log.retention.ms' },
    { name: 'log.retention.minutes', factor: MINUTES },
    { name: 'log.retention.hours', factor: HOURS },
  ],
  'max.message.bytes': [{ name: 'message.max.bytes' }],
  'index.interval.bytes': [{ name: 'log.index.interval.bytes' }],
  'delete.retention.ms': [{ name: 'log.cleaner.delete.retention.ms' }],
  'min.compaction.lag.ms': [{ name: 'log.cleaner.min.compaction.lag.ms' }],
  'max.compaction.lag.ms': [{ name: 'log.cleaner.max.compaction.lag.ms' }],
  'file.delete.delay.ms': [{ name: 'log.segment.delete.delay.ms' }],
  'min.cleanable.dirty.ratio': [{ name: 'log.cleaner.min.cleanable.ratio' }],
  'cleanup.policy': [{ name: 'log.cleanup.policy' }],
  'unclean.leader.election.enable': [{ name: 'unclean.leader.election.enable' }],
  'min.insync.replicas': [{ name: 'min.insync.replicas' }],
  'compression.type': [{ name: 'compression.type' }],
  'compression.gzip.level': [{ name: 'compression.gzip.level' }],
  'compression.lz4.level': [{ name: 'compression.lz4.level' }],
  'compression.zstd.level': [{ name: 'compression.zstd.level' }],
  preallocate: [{ name: 'log.preallocate' }],
  'message.format.version': [{ name: 'log.message.format.version' }],
  'message.timestamp.type': [{ name: 'log.message.timestamp.type' }],
  'message.timestamp.before.max.ms': [{ name: 'log.message.timestamp.before.max.ms' }],
  'message.timestamp.after.max.ms': [{ name: 'log.message.timestamp.after.max.ms' }],
  'local.retention.ms': [{ name: 'log.local.retention.ms' }],
  'local.retention.bytes': [{ name: 'log.local.retention.bytes' }],
};

/**
 * Kafka's DynamicBrokerConfig.brokerConfigSynonyms: broker keys that feed the same setting, in
 * priority order (e.g. log.retention.ms, .minutes, .hours). Any other key is its own only synonym.
 */
export const BROKER_SYNONYM_GROUPS: readonly (readonly BrokerKey[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], // only for log.flush.interval.ms itself
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

export function brokerSynonyms(key: BrokerKey): readonly BrokerKey[] {
  if (key === 'log.flush.scheduler.interval.ms') return [key]; // as in Kafka: the fallback has no synonyms
  return BROKER_SYNONYM_GROUPS.find((g) => g.includes(key)) ?? [key];
}

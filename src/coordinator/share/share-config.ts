// The broker settings of share groups (KIP-932), read by Kafka key with Kafka's defaults as
// fallbacks, like ../consumer/consumer-config.ts.
import type { ConfigGetter } from '../common/config-getter.js';
import type { AutoOffsetReset } from './share-group-configs.js';

export interface ShareGroupConfig {
  /** group.share.record.lock.duration.ms: how long an acquired record stays locked to its member. */
  recordLockDurationMs: number;
  /** group.share.delivery.count.limit: deliveries after which a record is archived instead of redelivered. */
  deliveryCountLimit: number;
  /** group.share.partition.max.record.locks: in-flight records (SPSO..SPEO) per share partition. */
  partitionMaxRecordLocks: number;
  /** group.share.session.timeout.ms: a member that does not heartbeat for this long is removed. */
  sessionTimeoutMs: number;
  /** group.share.heartbeat.interval.ms: returned to members in every heartbeat response. */
  heartbeatIntervalMs: number;
  /** group.share.max.size: members per share group. */
  maxSize: number;
  /** share.auto.offset.reset default for groups without a group config: "latest" as in Kafka. */
  autoOffsetReset: AutoOffsetReset;
  /** share.isolation.level=read_committed (group config; Kafka's default is read_uncommitted). */
  readCommitted: boolean;
  /** share.renew.acknowledge.enable (group config; default true): renew acknowledgements allowed. */
  renewAcknowledgeEnabled: boolean;
  /** share.coordinator.snapshot.update.records.per.snapshot: ShareUpdate records between two ShareSnapshots. */
  updatesPerSnapshot: number;
}

export const DEFAULT_SHARE_GROUP_CONFIG: ShareGroupConfig = {
  recordLockDurationMs: 30000,
  deliveryCountLimit: 5,
  partitionMaxRecordLocks: 2000,
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: 200,
  autoOffsetReset: 'latest',
  readCommitted: false,
  renewAcknowledgeEnabled: true,
  updatesPerSnapshot: 500,
};

export function readShareGroupConfig(get: ConfigGetter): ShareGroupConfig {
  const value = (key: string): unknown => {
    try {
      return get(key);
    } catch {
      return undefined;
    }
  };
  const num = (key: string, fallback: number): number => {
    const v = value(key);
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  const d = DEFAULT_SHARE_GROUP_CONFIG;
  const reset = value('group.share.auto.offset.reset');
  return {
    recordLockDurationMs: num('group.share.record.lock.duration.ms', d.recordLockDurationMs),
    deliveryCountLimit: num('group.share.delivery.count.limit', d.deliveryCountLimit),
    partitionMaxRecordLocks: num('group.share.partition.max.record.locks', d.partitionMaxRecordLocks),
    sessionTimeoutMs: num('group.share.session.timeout.ms', d.sessionTimeoutMs),
    heartbeatIntervalMs: num('group.share.heartbeat.interval.ms', d.heartbeatIntervalMs),
    maxSize: num('group.share.max.size', d.maxSize),
    autoOffsetReset: reset === 'earliest' ? 'earliest' : 'latest',
    readCommitted: false,
    renewAcknowledgeEnabled: true,
    updatesPerSnapshot: num('share.coordinator.snapshot.update.records.per.snapshot', d.updatesPerSnapshot),
  };
}

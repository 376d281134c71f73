// The broker settings of KIP-848 consumer groups, with Kafka's defaults as fallbacks (like
// ../group/group-config.ts) so the coordinator works whether or not a key is defined yet.

export interface ConsumerGroupConfig {
  /** group.coordinator.rebalance.protocols includes "consumer": ConsumerGroupHeartbeat is served. */
  enabled: boolean;
  /** group.consumer.session.timeout.ms: a member that does not heartbeat for this long is removed. */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms: returned to members in every heartbeat response. */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size: members per consumer group. */
  maxSize: number;
  /** group.consumer.assignors: server-side assignors, the first is the default. */
  assignors: string[];
}

const INT_MAX = 2147483647;

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = {
  enabled: true,
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: INT_MAX,
  assignors: ['uniform', 'range'],
};

/** Reads the settings through `get` (BrokerConfig.get); unknown (throws) or unset keys fall back to Kafka's defaults. */
export function readConsumerGroupConfig(get: (key: string) => unknown): ConsumerGroupConfig {
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
  const list = (key: string, fallback: string[]): string[] => {
    const v = value(key);
    if (Array.isArray(v)) return v.map(String).map((s) => s.trim()).filter((s) => s !== '');
    if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return fallback;
  };
  const d = DEFAULT_CONSUMER_GROUP_CONFIG;
  const protocols = list('group.coordinator.rebalance.protocols', ['classic', 'consumer']).map((s) => s.toLowerCase());
  return {
    enabled: protocols.includes('consumer'),
    sessionTimeoutMs: num('group.consumer.session.timeout.ms', d.sessionTimeoutMs),
    heartbeatIntervalMs: num('group.consumer.heartbeat.interval.ms', d.heartbeatIntervalMs),
    maxSize: num('group.consumer.max.size', d.maxSize),
    assignors: list('group.consumer.assignors', d.assignors),
  };
}

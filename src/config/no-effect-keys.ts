// Broker keys Tributary accepts (so existing server.properties files and Kafka tooling work) but
// does not act on. Only keys that Kafka itself could ignore without changing what a client sees
// on a single broker belong here: thread counts (Node runs one event loop), replication tuning
// (one broker, no followers), kernel socket buffers Node cannot set. Setting one logs a warning
// at startup; keys whose absence would change behaviour must be implemented or refused instead.

export const NO_EFFECT_KEYS: Readonly<Record<string, string>> = {
  'num.network.threads': 'one event loop does all network I/O',
  'num.io.threads': 'requests are handled on one event loop',
  'num.recovery.threads.per.data.dir': 'logs are recovered on one event loop',
  'num.replica.fetchers': 'a single broker has no followers',
  'log.cleaner.threads': 'one cleaner compacts logs in turn',
  'log.preallocate': 'segment files grow as they are written',
  'socket.send.buffer.bytes': 'Node cannot set SO_SNDBUF on TCP sockets; the kernel auto-tunes it',
  'socket.receive.buffer.bytes': 'Node cannot set SO_RCVBUF on TCP sockets; the kernel auto-tunes it',
  'replica.fetch.max.bytes': 'a single broker has no followers',
  'replica.lag.time.max.ms': 'a single broker has no followers; the ISR is the leader',
  'offsets.topic.replication.factor': '__consumer_offsets has one replica on a single broker',
  'transaction.state.log.replication.factor': '__transaction_state has one replica on a single broker',
  'transaction.state.log.min.isr': 'the ISR of __transaction_state is its one replica',
  'offsets.commit.timeout.ms': 'a single broker has no replicas to wait for',
  'request.timeout.ms': 'a single broker has no replicas to wait for (in a cluster it bounds __transaction_state writes)',
  'inter.broker.listener.name': 'a single broker talks to no other broker',
  'unclean.leader.election.enable': 'a single broker has no out-of-sync replica to elect',
  'remote.log.storage.system.enable': 'every topic with remote.storage.enable=true is tiered',
  'compression.lz4.level': "lz4-napi's frame encoder has no level; lz4 output always uses its default level",
  'replica.alter.log.dirs.io.max.bytes.per.second': 'a replica is never moved between the log dirs of one broker',
};

/**
 * Topic keys in the same situation, warned about when a CreateTopics or AlterConfigs sets them
 * (their broker synonyms, log.preallocate etc., are in NO_EFFECT_KEYS above).
 */
export const NO_EFFECT_TOPIC_KEYS: Readonly<Record<string, string>> = {
  preallocate: 'segment files grow as they are written',
  'unclean.leader.election.enable': 'a single broker has no out-of-sync replica to elect',
  'leader.replication.throttled.replicas': 'a single broker has no followers to throttle',
  'follower.replication.throttled.replicas': 'a single broker has no followers to throttle',
  'compression.lz4.level': "lz4-napi's frame encoder has no level; lz4 output always uses its default level",
};

/** Topic keys that do act in cluster mode: the KIP-73 replication throttles. */
const CLUSTER_TOPIC_KEYS = new Set(['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);

/** Warnings for the no-effect keys `next` sets to a value other than the one in `current`. */
export function noEffectTopicWarnings(topic: string, current: Readonly<Record<string, string>>, next: Readonly<Record<string, string | null>>, clustered = false): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(next)) {
    if (clustered && CLUSTER_TOPIC_KEYS.has(key)) continue;
    const why = NO_EFFECT_TOPIC_KEYS[key];
    if (why === undefined || value === null || value === current[key]) continue;
    out.push(`The topic configuration '${key}' of '${topic}' is accepted for compatibility but has no effect in Tributary: ${why}`);
  }
  return out;
}

/** Keys that do act in cluster mode (tributary.metadata.store set): replication, leader election, the internal topics' replicas. */
const CLUSTER_KEYS = new Set([
  'replica.fetch.max.bytes',
  'replica.lag.time.max.ms',
  'unclean.leader.election.enable',
  'offsets.topic.replication.factor',
  'transaction.state.log.replication.factor',
  'transaction.state.log.min.isr',
  'offsets.commit.timeout.ms',
  'request.timeout.ms',
  'inter.broker.listener.name',
]);

export function noEffectWarning(key: string, where: string | undefined, clustered = false): string | null {
  if (clustered && CLUSTER_KEYS.has(key)) return null;
  const why = NO_EFFECT_KEYS[key];
  if (why === undefined) return null;
  return `The configuration '${key}' is accepted for compatibility but has no effect in Tributary: ${why}${where ? ` (from ${where})` : ''}`;
}

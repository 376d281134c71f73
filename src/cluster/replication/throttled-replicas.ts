// KIP-73 topic configs `leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`:
// `*` (every replica of the topic) or a list of `partitionId:brokerId`. Validated as Kafka's
// ThrottledReplicaListValidator (message included, so AlterConfigs answers INVALID_CONFIG with the
// same text); parsed as Kafka's TopicConfigHandler.parseThrottledPartitions: the partitions whose
// entry names this broker.

/** Every partition of the topic (`*`). */
export const ALL_REPLICAS = '*';

export type ThrottledPartitions = typeof ALL_REPLICAS | ReadonlySet<number>;

const ENTRY = /^([0-9]+:[0-9]+)?$/;

/** Null when valid, else Kafka's expectation for `name`. */
export function throttledReplicasError(name: string, items: readonly string[]): string | null {
  const trimmed = items.map((s) => s.trim());
  if (trimmed.every((s) => ENTRY.test(s)) || trimmed.join('') === ALL_REPLICAS) return null;
  return `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
}

/** The validator for the two topic keys (a list-typed ConfigDef validator). */
export function throttledReplicasValidator(name: string): (value: unknown) => string | null {
  return (v) => (v === null ? null : throttledReplicasError(name, v as string[]));
}

/** The partitions of a topic throttled on `brokerId`, from the config's (already valid) entries; null: none. */
export function parseThrottledPartitions(items: readonly string[], brokerId: number): ThrottledPartitions | null {
  const trimmed = items.map((s) => s.trim()).filter((s) => s !== '');
  if (trimmed.length === 0) return null;
  if (trimmed.join('') === ALL_REPLICAS) return ALL_REPLICAS;
  const out = new Set<number>();
  for (const entry of trimmed) {
    const [partition, broker] = entry.split(':');
    if (Number(broker) === brokerId) out.add(Number(partition));
  }
  return out.size === 0 ? null : out;
}

// Topic name rules, as Kafka's org.apache.kafka.common.internals.Topic.
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Returns why `name` is not a legal topic name, or null when it is. */
export function invalidTopicNameReason(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** '.' and '_' collide in metric names, so Kafka refuses topics that differ only by them. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_');
}

export function isInternalTopic(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}

/**
 * Topics only the broker writes: Kafka's internal topics plus the aggregation stage's bookkeeping
 * (its per-aggregation changelogs and the status topic). Clients can neither produce to them
 * (INVALID_TOPIC_EXCEPTION), nor delete or auto-create them. Unlike Kafka's internal topics they
 * are not flagged `isInternal` in Metadata: clients (e.g. @platformatic/kafka) skip internal
 * topics entirely, and the stage's own CLI reads these through the Kafka protocol.
 * `__tributary_aggregations` (definitions) is deliberately writable: producing to it is how the
 * CLI and other tools manage aggregations.
 */
export function isBrokerOwnedTopic(name: string): boolean {
  if (isInternalTopic(name)) return true;
  if (!name.startsWith('__tributary_aggregation_')) return false;
  return name === '__tributary_aggregation_status' || name.endsWith('_changelog');
}


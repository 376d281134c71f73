// Kafka's client quota entities and keys (KIP-55, KIP-546, KIP-612): an entity is a set of
// (type, name) pairs, name null meaning the type's <default>; users and client ids combine, an
// IP stands alone. Validation returns Kafka's INVALID_REQUEST messages (ClientQuotaControlManager).

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** Keys valid for user / client-id entities, and whether their value must be an integer (Kafka's LONG). */
const CLIENT_KEYS = new Map<string, boolean>([
  [PRODUCER_BYTE_RATE, true],
  [CONSUMER_BYTE_RATE, true],
  [REQUEST_PERCENTAGE, false],
  [CONTROLLER_MUTATION_RATE, false],
]);
const IP_KEYS = new Map<string, boolean>([[CONNECTION_CREATION_RATE, true]]);

/** type -> name (null = default), at most one name per type. */
export type QuotaEntity = ReadonlyMap<string, string | null>;

/** A stable key for an entity: its pairs sorted by type. */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify([...entity].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function entityFromKey(key: string): QuotaEntity {
  return new Map(JSON.parse(key) as [string, string | null][]);
}

/** The entity named by a request's pairs, or Kafka's reason for refusing it. */
export function parseEntity(pairs: readonly { entityType: string; entityName: string | null }[]): QuotaEntity | string {
  if (pairs.length === 0) return 'Invalid empty client quota entity';
  const entity = new Map<string, string | null>();
  for (const { entityType, entityName } of pairs) {
    if (entity.has(entityType)) return `Invalid empty client quota entity, duplicate entity entry ${entityType}`;
    if (entityType !== USER && entityType !== CLIENT_ID && entityType !== IP) return `Unhandled client quota entity type: ${entityType}`;
    if (entityName !== null && entityName.length === 0) return `Empty ${entityType} not supported`;
    entity.set(entityType, entityName);
  }
  if (entity.has(IP) && entity.size > 1) return 'Invalid quota entity combination, IP entity should not be combined with User or ClientId';
  // A host name is checked by resolving it (ip-entity.ts), which the handler does asynchronously.
  return entity;
}

/** Why `key=value` is not a valid quota for the entity, or null. */
export function invalidQuotaValue(entity: QuotaEntity, key: string, value: number): string | null {
  const integral = (entity.has(IP) ? IP_KEYS : CLIENT_KEYS).get(key);
  if (integral === undefined) return `Invalid configuration key ${key}`;
  if (!Number.isFinite(value)) return `Configuration ${key} must be a finite number`;
  if (integral && Math.abs(Math.round(value) - value) > 1e-6) return `Configuration ${key} must be a ${key === CONNECTION_CREATION_RATE ? 'Int' : 'Long'} value`;
  if (value <= 0) return `Configuration ${key} must be positive`;
  return null;
}

/** `user=alice, client-id=<default>` (log and CLI form). */
export function describeEntity(entity: QuotaEntity): string {
  return [...entity].map(([t, n]) => `${t}=${n ?? '<default>'}`).join(', ');
}

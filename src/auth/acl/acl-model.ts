// Kafka's ACL model (org.apache.kafka.common.acl / resource): the numeric codes that travel in
// CreateAcls / DescribeAcls / DeleteAcls, bindings, and filters with Kafka's matching rules.
//
//   binding = (resourceType, resourceName, patternType LITERAL|PREFIXED)
//           + (principal "User:alice" | "User:*", host "1.2.3.4" | "*", operation, ALLOW|DENY)

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The cluster resource's only name. */
export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** null = any (DescribeAcls / DeleteAcls filters). */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

const CONCRETE_RESOURCES: readonly number[] = [ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID, ResourceType.DELEGATION_TOKEN, ResourceType.USER];
const CONCRETE_OPERATIONS: readonly number[] = Object.values(AclOperation).filter((o) => o >= AclOperation.ALL);

/** Why a binding cannot be created (Kafka's CreateAcls validation), or null. */
export function invalidBindingReason(b: AclBinding): string | null {
  if (!CONCRETE_RESOURCES.includes(b.resourceType)) return 'Invalid resource type';
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return 'Invalid pattern type';
  if (b.resourceName.length === 0) return 'Resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_NAME || b.patternType !== PatternType.LITERAL)) {
    return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  }
  if (!CONCRETE_OPERATIONS.includes(b.operation)) return 'Invalid operation';
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return 'Invalid permission type';
  if (!/^[^:]+:.+$/.test(b.principal)) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (b.host.length === 0) return 'Host must not be empty';
  return null;
}

/** Kafka's AclBindingFilter.matches: null / ANY match everything; MATCH in a filter matches any pattern that would apply to the name. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== PermissionType.ANY && f.permissionType !== b.permissionType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

/** Why a filter is unusable (Kafka: DescribeAcls/DeleteAcls INVALID_REQUEST), or null. */
export function invalidFilterReason(f: AclFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN || f.patternType === PatternType.UNKNOWN) return 'The filter has an UNKNOWN resource or pattern type';
  if (f.operation === AclOperation.UNKNOWN || f.permissionType === PermissionType.UNKNOWN) return 'The filter has an UNKNOWN operation or permission type';
  return null;
}

export const bindingKey = (b: AclBinding) => JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);

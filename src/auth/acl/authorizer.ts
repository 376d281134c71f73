// ACL checks with the semantics of Kafka's StandardAuthorizer (and AclAuthorizer, which agrees):
//
//   1. a principal in super.users may do anything;
//   2. the ACLs that apply to a request are those whose resource pattern matches the resource
//      (LITERAL name, LITERAL "*", or a PREFIXED prefix of the name), whose principal is the
//      caller's or User:*, and whose host is the caller's address or "*";
//   3. a matching DENY for the operation (or ALL) wins;
//   4. else a matching ALLOW for the operation, ALL, or an operation implying it allows:
//      READ, WRITE, DELETE, ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS;
//   5. else, when no ACL at all names the resource, allow.everyone.if.no.acl.found decides;
//   6. else deny.
//
// Decisions are cached per (principal, host, operation, resource) until the ACLs change, so the
// produce and fetch paths pay a map lookup per topic.
import { AclOperation, PatternType, PermissionType, ResourceType, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding } from './acl-model.js';
import type { AclStore } from './acl-store.js';

/** Kafka's authorizer classes, accepted as-is so existing server.properties files work. */
export const KAFKA_AUTHORIZER_CLASSES = [
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
] as const;

const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.DESCRIBE, [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]],
  [AclOperation.DESCRIBE_CONFIGS, [AclOperation.ALTER_CONFIGS]],
]);

const MAX_CACHED_DECISIONS = 50_000;

export interface AuthorizerOptions {
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
}

export class Authorizer {
  private readonly superUsers: Set<string>;
  private byType = new Map<number, AclBinding[]>();
  private indexedVersion = -1;
  private readonly cache = new Map<string, boolean>();

  constructor(
    private readonly store: AclStore,
    private readonly opts: AuthorizerOptions,
  ) {
    this.superUsers = new Set(opts.superUsers);
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    this.refresh();
    const key = `${principal}\u0000${host}\u0000${operation}\u0000${resourceType}\u0000${name}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const decision = this.decide(principal, host, operation, resourceType, name);
    if (this.cache.size >= MAX_CACHED_DECISIONS) this.cache.clear();
    this.cache.set(key, decision);
    return decision;
  }

  /**
   * Kafka's authorizeByResourceType: could the caller do `operation` on some resource of this
   * type? (InitProducerId without a transactional id accepts WRITE on any topic, KIP-679.)
   */
  authorizeAny(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.superUsers.has(principal)) return true;
    this.refresh();
    const acls = (this.byType.get(resourceType) ?? []).filter((b) => this.appliesTo(b, principal, host));
    const denied = (b: AclBinding) => b.permissionType === PermissionType.DENY && (b.operation === operation || b.operation === AclOperation.ALL);
    // A DENY on every resource of the type (LITERAL "*" or PREFIXED "") rules everything out.
    if (acls.some((b) => denied(b) && ((b.patternType === PatternType.LITERAL && b.resourceName === WILDCARD) || (b.patternType === PatternType.PREFIXED && b.resourceName === '')))) {
      return false;
    }
    if (acls.some((b) => b.permissionType === PermissionType.ALLOW && (b.operation === operation || b.operation === AclOperation.ALL))) return true;
    return this.opts.allowEveryoneIfNoAclFound && (this.byType.get(resourceType) ?? []).length === 0;
  }

  private refresh(): void {
    if (this.indexedVersion === this.store.version) return;
    const byType = new Map<number, AclBinding[]>();
    for (const b of this.store.all()) {
      let list = byType.get(b.resourceType);
      if (!list) byType.set(b.resourceType, (list = []));
      list.push(b);
    }
    this.byType = byType;
    this.cache.clear();
    this.indexedVersion = this.store.version;
  }

  private appliesTo(b: AclBinding, principal: string, host: string): boolean {
    return (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD);
  }

  private decide(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    let foundResourceAcl = false;
    let allowed = false;
    const implying = IMPLIED_BY.get(operation) ?? [];
    for (const b of this.byType.get(resourceType) ?? []) {
      const resourceMatches =
        b.patternType === PatternType.LITERAL ? b.resourceName === name || b.resourceName === WILDCARD : b.patternType === PatternType.PREFIXED && name.startsWith(b.resourceName);
      if (!resourceMatches) continue;
      foundResourceAcl = true;
      if (!this.appliesTo(b, principal, host)) continue;
      if (b.permissionType === PermissionType.DENY) {
        if (b.operation === operation || b.operation === AclOperation.ALL) return false;
      } else if (b.operation === operation || b.operation === AclOperation.ALL || implying.includes(b.operation)) {
        allowed = true;
      }
    }
    if (allowed) return true;
    return !foundResourceAcl && this.opts.allowEveryoneIfNoAclFound;
  }
}

export { ResourceType };

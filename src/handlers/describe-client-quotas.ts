// DescribeClientQuotas (48): the stored quotas of the entities matching a filter, with Kafka's
// filter semantics (ClientQuotasImage.describe): per entity type one component, EXACT (a name),
// DEFAULT (the <default> entity) or SPECIFIED (any entity of that type); `strict` keeps only
// entities with no other types. Needs DESCRIBE_CONFIGS on the cluster.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeClientQuotasRequestComponentData, DescribeClientQuotasResponse } from '../../protocol/generated/describe-client-quotas.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { defineHandler } from '../network/request-context.js';
import { CLIENT_ID, IP, USER, type QuotaEntity } from '../quota/quota-entity.js';
import type { QuotaDeps } from './handler-deps-quotas.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

const failure = (errorCode: number, errorMessage: string | null): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });

interface Filter {
  /** type -> name (null: the default entity) */
  exact: Map<string, string | null>;
  /** types matched with any name */
  any: Set<string>;
}

/** The filter, or [error code, message] as Kafka answers a bad one. */
function parseFilter(components: readonly DescribeClientQuotasRequestComponentData[]): Filter | [number, string] {
  const f: Filter = { exact: new Map(), any: new Set() };
  for (const c of components) {
    if (c.entityType.length === 0) return [ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.'];
    if (f.exact.has(c.entityType) || f.any.has(c.entityType)) return [ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`];
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) return [ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`];
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'];
      f.exact.set(c.entityType, c.match);
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) return [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'];
      f.exact.set(c.entityType, null);
    } else if (c.matchType === MATCH_SPECIFIED) {
      if (c.match !== null) return [ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'];
      f.any.add(c.entityType);
    } else {
      return [ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`];
    }
  }
  const has = (t: string) => f.exact.has(t) || f.any.has(t);
  if (has(IP) && (has(USER) || has(CLIENT_ID))) {
    return [ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.'];
  }
  return f;
}

function matches(f: Filter, entity: QuotaEntity, strict: boolean): boolean {
  for (const [type, name] of f.exact) if (!entity.has(type) || entity.get(type) !== name) return false;
  for (const type of f.any) if (!entity.has(type)) return false;
  // No components and not strict: everything. Strict: exactly the filtered types.
  return !strict || entity.size === f.exact.size + f.any.size;
}

export function describeClientQuotasHandler(deps: QuotaDeps) {
  return defineHandler(Api.DescribeClientQuotas, {
    handle(ctx, req): DescribeClientQuotasResponse {
      if (!authorized(deps, ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) return failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const f = parseFilter(req.components);
      if (Array.isArray(f)) return failure(f[0], f[1]);
      const entries = deps.quotaStore
        .all()
        .filter((e) => matches(f, e.entity, req.strict))
        .map((e) => ({
          entity: [...e.entity].map(([entityType, entityName]) => ({ entityType, entityName })),
          values: [...e.quotas].map(([key, value]) => ({ key, value })),
        }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
    },
    errorResponse: (_req, errorCode) => failure(errorCode, null),
  });
}

// CreateAcls (30): adds ACL bindings, persisted before the answer (src/auth/acl). Needs ALTER on
// the cluster; without an authorizer Kafka answers SECURITY_DISABLED. Each creation gets its own
// result, INVALID_REQUEST with Kafka's reason for a malformed binding.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { CreateAclsRequest, CreateAclsResponse } from '../../protocol/generated/create-acls.js';
import { AclOperation, CLUSTER_NAME, invalidBindingReason, ResourceType, type AclBinding } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { defineHandler } from '../network/request-context.js';
import type { AclDeps } from './handler-deps.js';

export function createAclsHandler(deps: AclDeps) {
  const all = (req: CreateAclsRequest, errorCode: number, errorMessage: string | null): CreateAclsResponse => ({
    throttleTimeMs: 0,
    results: req.creations.map(() => ({ errorCode, errorMessage })),
  });
  return defineHandler(Api.CreateAcls, {
    async handle(ctx, req): Promise<CreateAclsResponse> {
      if (!deps.authorizer) return all(req, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
      if (!authorized(deps, ctx, AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) return all(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const results = req.creations.map((c) => {
        const binding: AclBinding = {
          resourceType: c.resourceType,
          resourceName: c.resourceName,
          patternType: c.resourcePatternType,
          principal: c.principal,
          host: c.host,
          operation: c.operation,
          permissionType: c.permissionType,
        };
        const reason = invalidBindingReason(binding);
        return { binding, errorCode: reason === null ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST, errorMessage: reason };
      });
      const valid = results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.binding);
      if (valid.length > 0) await deps.acls.change(valid, []);
      deps.logger.info('ACLs created', { principal: ctx.connection.principal, count: valid.length });
      return { throttleTimeMs: 0, results: results.map(({ errorCode, errorMessage }) => ({ errorCode, errorMessage })) };
    },
    errorResponse: (req, errorCode) => all(req, errorCode, null),
  });
}

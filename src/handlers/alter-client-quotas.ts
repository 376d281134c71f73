// AlterClientQuotas (49): sets and removes quota keys per entity, as Kafka's controller does
// (ClientQuotaControlManager): each entity is validated on its own (entity types and their
// combination, keys valid for that entity, integer keys integral) and answers its own error;
// the valid ones are applied together in one persisted step, unless validateOnly. Needs
// ALTER_CONFIGS on the cluster.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { AlterClientQuotasResponse, AlterClientQuotasResponseEntryData } from '../../protocol/generated/alter-client-quotas.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';
import { defineHandler } from '../network/request-context.js';
import { describeEntity, entityKey, invalidQuotaValue, IP, parseEntity } from '../quota/quota-entity.js';
import { resolveIpEntity, unresolvableIpMessage } from '../quota/ip-entity.js';
import type { QuotaAlteration } from '../quota/quota-store.js';
import type { QuotaDeps } from './handler-deps-quotas.js';

export function alterClientQuotasHandler(deps: QuotaDeps) {
  return defineHandler(Api.AlterClientQuotas, {
    async handle(ctx, req): Promise<AlterClientQuotasResponse> {
      const answer = (e: { entity: AlterClientQuotasResponseEntryData['entity'] }, errorCode: number, errorMessage: string | null): AlterClientQuotasResponseEntryData => ({
        errorCode,
        errorMessage,
        entity: e.entity,
      });
      if (!authorized(deps, ctx, AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) {
        return { throttleTimeMs: 0, entries: req.entries.map((e) => answer(e, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)) };
      }
      const results: AlterClientQuotasResponseEntryData[] = [];
      const alterations: QuotaAlteration[] = [];
      const applied: number[] = [];
      const seen = new Set<string>();
      for (const e of req.entries) {
        const fail = (message: string) => results.push(answer(e, ErrorCode.INVALID_REQUEST, message));
        const entity = parseEntity(e.entity);
        if (typeof entity === 'string') {
          fail(entity);
          continue;
        }
        const ip = entity.get(IP);
        if (ip != null && (await resolveIpEntity(ip)) === null) {
          fail(unresolvableIpMessage(ip));
          continue;
        }
        const key = entityKey(entity);
        if (seen.has(key)) {
          fail(`Ignoring duplicate entity ${describeEntity(entity)}`);
          continue;
        }
        seen.add(key);
        const values = new Map<string, number | null>();
        let error: string | null = null;
        for (const op of e.ops) {
          if (values.has(op.key)) error ??= `Duplicate quota key ${op.key} not updating quota for this entity ${describeEntity(entity)}`;
          else if (op.remove) values.set(op.key, null);
          else {
            error ??= invalidQuotaValue(entity, op.key, op.value);
            values.set(op.key, op.value);
          }
        }
        if (error !== null) {
          fail(error);
          continue;
        }
        applied.push(results.length);
        results.push(answer(e, ErrorCode.NONE, null));
        alterations.push({ entity, values });
      }
      if (!req.validateOnly && alterations.length > 0) {
        try {
          await deps.quotaStore.alter(alterations);
          deps.logger.info('client quotas altered', {
            principal: ctx.connection.principal,
            entities: alterations.map((a) => describeEntity(a.entity)),
          });
        } catch (err) {
          deps.logger.error('client quotas could not be persisted', { error: (err as Error).message });
          for (const i of applied) results[i] = { ...results[i]!, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The quotas could not be persisted' };
        }
      }
      return { throttleTimeMs: 0, entries: results };
    },
    errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })) }),
  });
}

// IncrementalAlterConfigs (v0-1, KIP-339): SET / DELETE / APPEND / SUBTRACT on single keys of a
// TOPIC or BROKER resource; everything not named keeps its value. APPEND and SUBTRACT work on LIST
// keys only (cleanup.policy, ...), starting from the current dynamic value or else the key's
// default, exactly as Kafka's ConfigurationControlManager does. Validation and applying are shared
// with AlterConfigs (alter-configs.ts).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type {
  IncrementalAlterConfigsRequestAlterableConfig as AlterableConfig,
  IncrementalAlterConfigsResponse,
} from '../../protocol/generated/incremental-alter-configs.js';
import { brokerDef, isBrokerKey, isTopicKey, topicDef, type ConfigDef } from '../config/definitions.js';
import { formatValue } from '../config/parse-value.js';
import { defineHandler } from '../network/request-context.js';
import { alterConfigResource, fail, failedResource, type ConfigAdmin, preprocessResources, type AlterOutcome, type ConfigKind } from './alter-configs.js';

export const OP_SET = 0;
export const OP_DELETE = 1;
export const OP_APPEND = 2;
export const OP_SUBTRACT = 3;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

export function incrementalAlterConfigsHandler(broker: ConfigAdmin) {
  return defineHandler(Api.IncrementalAlterConfigs, {
    errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r) => failedResource(r, errorCode)) }),
    async handle(_ctx, req): Promise<IncrementalAlterConfigsResponse> {
      const rejected = preprocessResources(req.resources, (i) =>
        req.resources[i]!.configs.filter((c) => c.configOperation !== OP_DELETE && c.value === null).map((c) => c.name),
      );
      const responses = [];
      for (const [i, r] of req.resources.entries()) {
        const outcome =
          rejected.get(i) ??
          (await alterConfigResource(broker, r.resourceType, r.resourceName, (current, kind) => applyOps(current, r.configs, kind), req.validateOnly));
        responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { throttleTimeMs: 0, responses };
    },
  });
}

/** The resource's dynamic set after the operations, in request order. */
export function applyOps(
  current: Readonly<Record<string, string>>,
  ops: readonly AlterableConfig[],
  kind: ConfigKind,
): { configs: Record<string, string> } | { error: AlterOutcome } {
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.configOperation) {
      case OP_SET:
        next[op.name] = op.value!;
        break;
      case OP_DELETE:
        delete next[op.name];
        break;
      case OP_APPEND:
      case OP_SUBTRACT: {
        const def = keyDef(op.name, kind);
        if (def?.type !== 'list') {
          return { error: fail(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.`) };
        }
        const parts = splitList(Object.hasOwn(next, op.name) ? next[op.name]! : formatValue('list', def.default));
        for (const v of op.value!.split(',')) {
          if (op.configOperation === OP_APPEND) {
            if (!parts.includes(v)) parts.push(v);
          } else {
            const at = parts.indexOf(v);
            if (at >= 0) parts.splice(at, 1);
          }
        }
        next[op.name] = parts.join(',');
        break;
      }
      default:
        return { error: fail(ErrorCode.INVALID_REQUEST, `Unknown operation type ${op.configOperation}`) };
    }
  }
  return { configs: next };
}

function keyDef(name: string, kind: ConfigKind): ConfigDef | undefined {
  if (kind === 'group') return undefined; // no share.* group key is a LIST
  if (kind === 'topic') return isTopicKey(name) ? topicDef(name) : undefined;
  return isBrokerKey(name) ? brokerDef(name) : undefined;
}

/** Kafka's getParts: comma-separated, empty parts dropped, no trimming. */
function splitList(value: string | null): string[] {
  if (value === null) return [];
  return value.split(',').filter((s) => s.length > 0);
}

// AlterConfigs (legacy, v0-2): replaces the whole set of dynamic configs of a TOPIC (its
// overrides) or a BROKER resource ("<node.id>" = this broker, "" = the cluster-wide default).
// Keys left out of the request are removed, as in Kafka; IncrementalAlterConfigs is the safe way
// to change one key. Also home of the steps both alter APIs share: request-level checks, resource
// resolution, validation and applying the new set (alterConfigResource).
//
//   error                                          code                  as Kafka (KRaft)
//   ──────────────────────────────────────────────  ────────────────────  ─────────────────────────────
//   resource named twice / duplicate keys / null    INVALID_REQUEST 42    ConfigAdminManager.preprocess
//   topic "" / illegal topic name                   INVALID_REQUEST / INVALID_TOPIC_EXCEPTION
//   bad topic key or value                          INVALID_CONFIG 40     ControllerConfigurationValidator
//   unknown topic (checked after the values)        UNKNOWN_TOPIC_OR_PARTITION 3
//   bad / read-only / per-broker-only broker key    INVALID_REQUEST 42    validateBrokerConfigChange wraps
//                                                                         every failure (KAFKA-13609)
//   BROKER name not this node                       INVALID_REQUEST 42
import { ClusterTopicError } from '../cluster/topic-manager.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { AlterConfigsResponse } from '../../protocol/generated/alter-configs.js';
import { ConfigError } from '../config/broker-config.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import { remoteStorageChangeError } from '../config/remote-storage-rules.js';
import { noEffectTopicWarnings } from '../config/no-effect-keys.js';
import { ignoredTopicMessageFormatWarning } from '../config/message-format-version.js';
import type { DynamicConfigStore, DynamicScope } from '../metadata/dynamic-config-store.js';
import { invalidTopicNameReason } from '../metadata/topic-name.js';
import type { TopicRecord } from '../metadata/topic-registry.js';
import { defineHandler } from '../network/request-context.js';
import type { ShareGroupConfigs } from '../coordinator/share/share-group-configs.js';
import { RESOURCE_BROKER, RESOURCE_GROUP, RESOURCE_TOPIC } from './describe-configs.js';
import type { ConfigReader, HasLogger } from './handler-deps.js';

/** What altering TOPIC and BROKER configs touches (both alter APIs). */
export interface ConfigAdmin extends ConfigReader, HasLogger {
  readonly nodeId: number;
  readonly topics: { get(name: string): TopicRecord | undefined };
  readonly dynamicConfigs: Pick<DynamicConfigStore, 'values' | 'replace'>;
  /** Persists a topic's complete override set (the topic manager's method). */
  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** Re-resolves every topic's config after broker-level defaults changed. */
  refreshTopicConfigs(): void;
  /** GROUP resources (share.* group configs), served by the share service once it started. */
  readonly shareService?: { readonly groupConfigs: Pick<ShareGroupConfigs, 'alter'> } | null;
}

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export const OK: AlterOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

export const fail = (errorCode: number, errorMessage: string): AlterOutcome => ({ errorCode, errorMessage });

/** A resource's answer when the whole request fails (Kafka's getErrorResponse: the code on every resource). */
export function failedResource(r: { resourceType: number; resourceName: string }, errorCode: number) {
  return { errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
}

/** Which kind of resource a config set belongs to, for key lookups in the ops. */
export type ConfigKind = 'topic' | 'broker' | 'group';

/**
 * Computes the complete new config set of a resource from its current dynamic set, or says why
 * it cannot (IncrementalAlterConfigs' APPEND on a non-list key).
 */
export type NextConfigs = (current: Readonly<Record<string, string>>, kind: ConfigKind) => { configs: Record<string, string> } | { error: AlterOutcome };

interface ResourceRef {
  resourceType: number;
  resourceName: string;
  configs: { name: string }[];
}

/**
 * The checks Kafka's ConfigAdminManager.preprocess makes before touching anything: a resource may
 * appear once per request, a key once per resource, and values may only be null where the
 * operation allows it. Returns an error per rejected resource (by index).
 */
export function preprocessResources(resources: readonly ResourceRef[], nullValueNames: (i: number) => string[]): Map<number, AlterOutcome> {
  const errors = new Map<number, AlterOutcome>();
  const firstIndex = new Map<string, number>();
  resources.forEach((r, i) => {
    const id = `${r.resourceType}\u0000${r.resourceName}`;
    const prev = firstIndex.get(id);
    if (prev === undefined) {
      firstIndex.set(id, i);
      return;
    }
    const dup = fail(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.');
    errors.set(prev, dup);
    errors.set(i, dup);
  });
  resources.forEach((r, i) => {
    if (errors.has(i)) return;
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) {
      errors.set(i, fail(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'));
      return;
    }
    const nulls = nullValueNames(i);
    if (nulls.length > 0) errors.set(i, fail(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`));
  });
  return errors;
}

/** Resolves a TOPIC or BROKER resource, validates the new set `next` computes, and applies it unless validateOnly. */
export async function alterConfigResource(
  broker: ConfigAdmin,
  resourceType: number,
  resourceName: string,
  next: NextConfigs,
  validateOnly: boolean,
): Promise<AlterOutcome> {
  if (resourceType === RESOURCE_TOPIC) return alterTopic(broker, resourceName, next, validateOnly);
  if (resourceType === RESOURCE_BROKER) return alterBroker(broker, resourceName, next, validateOnly);
  if (resourceType === RESOURCE_GROUP && broker.shareService) return broker.shareService.groupConfigs.alter(resourceName, (current) => next(current, 'group'), validateOnly);
  return fail(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resourceType}`);
}

/** In Kafka's order (ConfigurationControlManager.validateAlterConfig): name, new values, then existence. */
async function alterTopic(broker: ConfigAdmin, name: string, next: NextConfigs, validateOnly: boolean): Promise<AlterOutcome> {
  if (name === '') return fail(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const badName = invalidTopicNameReason(name);
  if (badName !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, badName);
  const t = broker.topics.get(name);
  const computed = next(t?.configs ?? {}, 'topic');
  if ('error' in computed) return computed.error;
  const overrides = computed.configs;
  const problems = validateTopicConfigs(overrides);
  if (problems.length > 0) return fail(ErrorCode.INVALID_CONFIG, problems.map((p) => p.error).join('; '));
  if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  const remoteRule = remoteStorageChangeError(broker.config, t.configs, overrides);
  if (remoteRule !== null) return fail(ErrorCode.INVALID_CONFIG, remoteRule);
  if (validateOnly) return OK;
  try {
    // No await between reading t.configs (in `next`) and this call: concurrent alters of one
    // topic cannot lose each other's keys.
    await broker.alterTopicConfigs(name, overrides);
  } catch (err) {
    // Cluster mode: the controller's answer (UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER, ...).
    if (err instanceof ClusterTopicError) return fail(err.errorCode, err.message);
    broker.logger.error('altering topic configs failed', { topic: name, error: (err as Error).message });
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
  }
  broker.logger.info('topic configs altered', { topic: name, configs: overrides });
  for (const w of noEffectTopicWarnings(name, t.configs, overrides, broker.config.get('tributary.metadata.store') !== '')) broker.logger.warn(w);
  const format = overrides['message.format.version'];
  if (format !== undefined && format !== null && format !== t.configs['message.format.version']) {
    broker.logger.warn(ignoredTopicMessageFormatWarning(name, format));
  }
  return OK;
}

async function alterBroker(broker: ConfigAdmin, name: string, next: NextConfigs, validateOnly: boolean): Promise<AlterOutcome> {
  let scope: DynamicScope = 'cluster';
  if (name !== '') {
    if (!/^-?\d+$/.test(name)) return fail(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
    if (Number(name) !== broker.nodeId) return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId}, but received ${name}`);
    scope = 'broker';
  }
  const current = broker.dynamicConfigs.values(scope);
  const computed = next(current, 'broker');
  if ('error' in computed) return computed.error;
  const values = computed.configs;
  const changes: Record<string, string | null> = {};
  for (const k of Object.keys(current)) if (!Object.hasOwn(values, k)) changes[k] = null;
  for (const [k, v] of Object.entries(values)) if (current[k] !== v) changes[k] = v;
  const problems = broker.config.validateDynamic(scope, changes);
  if (problems.length > 0) return fail(ErrorCode.INVALID_REQUEST, problems.map((p) => p.error).join('; '));
  if (validateOnly) return OK;
  try {
    await broker.dynamicConfigs.replace(broker.config, scope, values);
  } catch (err) {
    if (err instanceof ConfigError) return fail(ErrorCode.INVALID_REQUEST, err.message);
    broker.logger.error('persisting dynamic broker configs failed', { scope, error: (err as Error).message });
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
  }
  // Broker-level topic defaults (log.retention.ms, message.max.bytes, ...) reach every topic
  // without its own override.
  broker.refreshTopicConfigs();
  broker.logger.info('dynamic broker configs altered', { scope, changes });
  return OK;
}

export function alterConfigsHandler(broker: ConfigAdmin) {
  return defineHandler(Api.AlterConfigs, {
    errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r) => failedResource(r, errorCode)) }),
    async handle(_ctx, req): Promise<AlterConfigsResponse> {
      const rejected = preprocessResources(req.resources, (i) => req.resources[i]!.configs.filter((c) => c.value === null).map((c) => c.name));
      const responses = [];
      for (const [i, r] of req.resources.entries()) {
        const outcome =
          rejected.get(i) ??
          (await alterConfigResource(
            broker,
            r.resourceType,
            r.resourceName,
            () => ({ configs: Object.fromEntries(r.configs.map((c) => [c.name, c.value as string])) }),
            req.validateOnly,
          ));
        responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { throttleTimeMs: 0, responses };
    },
  });
}

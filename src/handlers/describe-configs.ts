// DescribeConfigs for TOPIC (2) and BROKER (4) resources; BROKER_LOGGER (8) lists the logger level;
// GROUP (32) the share.* group configs (src/coordinator/share/share-group-configs.ts).
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../protocol/generated/describe-configs.js';
import { defineHandler } from '../network/request-context.js';
import type { LogManager } from '../../storage/log/log-manager.js';
import type { DynamicConfigStore } from '../metadata/dynamic-config-store.js';
import type { ShareGroupConfigs } from '../coordinator/share/share-group-configs.js';
import type { TierManager } from '../tier/tier-manager.js';
import { describeBrokerConfigEntries, describeTopicConfigEntries, type ConfigRow } from './config-entries.js';
import type { ConfigReader, HasLogger, TopicLookup } from './handler-deps.js';

/** What DescribeConfigs reads: configs, topics, this node's id, logger level and the size rows' sources. */
export interface ConfigView extends ConfigReader, HasLogger {
  readonly nodeId: number;
  readonly topics: Pick<TopicLookup['topics'], 'get'>;
  readonly dynamicConfigs: Pick<DynamicConfigStore, 'values'>;
  readonly logManager: Pick<LogManager, 'getLog'>;
  readonly tier: Pick<TierManager, 'partitionSizes' | 'status'>;
  /** Group configs live with the share service (null until it started). */
  readonly shareService?: { readonly groupConfigs: Pick<ShareGroupConfigs, 'describe'> } | null;
}

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;
export const RESOURCE_GROUP = 32;

type Resource = DescribeConfigsRequest['resources'][number];

export function describeConfigsHandler(broker: ConfigView) {
  return defineHandler(Api.DescribeConfigs, {
    errorResponse: (req, errorCode) => ({
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    }),
    handle(ctx, req): DescribeConfigsResponse {
      const v = ctx.header.apiVersion;
      const synonyms = v >= 1 && req.includeSynonyms;
      const docs = v >= 3 && req.includeDocumentation;
      const results = req.resources.map((r) => describeOne(broker, r, synonyms, docs));
      return { throttleTimeMs: 0, results };
    },
  });
}

function describeOne(broker: ConfigView, r: Resource, synonyms: boolean, docs: boolean) {
  const result = (errorCode: number, errorMessage: string | null, configs: ConfigRow[]) => ({
    errorCode,
    errorMessage,
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    configs,
  });
  let rows: ConfigRow[];
  if (r.resourceType === RESOURCE_TOPIC) {
    const t = broker.topics.get(r.resourceName);
    if (!t) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist`, []);
    rows = describeTopicConfigEntries(broker, t.configs, synonyms, docs);
    const tiered = rows.some((row) => row.name === 'remote.storage.enable' && row.value === 'true');
    if (tiered || r.configurationKeys?.some((k) => SIZE_KEYS.has(k))) rows.push(...topicSizeRows(broker, t.name, t.partitions, docs));
  } else if (r.resourceType === RESOURCE_BROKER) {
    // "" is the cluster-wide default resource; otherwise the name must be this broker's id.
    if (r.resourceName !== '' && r.resourceName !== String(broker.nodeId)) {
      return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${r.resourceName}`, []);
    }
    rows = describeBrokerConfigEntries(broker, synonyms, docs);
    if (r.resourceName === '') rows = clusterDefaultRows(rows, broker.dynamicConfigs.values('cluster'));
    else if (r.configurationKeys?.includes(TIER_STATUS_KEY)) rows.push(tierStatusRow(broker, docs));
  } else if (r.resourceType === RESOURCE_BROKER_LOGGER) {
    if (r.resourceName !== String(broker.nodeId)) {
      return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId}, but received ${r.resourceName}`, []);
    }
    rows = [
      {
        name: 'root',
        value: (broker.logger.level ?? 'info').toUpperCase(),
        readOnly: false,
        isDefault: false,
        configSource: 6,
        isSensitive: false,
        synonyms: [],
        configType: 2,
        documentation: null,
      },
    ];
  } else if (r.resourceType === RESOURCE_GROUP && broker.shareService) {
    // Any group id may be described (as Kafka): unset keys show the broker's values.
    rows = broker.shareService.groupConfigs.describe(r.resourceName, synonyms, docs);
  } else {
    return result(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`, []);
  }
  if (r.configurationKeys !== null) {
    const wanted = new Set(r.configurationKeys);
    rows = rows.filter((row) => wanted.has(row.name));
  }
  return result(ErrorCode.NONE, null, rows);
}

export const LOCAL_SIZE_KEY = 'tributary.local.log.size.bytes';
export const REMOTE_SIZE_KEY = 'tributary.remote.log.size.bytes';
const SIZE_KEYS = new Set([LOCAL_SIZE_KEY, REMOTE_SIZE_KEY]);

/**
 * Tiered storage asks for "local and remote sizes" in DescribeConfigs, which has no field for
 * them; Kafka exposes them only as metrics. So a topic with remote.storage.enable=true (or any
 * topic, when these names are asked for) gets two read-only rows summed over its partitions.
 * Their source is DEFAULT_CONFIG so tools that list only overridden configs leave them out, and
 * AlterConfigs on these names fails like any unknown topic config (INVALID_CONFIG).
 */
function topicSizeRows(broker: ConfigView, topic: string, partitions: number, docs: boolean): ConfigRow[] {
  let local = 0;
  let remote = 0;
  for (let p = 0; p < partitions; p++) {
    local += broker.logManager.getLog(topic, p)?.size() ?? 0;
    remote += broker.tier.partitionSizes(topic, p)?.remoteBytes ?? 0;
  }
  const row = (name: string, value: number, doc: string): ConfigRow => ({
    name,
    value: String(value),
    readOnly: true,
    isDefault: false,
    configSource: 5 /* DEFAULT_CONFIG */,
    isSensitive: false,
    synonyms: [],
    configType: 5 /* LONG */,
    documentation: docs ? doc : null,
  });
  return [
    row(LOCAL_SIZE_KEY, local, 'Bytes of this topic in local log segments, all partitions (read-only, reported by Tributary).'),
    row(REMOTE_SIZE_KEY, remote, 'Bytes of this topic held in tiered (remote) storage, all partitions (read-only, reported by Tributary).'),
  ];
}

/**
 * `tributary tier status` asks the running broker over the Kafka protocol: this read-only row of
 * the broker resource holds the tier status (TierStatus) as JSON. Kafka has no API for it (it
 * exposes RemoteLogManager metrics over JMX), so it is a row that appears only when asked for by
 * name, and never in a plain listing.
 */
export const TIER_STATUS_KEY = 'tributary.tier.status';

function tierStatusRow(broker: ConfigView, docs: boolean): ConfigRow {
  return {
    name: TIER_STATUS_KEY,
    value: JSON.stringify(broker.tier.status()),
    readOnly: true,
    isDefault: false,
    configSource: 5 /* DEFAULT_CONFIG */,
    isSensitive: false,
    synonyms: [],
    configType: 2 /* STRING */,
    documentation: docs ? 'Tiered storage status of this broker as JSON (read-only, reported by Tributary).' : null,
  };
}

/**
 * The cluster-default resource ("") shows only the dynamic default values, even where this
 * broker overrides them, and without per-broker synonyms (Kafka's createBrokerConfigEntry with
 * perBrokerConfig = false).
 */
function clusterDefaultRows(rows: ConfigRow[], defaults: Record<string, string>): ConfigRow[] {
  return rows
    .filter((row) => Object.hasOwn(defaults, row.name))
    .map((row) => ({
      ...row,
      value: row.isSensitive ? null : defaults[row.name]!,
      isDefault: false,
      configSource: 3 /* DYNAMIC_DEFAULT_BROKER_CONFIG */,
      synonyms: row.synonyms.filter((s) => s.source !== 4 /* DYNAMIC_BROKER_CONFIG */),
    }));
}

// Effective topic configuration: per-topic overrides (DYNAMIC_TOPIC_CONFIG) over broker synonyms
// (dynamic per-broker, dynamic default, static) over defaults, as Kafka's ConfigHelper reports it
// in DescribeConfigs. Also validation of CreateTopics / AlterConfigs entries and the mapping to
// the storage layer's LogConfig.
//
// One deliberate difference from Kafka: Kafka drops every synonym of a topic key unless its
// first broker synonym is set (so with log.retention.hours=24, retention.ms reports
// DEFAULT_CONFIG and no synonyms). Here all synonyms are listed and the source is that of the
// one that supplied the value, which is what the value actually came from.
import type { LogConfig } from '../../storage/log/log-config.js';
import type { BrokerConfig, ConfigSynonymEntry } from './broker-config.js';
import {
  ConfigSource,
  TOPIC_KEY_NAMES,
  TOPIC_SYNONYMS,
  brokerDef,
  configTypeId,
  isTopicKey,
  topicDef,
  type ConfigSourceName,
  type ConfigTypeName,
  type TopicKey,
  type TopicValue,
} from './definitions.js';
import { ConfigError } from './errors.js';
import { formatValue, parseAndValidate } from './parse-value.js';

/** Kafka's INVALID_CONFIG error code, returned for every problem validateTopicConfigs finds. */
export const INVALID_CONFIG = 40;

export interface TopicConfigEntry {
  name: TopicKey;
  /** Rendered value (DescribeConfigs Value). */
  value: string | null;
  source: ConfigSourceName;
  sourceId: number;
  isDefault: boolean;
  /** Topic configs are always alterable. */
  readOnly: false;
  sensitive: false;
  type: ConfigTypeName;
  configType: number;
  doc: string;
  /** For includeSynonyms: the topic override first (if any), then broker synonyms in Kafka's order. */
  synonyms: ConfigSynonymEntry[];
}

export interface ResolvedTopicConfig {
  /** Typed effective value. */
  get<K extends TopicKey>(key: K): TopicValue<K>;
  entry(key: TopicKey): TopicConfigEntry;
  /** Every topic key, alphabetically (as Kafka lists them). */
  entries(): TopicConfigEntry[];
  /** The per-topic overrides this was resolved from (validated, known keys only). */
  readonly overrides: Readonly<Record<string, string>>;
}

/**
 * Resolve every topic key for a topic with the given overrides. Unknown override keys are
 * ignored (as Kafka's LogConfig does); a bad value throws ConfigError — validate with
 * validateTopicConfigs before storing overrides.
 */
export function resolveTopicConfig(broker: BrokerConfig, topicOverrides: Record<string, string>): ResolvedTopicConfig {
  const values = new Map<TopicKey, unknown>();
  const entries = new Map<TopicKey, TopicConfigEntry>();
  const overrides: Record<string, string> = {};
  for (const key of TOPIC_KEY_NAMES) {
    const def = topicDef(key);
    const synonymKeys = (TOPIC_SYNONYMS[key] ?? []).map((s) => s.name);
    const synonyms = broker.collectSynonyms(synonymKeys);
    let value: unknown;
    let source: ConfigSourceName;
    const override = Object.hasOwn(topicOverrides, key) ? topicOverrides[key] : undefined;
    if (override !== undefined) {
      value = parseAndValidate(key, def, override);
      overrides[key] = override;
      synonyms.unshift({ name: key, value: formatValue(def.type, value), source: 'DYNAMIC_TOPIC_CONFIG', sourceId: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      source = 'DYNAMIC_TOPIC_CONFIG';
    } else {
      const fromBroker = brokerValue(broker, key);
      value = fromBroker?.value ?? def.default;
      source = fromBroker?.source ?? 'DEFAULT_CONFIG';
    }
    values.set(key, value);
    entries.set(key, {
      name: key,
      value: formatValue(def.type, value),
      source,
      sourceId: ConfigSource[source],
      isDefault: source === 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: def.type,
      configType: configTypeId(def.type),
      doc: def.doc,
      synonyms,
    });
  }
  return {
    get: <K extends TopicKey>(key: K) => values.get(key) as TopicValue<K>,
    entry: (key) => copyEntry(entries.get(key)!),
    entries: () => [...entries.values()].map(copyEntry),
    overrides,
  };
}

function copyEntry(e: TopicConfigEntry): TopicConfigEntry {
  return { ...e, synonyms: e.synonyms.map((s) => ({ ...s })) };
}

/**
 * The broker-level value feeding a topic key: the first synonym (in Kafka's priority order, e.g.
 * log.retention.ms > .minutes > .hours) that is set in any layer, else the first one with a
 * default, converted to the topic key's unit. The source reported is the winning layer's.
 */
function brokerValue(broker: BrokerConfig, key: TopicKey): { value: unknown; source: ConfigSourceName } | null {
  const synonyms = TOPIC_SYNONYMS[key] ?? [];
  const convert = (v: unknown, factor: number | undefined) =>
    factor === undefined || v === null || (v as number) < 0 ? v : (v as number) * factor;
  for (const s of synonyms) {
    if (broker.isSet(s.name)) return { value: convert(broker.get(s.name), s.factor), source: broker.source(s.name) };
  }
  for (const s of synonyms) {
    const d = brokerDef(s.name).default;
    if (d !== null) return { value: convert(d, s.factor), source: 'DEFAULT_CONFIG' };
  }
  return null;
}

/**
 * Check CreateTopics / AlterConfigs / IncrementalAlterConfigs entries for a TOPIC resource. A null
 * value means "delete the override" and is always fine for a known key. Every problem maps to
 * INVALID_CONFIG (40) with `error` as the error message.
 */
export function validateTopicConfigs(
  entries: Record<string, string | null>,
): { key: string; error: string; errorCode: typeof INVALID_CONFIG }[] {
  const errors: { key: string; error: string; errorCode: typeof INVALID_CONFIG }[] = [];
  const parsed = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(entries)) {
    if (!isTopicKey(key)) {
      errors.push({ key, error: `Unknown topic config name: ${key}`, errorCode: INVALID_CONFIG });
      continue;
    }
    if (raw === null) continue;
    try {
      parsed.set(key, parseAndValidate(key, topicDef(key), raw));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push({ key, error: err.message, errorCode: INVALID_CONFIG });
    }
  }
  // Kafka's LogConfig.validateValues cross-check, applied when both are given.
  const minLag = parsed.get('min.compaction.lag.ms');
  const maxLag = parsed.get('max.compaction.lag.ms');
  if (typeof minLag === 'number' && typeof maxLag === 'number' && minLag > maxLag) {
    errors.push({
      key: 'min.compaction.lag.ms',
      error: `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`,
      errorCode: INVALID_CONFIG,
    });
  }
  return errors;
}

/** The subset of a resolved topic config the partition log needs. */
export function toLogConfig(resolved: ResolvedTopicConfig): LogConfig {
  return {
    segmentBytes: resolved.get('segment.bytes'),
    segmentMs: resolved.get('segment.ms'),
    segmentJitterMs: resolved.get('segment.jitter.ms'),
    retentionMs: resolved.get('retention.ms'),
    retentionBytes: resolved.get('retention.bytes'),
    indexIntervalBytes: resolved.get('index.interval.bytes'),
    segmentIndexBytes: resolved.get('segment.index.bytes'),
    flushMessages: resolved.get('flush.messages'),
    flushMs: resolved.get('flush.ms'),
    fileDeleteDelayMs: resolved.get('file.delete.delay.ms'),
    messageTimestampType: resolved.get('message.timestamp.type') as LogConfig['messageTimestampType'],
    cleanupPolicy: [...new Set(resolved.get('cleanup.policy'))].sort() as LogConfig['cleanupPolicy'],
    deleteRetentionMs: resolved.get('delete.retention.ms'),
    minCleanableDirtyRatio: resolved.get('min.cleanable.dirty.ratio'),
    minCompactionLagMs: resolved.get('min.compaction.lag.ms'),
    maxCompactionLagMs: resolved.get('max.compaction.lag.ms'),
    remoteStorageEnable: resolved.get('remote.storage.enable'),
    remoteLogCopyDisable: resolved.get('remote.log.copy.disable'),
    localRetentionMs: resolved.get('local.retention.ms'),
    localRetentionBytes: resolved.get('local.retention.bytes'),
  };
}

// Rows of DescribeConfigs (and CreateTopics v5+ config echoes) for topics and brokers, shaped
// like Kafka's: value, source, read-only/sensitive flags, synonyms, type and documentation.
import type { Broker } from '../broker.js';
import { resolveTopicConfig } from '../config/topic-config.js';

export interface ConfigRow {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

export function describeTopicConfigEntries(broker: Pick<Broker, 'config'>, overrides: Record<string, string>, includeSynonyms: boolean, includeDocumentation: boolean): ConfigRow[] {
  return resolveTopicConfig(broker.config, overrides)
    .entries()
    .map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: e.readOnly,
      isDefault: e.isDefault,
      configSource: e.sourceId,
      isSensitive: e.sensitive,
      synonyms: includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.sourceId })) : [],
      configType: e.configType,
      documentation: includeDocumentation ? e.doc : null,
    }));
}

export function describeBrokerConfigEntries(broker: Broker, includeSynonyms: boolean, includeDocumentation: boolean): ConfigRow[] {
  return broker.config.entries().map((e) => ({
    name: e.name,
    value: e.sensitive ? null : e.value,
    readOnly: e.readOnly,
    isDefault: e.isDefault,
    configSource: e.sourceId,
    isSensitive: e.sensitive,
    synonyms: includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: e.sensitive ? null : s.value, source: s.sourceId })) : [],
    configType: e.configType,
    documentation: includeDocumentation ? e.doc : null,
  }));
}

// The config key tables in one place: broker keys (broker-keys.ts), topic keys and their broker
// synonyms (topic-keys.ts), and the DescribeConfigs enums (config-def.ts). Other modules should
// import from here.
import { BROKER_KEYS, type BrokerKey, type BrokerKeys } from './broker-keys.js';
import type { ConfigDef, ValueOfDef } from './config-def.js';
import { TOPIC_KEYS, type TopicKey, type TopicKeys } from './topic-keys.js';

export { BROKER_KEYS, type BrokerKey, type BrokerKeys } from './broker-keys.js';
export {
  TOPIC_KEYS,
  TOPIC_SYNONYMS,
  BROKER_SYNONYM_GROUPS,
  brokerSynonyms,
  type TopicKey,
  type TopicKeys,
  type BrokerSynonym,
} from './topic-keys.js';
export {
  ConfigSource,
  ConfigType,
  configTypeId,
  LONG_MAX,
  LONG_MAX_STRING,
  INT_MAX,
  type ConfigDef,
  type ConfigSourceName,
  type ConfigTypeName,
  type Importance,
  type UpdateMode,
  type ValueOfDef,
} from './config-def.js';

/** Typed value of a broker key (number, boolean, string, string[]; `| null` when no default). */
export type BrokerValue<K extends BrokerKey> = ValueOfDef<BrokerKeys[K]>;
/** Typed value of a topic key. */
export type TopicValue<K extends TopicKey> = ValueOfDef<TopicKeys[K]>;

const BROKER_TABLE: Readonly<Record<string, ConfigDef>> = BROKER_KEYS;
const TOPIC_TABLE: Readonly<Record<string, ConfigDef>> = TOPIC_KEYS;

export function isBrokerKey(key: string): key is BrokerKey {
  return Object.hasOwn(BROKER_TABLE, key);
}

export function isTopicKey(key: string): key is TopicKey {
  return Object.hasOwn(TOPIC_TABLE, key);
}

export function brokerDef(key: BrokerKey): ConfigDef {
  return BROKER_TABLE[key]!;
}

export function topicDef(key: TopicKey): ConfigDef {
  return TOPIC_TABLE[key]!;
}

export const BROKER_KEY_NAMES = Object.keys(BROKER_KEYS) as BrokerKey[];
export const TOPIC_KEY_NAMES = Object.keys(TOPIC_KEYS) as TopicKey[];

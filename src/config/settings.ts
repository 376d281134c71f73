// Broker settings as a typed object for the embedding API (`startBroker({ config })`): Kafka's key
// names with the value types of the key registry (broker-keys.ts), so a typo in a known key's
// value type fails to compile. Keys outside the registry are still accepted (Kafka tooling sets
// many), and are warned about at startup with a "did you mean".
import type { BrokerKey, BrokerValue } from './definitions.js';

/** What a value may be given as: its typed form, or the string a properties file would hold. */
type SettingInput<V> = V extends string[] ? readonly string[] | string : V extends number ? number | string : V extends boolean ? boolean | string : V;

export type KnownBrokerSettings = { [K in BrokerKey]?: SettingInput<BrokerValue<K>> };

export type BrokerSettings = KnownBrokerSettings & {
  [key: string]: string | number | boolean | readonly string[] | null | undefined;
};

/** Settings as the properties-file strings the config loader parses; null/undefined mean "unset". */
export function settingsToProps(settings: BrokerSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || value === null) continue;
    out[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

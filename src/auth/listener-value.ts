// A broker key as seen by one listener: Kafka's `listener.name.<listener>.<key>` override when
// set (validated like the key itself), else the broker-wide value.
import type { BrokerConfig } from '../config/broker-config.js';
import { brokerDef, type BrokerKey, type BrokerValue } from '../config/definitions.js';
import { ConfigError } from '../config/errors.js';
import { parseAndValidate } from '../config/parse-value.js';

/** Listener-prefixed value if set, else the broker-wide one; throws ConfigError on a bad value. */
export function listenerValue<K extends BrokerKey>(config: BrokerConfig, listener: string, key: K): BrokerValue<K> {
  const raw = config.listenerSetting(listener, key);
  if (raw === undefined) return config.get(key);
  const prefixed = `listener.name.${listener.toLowerCase()}.${key}`;
  try {
    return parseAndValidate(key, brokerDef(key), raw) as BrokerValue<K>;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message.replace(key, prefixed), prefixed, err.value);
    throw err;
  }
}

// What each listener needs to secure its connections, resolved once at startup from the broker
// config. Every ssl.* / sasl.* key may be overridden per listener with Kafka's prefix
// `listener.name.<lower-case listener>.<key>`; the PLAIN user list comes, as in Kafka, only from
// `listener.name.<listener>.plain.sasl.jaas.config` (PlainLoginModule, `user_<name>="<password>"`).
import fs from 'node:fs';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { parseJaasConfig, plainUsers } from './jaas.js';
import { listenerValue } from './listener-value.js';
import { buildTlsOptions, type TlsListenerOptions } from './tls.js';

export interface SaslListenerConfig {
  mechanisms: string[];
  /** PLAIN users and passwords (from the JAAS config); empty when none are configured. */
  plainUsers: Map<string, string>;
  /** connections.max.reauth.ms; 0 = sessions never expire. */
  reauthMs: number;
  /** sasl.server.max.receive.size: bound of every frame before authentication completes. */
  maxReceiveSize: number;
  /** connection.failed.authentication.delay.ms: a failed login is closed this much later. */
  failedAuthDelayMs: number;
  /** tributary.authentication.timeout.ms: unauthenticated connections are closed after it; 0 = never. */
  authTimeoutMs: number;
}

export interface ListenerSecurity {
  tls: TlsListenerOptions | null;
  sasl: SaslListenerConfig | null;
}

const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

export function resolveListenerSecurity(config: BrokerConfig, listener: Listener, warn: (msg: string) => void): ListenerSecurity {
  const p = listener.securityProtocol;
  const tls = p === 'SSL' || p === 'SASL_SSL' ? buildTlsOptions(config, listener.name, (path) => fs.readFileSync(path, 'utf8')) : null;
  if (p !== 'SASL_PLAINTEXT' && p !== 'SASL_SSL') return { tls, sasl: null };
  const mechanisms = listenerValue(config, listener.name, 'sasl.enabled.mechanisms');
  if (mechanisms.length === 0) {
    throw ConfigError.invalid('sasl.enabled.mechanisms', '', `No SASL mechanism is enabled for listener ${listener.name}`);
  }
  let users = new Map<string, string>();
  const jaasKey = `listener.name.${listener.name.toLowerCase()}.plain.sasl.jaas.config`;
  const jaas = config.listenerSetting(listener.name, 'plain.sasl.jaas.config');
  if (jaas !== undefined) {
    const entry = parseJaasConfig(jaasKey, jaas);
    if (entry.loginModule !== PLAIN_LOGIN_MODULE) {
      throw ConfigError.invalid(jaasKey, '[hidden]', `PLAIN needs ${PLAIN_LOGIN_MODULE}, not ${entry.loginModule}`);
    }
    users = plainUsers(entry);
  }
  if (mechanisms.includes('PLAIN') && users.size === 0) {
    warn(`SASL/PLAIN is enabled on listener ${listener.name} but ${jaasKey} defines no user_<name> entries: every PLAIN login will fail`);
  }
  return {
    tls,
    sasl: {
      mechanisms: [...mechanisms],
      plainUsers: users,
      reauthMs: listenerValue(config, listener.name, 'connections.max.reauth.ms'),
      maxReceiveSize: listenerValue(config, listener.name, 'sasl.server.max.receive.size'),
      failedAuthDelayMs: listenerValue(config, listener.name, 'connection.failed.authentication.delay.ms'),
      authTimeoutMs: listenerValue(config, listener.name, 'tributary.authentication.timeout.ms'),
    },
  };
}

// How this broker reaches the other brokers of its cluster, as Kafka resolves it (KafkaConfig):
// the listener is `inter.broker.listener.name`, else the one named after an explicitly set
// `security.inter.broker.protocol`, else PLAINTEXT (that key's default), else the first listener;
// setting both keys explicitly is refused (broker-config.ts). Connections go to the peer's registered endpoint of that listener
// and speak its security protocol: TLS with this broker's own ssl.* settings of the listener
// (truststore to verify the peer, keystore as the client certificate for mTLS), SASL with
// `sasl.mechanism.inter.broker.protocol` and the username/password of the listener's
// `listener.name.<l>.<mech>.sasl.jaas.config` (Kafka's client login uses the same entry that
// holds the PLAIN server's user_<name> list).
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { parseJaasConfig } from '../auth/jaas.js';
import { buildTlsOptions } from '../auth/tls.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';

export type InterBrokerMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface InterBrokerSecurity {
  listenerName: string;
  securityProtocol: string;
  /** node:tls client options (SSL, SASL_SSL); null for plain TCP. */
  tls: ConnectionOptions | null;
  /** SASL login (SASL_PLAINTEXT, SASL_SSL); null without SASL. */
  sasl: { mechanism: InterBrokerMechanism; username: string; password: string } | null;
}

export const PLAINTEXT_INTER_BROKER: InterBrokerSecurity = { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', tls: null, sasl: null };

/** The inter-broker listener's name (upper-case), by Kafka's rule. */
export function interBrokerListenerName(config: BrokerConfig): string {
  const listeners = config.advertisedListeners;
  const ibl = config.get('inter.broker.listener.name');
  if (ibl !== null) return ibl.toUpperCase();
  // Only an explicit security.inter.broker.protocol names the listener: its default (PLAINTEXT)
  // leaves the choice below, which falls back to the first listener when none is PLAINTEXT.
  if (config.isSet('security.inter.broker.protocol')) {
    const protocol = config.get('security.inter.broker.protocol');
    if (!listeners.some((l) => l.name === protocol)) {
      throw ConfigError.invalid('security.inter.broker.protocol', protocol, `No listener is named ${protocol}; name the inter-broker listener with inter.broker.listener.name instead`);
    }
    return protocol;
  }
  return listeners.some((l) => l.name === 'PLAINTEXT') ? 'PLAINTEXT' : listeners[0]!.name;
}

/** Resolves once at startup; throws ConfigError when the listener's TLS or SASL settings are incomplete. */
export function resolveInterBrokerSecurity(config: BrokerConfig, readFile: (path: string) => string = (p) => fs.readFileSync(p, 'utf8')): InterBrokerSecurity {
  const listenerName = interBrokerListenerName(config);
  const listener = config.advertisedListeners.find((l) => l.name === listenerName);
  if (!listener) {
    throw ConfigError.invalid('inter.broker.listener.name', listenerName, 'The inter-broker listener must be one of advertised.listeners');
  }
  const p = listener.securityProtocol;
  let tls: ConnectionOptions | null = null;
  if (p === 'SSL' || p === 'SASL_SSL') {
    // The same PEM material the listener serves with: its truststore verifies the peer, its
    // keystore is our client certificate (what a peer with ssl.client.auth=required asks for).
    const o = buildTlsOptions(config, listenerName, readFile).options;
    tls = { key: o.key, cert: o.cert, passphrase: o.passphrase, ca: o.ca, minVersion: o.minVersion, maxVersion: o.maxVersion, rejectUnauthorized: true };
  }
  let sasl: InterBrokerSecurity['sasl'] = null;
  if (p === 'SASL_PLAINTEXT' || p === 'SASL_SSL') {
    const mechanism = config.get('sasl.mechanism.inter.broker.protocol') as InterBrokerMechanism;
    const suffix = `${mechanism.toLowerCase()}.sasl.jaas.config`;
    const key = `listener.name.${listenerName.toLowerCase()}.${suffix}`;
    const text = config.listenerSetting(listenerName, suffix);
    if (text === undefined) {
      throw ConfigError.invalid(key, null, `The inter-broker listener ${listenerName} uses SASL ${mechanism}: set username and password of the broker's login in this JAAS config`);
    }
    const entry = parseJaasConfig(key, text);
    const username = entry.options.get('username');
    const password = entry.options.get('password');
    if (username === undefined || password === undefined) {
      throw ConfigError.invalid(key, '[hidden]', `The inter-broker login needs username="..." and password="..." options`);
    }
    sasl = { mechanism, username, password };
  }
  return { listenerName, securityProtocol: p, tls, sasl };
}

/** A peer's inter-broker endpoint and how to secure the connection to it (null/absent: plain TCP). */
export interface InterBrokerEndpoint {
  host: string;
  port: number;
  security?: InterBrokerSecurity | null;
}

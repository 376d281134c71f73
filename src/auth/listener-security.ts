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
import { OAuthJwks, type OAuthValidatorConfig } from './oauthbearer.js';

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
  /** OAUTHBEARER validation, when enabled on the listener. */
  oauth: OAuthValidatorConfig | null;
  /** The JWKS fetcher of the OAUTHBEARER validator (JWKS mode); started by the broker. */
  jwks: OAuthJwks | null;
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
  const oauth = mechanisms.includes('OAUTHBEARER') ? resolveOAuth(config, listener.name, warn) : { oauth: null, jwks: null };
  return {
    tls,
    sasl: {
      ...oauth,
      mechanisms: [...mechanisms],
      plainUsers: users,
      reauthMs: listenerValue(config, listener.name, 'connections.max.reauth.ms'),
      maxReceiveSize: listenerValue(config, listener.name, 'sasl.server.max.receive.size'),
      failedAuthDelayMs: listenerValue(config, listener.name, 'connection.failed.authentication.delay.ms'),
      authTimeoutMs: listenerValue(config, listener.name, 'tributary.authentication.timeout.ms'),
    },
  };
}

const OAUTH_UNSECURED_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
const OAUTH_VALIDATOR_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
const OAUTH_UNSECURED_HANDLER = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

/**
 * OAUTHBEARER on one listener: the JWKS validator when Kafka's OAuthBearerValidatorCallbackHandler
 * is configured, else the unsecured one (development), with its JAAS options.
 */
function resolveOAuth(config: BrokerConfig, listener: string, warn: (msg: string) => void): { oauth: OAuthValidatorConfig; jwks: OAuthJwks | null } {
  const prefix = `listener.name.${listener.toLowerCase()}.oauthbearer.`;
  const handler = config.listenerSetting(listener, 'oauthbearer.sasl.server.callback.handler.class')?.trim() ?? OAUTH_UNSECURED_HANDLER;
  const jaasText = config.listenerSetting(listener, 'oauthbearer.sasl.jaas.config');
  const options = new Map<string, string>();
  if (jaasText !== undefined) {
    const entry = parseJaasConfig(`${prefix}sasl.jaas.config`, jaasText);
    if (entry.loginModule !== OAUTH_UNSECURED_MODULE) {
      throw ConfigError.invalid(`${prefix}sasl.jaas.config`, '[hidden]', `OAUTHBEARER needs ${OAUTH_UNSECURED_MODULE}, not ${entry.loginModule}`);
    }
    for (const [k, v] of entry.options) options.set(k, v);
  }
  const v = <K extends Parameters<typeof listenerValue>[2]>(k: K) => listenerValue(config, listener, k);
  if (handler === OAUTH_VALIDATOR_HANDLER) {
    const url = v('sasl.oauthbearer.jwks.endpoint.url') as string | null;
    if (url === null || !/^(file|https?):/.test(url)) {
      throw ConfigError.invalid('sasl.oauthbearer.jwks.endpoint.url', url, `Listener ${listener}: OAuthBearerValidatorCallbackHandler needs a file:, http: or https: JWKS URL`);
    }
    const jwks = new OAuthJwks(url, v('sasl.oauthbearer.jwks.endpoint.refresh.ms') as number, warn);
    return {
      jwks,
      oauth: {
        kind: 'jwks',
        principalClaim: v('sasl.oauthbearer.sub.claim.name') as string,
        scopeClaim: v('sasl.oauthbearer.scope.claim.name') as string,
        requiredScopes: [],
        clockSkewMs: (v('sasl.oauthbearer.clock.skew.seconds') as number) * 1000,
        expectedIssuer: v('sasl.oauthbearer.expected.issuer') as string | null,
        expectedAudience: (v('sasl.oauthbearer.expected.audience') as string[] | null) ?? [],
        keys: () => jwks.keys(),
      },
    };
  }
  if (handler !== OAUTH_UNSECURED_HANDLER) throw ConfigError.invalid(`${prefix}sasl.server.callback.handler.class`, handler, `Unknown OAUTHBEARER validator; use ${OAUTH_VALIDATOR_HANDLER}`);
  warn(`SASL/OAUTHBEARER on listener ${listener} accepts unsecured (unsigned) tokens: for development only`);
  return {
    jwks: null,
    oauth: {
      kind: 'unsecured',
      principalClaim: options.get('unsecuredValidatorPrincipalClaimName') ?? 'sub',
      scopeClaim: options.get('unsecuredValidatorScopeClaimName') ?? 'scope',
      requiredScopes: (options.get('unsecuredValidatorRequiredScope') ?? '').split(/[ ,]+/).filter(Boolean),
      clockSkewMs: Number(options.get('unsecuredValidatorAllowableClockSkewMs') ?? 0),
      expectedIssuer: null,
      expectedAudience: [],
      keys: () => new Map(),
    },
  };
}

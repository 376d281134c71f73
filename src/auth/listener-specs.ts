// Turns the configured listeners into what the network server binds: TLS options for SSL and
// SASL_SSL, a SASL session factory for SASL_PLAINTEXT and SASL_SSL. Throws ConfigError on bad
// security settings, before anything is bound.
import type { BrokerConfig } from '../config/broker-config.js';
import type { ListenerSpec } from '../network/server.js';
import { resolveListenerSecurity } from './listener-security.js';
import { SaslSession } from './sasl-session.js';
import type { ScramCredentialStore } from './scram-store.js';
import type { OAuthJwks } from './oauthbearer.js';

/** The OAUTHBEARER JWKS fetchers of the listeners: started (first fetch awaited) before binding. */
export function jwksFetchers(specs: readonly ListenerSpec[]): OAuthJwks[] {
  return specs.flatMap((s) => (s as ListenerSpec & { jwks?: OAuthJwks | null }).jwks ?? []);
}

export function listenerSpecs(config: BrokerConfig, scram: ScramCredentialStore, warn: (msg: string) => void): ListenerSpec[] {
  return config.listeners.map((l) => {
    const security = resolveListenerSecurity(config, l, warn);
    const sasl = security.sasl;
    return {
      jwks: sasl?.jwks ?? null,
      name: l.name,
      host: l.host,
      port: l.port,
      tls: security.tls,
      sasl: sasl
        ? (onAuthenticated: (principal: string) => void) =>
            new SaslSession(sasl, { scramCredential: (user, mechanism) => scram.get(user, mechanism), onAuthenticated })
        : null,
    };
  });
}

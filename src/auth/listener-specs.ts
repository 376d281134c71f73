// Turns the configured listeners into what the network server binds: TLS options for SSL and
// SASL_SSL, a SASL session factory for SASL_PLAINTEXT and SASL_SSL. Throws ConfigError on bad
// security settings, before anything is bound.
import type { BrokerConfig } from '../config/broker-config.js';
import type { ListenerSpec } from '../network/server.js';
import { resolveListenerSecurity } from './listener-security.js';
import { SaslSession } from './sasl-session.js';
import type { ScramCredentialStore } from './scram-store.js';
import type { DelegationTokenStore } from './delegation-token-store.js';
import type { ScramMechanismName } from './scram.js';
import type { OAuthJwks } from './oauthbearer.js';

/** The OAUTHBEARER JWKS fetchers of the listeners: started (first fetch awaited) before binding. */
export function jwksFetchers(specs: readonly ListenerSpec[]): OAuthJwks[] {
  return specs.flatMap((s) => (s as ListenerSpec & { jwks?: OAuthJwks | null }).jwks ?? []);
}

export function listenerSpecs(config: BrokerConfig, scram: ScramCredentialStore, warn: (msg: string) => void, tokens?: DelegationTokenStore): ListenerSpec[] {
  // A token logs in only while it lives (Kafka drops expired ones from its cache periodically).
  const delegationToken = tokens?.enabled
    ? (tokenId: string, mechanism: ScramMechanismName) => {
        const t = tokens.get(tokenId);
        const credential = tokens.scramCredential(tokenId, mechanism);
        const now = Date.now();
        return t && credential && t.expiryTimestamp >= now && t.maxTimestamp >= now ? { credential, owner: t.owner } : undefined;
      }
    : undefined;
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
            new SaslSession(sasl, { scramCredential: (user, mechanism) => scram.get(user, mechanism), delegationToken, onAuthenticated })
        : null,
    };
  });
}

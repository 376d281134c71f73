// Per-connection SASL state on SASL_PLAINTEXT / SASL_SSL listeners, after Kafka's
// SaslServerAuthenticator:
//
//   handshake-or-versions --ApiVersions--> handshake --SaslHandshake(ok)--> authenticate --done--> complete
//            \--SaslHandshake(ok)-------------------------------------------^        |
//   anything else before `complete` closes the connection; a failure answers, then closes.
//
// SaslHandshake v0 means the following tokens travel raw (size-prefixed, no Kafka header, as
// kafka-python does); v1 means they come in SaslAuthenticate requests. With
// connections.max.reauth.ms set (KIP-368) a session expires: after that only a SaslHandshake
// (re-authentication, same mechanism and principal) is accepted, anything else closes.
import { ErrorCode } from '../../protocol/errors.js';
import { PlainServer } from './plain.js';
import { OAuthBearerServer } from './oauthbearer.js';
import type { SaslListenerConfig } from './listener-security.js';
import { SaslFailure, type SaslServerMechanism } from './sasl-mechanism.js';
import { ScramServer, scramMechanism, type ScramCredential, type ScramMechanismName } from './scram.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/** Kafka re-authenticates a connection at most once a second (KafkaChannel). */
const MIN_REAUTH_INTERVAL_MS = 1000;

export type SaslState = 'handshake-or-versions' | 'handshake' | 'authenticate' | 'complete' | 'failed';

export interface SaslHandshakeOutcome {
  errorCode: number;
  mechanisms: string[];
  /** Close the connection once the response is written. */
  close: boolean;
}

export interface SaslAuthenticateOutcome {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
  close: boolean;
}

export interface SaslSessionDeps {
  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined;
  /** A live delegation token's SCRAM credential and owner (absent: delegation tokens disabled). */
  delegationToken?(tokenId: string, mechanism: ScramMechanismName): { credential: ScramCredential; owner: string } | undefined;
  /** Called when (re-)authentication completes, with "User:<name>". */
  onAuthenticated(principal: string): void;
  now?: () => number;
}

export class SaslSession {
  state: SaslState = 'handshake-or-versions';
  /** True after a v0 SaslHandshake: tokens come without Kafka framing. */
  private framed = true;
  private server: SaslServerMechanism | null = null;
  private mechanismName: string | null = null;
  principal: string | null = null;
  /** Logged in with a delegation token (KafkaPrincipal.tokenAuthenticated): no token requests allowed. */
  tokenAuthenticated = false;
  private expiresAt: number | null = null;
  private lastReauthStart = -Infinity;
  /** Set while re-authenticating: the mechanism and principal that must not change. */
  private previous: { mechanism: string; principal: string } | null = null;
  private badReauthMechanism: string | null = null;
  private readonly now: () => number;

  constructor(
    readonly config: SaslListenerConfig,
    private readonly deps: SaslSessionDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  get authenticated(): boolean {
    return this.state === 'complete';
  }

  /** While true, incoming frames are raw SASL tokens for evaluateRaw(). */
  get rawTokens(): boolean {
    return this.state === 'authenticate' && !this.framed;
  }

  /**
   * Gate for a Kafka request about to be processed: null lets it through, otherwise the reason to
   * close the connection. `versionOk` is false for an ApiVersions version we answer with the
   * KIP-511 fallback, which does not advance the state (the client retries with an older one).
   */
  admit(apiKey: number, versionOk: boolean): string | null {
    switch (this.state) {
      case 'handshake-or-versions':
        if (apiKey === API_VERSIONS) {
          if (versionOk) this.state = 'handshake';
          return null;
        }
        return apiKey === SASL_HANDSHAKE ? null : `Unexpected Kafka request of type ${apiKey} during SASL handshake`;
      case 'handshake':
        return apiKey === SASL_HANDSHAKE ? null : `Unexpected Kafka request of type ${apiKey} during SASL handshake`;
      case 'authenticate':
        return apiKey === SASL_AUTHENTICATE && this.framed ? null : `Unexpected Kafka request of type ${apiKey} during SASL authentication`;
      case 'complete': {
        const now = this.now();
        if (apiKey === SASL_HANDSHAKE && this.expiresAt !== null && now - this.lastReauthStart >= MIN_REAUTH_INTERVAL_MS) {
          this.lastReauthStart = now;
          this.previous = { mechanism: this.mechanismName!, principal: this.principal! };
          this.state = 'handshake';
          return null;
        }
        if (this.expiresAt !== null && now > this.expiresAt) return 'SASL session expired (connections.max.reauth.ms) without re-authentication';
        return null;
      }
      case 'failed':
        return 'SASL authentication failed';
    }
  }

  handshake(mechanism: string, version: number): SaslHandshakeOutcome {
    const mechanisms = [...this.config.mechanisms];
    if (this.state !== 'handshake' && this.state !== 'handshake-or-versions') {
      // Reaches the handler like any request once authenticated (Kafka's KafkaApis answer).
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms, close: false };
    }
    this.framed = version >= 1;
    if (!this.config.mechanisms.includes(mechanism)) {
      this.state = 'failed';
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms, close: true };
    }
    this.badReauthMechanism = null;
    if (this.previous && this.previous.mechanism !== mechanism) {
      this.badReauthMechanism = `SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism '${this.previous.mechanism}'`;
    }
    this.mechanismName = mechanism;
    this.server = this.createServer(mechanism);
    this.state = 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms, close: false };
  }

  /** One SaslAuthenticate request (handshake v1 path). */
  authenticate(token: Buffer): SaslAuthenticateOutcome {
    if (this.state !== 'authenticate' || !this.framed) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate request received after successful authentication',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
        close: false,
      };
    }
    const r = this.evaluate(token);
    if ('failure' in r) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: r.failure, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0, close: true };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.reply, sessionLifetimeMs: r.lifetimeMs, close: false };
  }

  /** One raw token (handshake v0 path): the reply token, or null when the connection must close. */
  evaluateRaw(token: Buffer): Buffer | null {
    const r = this.evaluate(token);
    return 'failure' in r ? null : r.reply;
  }

  private evaluate(token: Buffer): { reply: Buffer; lifetimeMs: number } | { failure: string } {
    const text = this.previous ? 're-authentication' : 'authentication';
    const server = this.server!;
    try {
      if (this.badReauthMechanism !== null) throw new SaslFailure(this.badReauthMechanism, true);
      const reply = server.evaluate(token);
      let lifetimeMs = 0;
      if (server.complete) {
        const principal = server.principal ?? `User:${server.user}`;
        if (this.previous && this.previous.principal !== principal) {
          throw new SaslFailure(
            `Cannot change principals during re-authentication from ${this.previous.principal.replace(':', '.')}: ${principal.replace(':', '.')}`,
            true,
          );
        }
        lifetimeMs = this.config.reauthMs;
        this.expiresAt = lifetimeMs > 0 ? this.now() + lifetimeMs : null;
        this.principal = principal;
        this.tokenAuthenticated = server.tokenAuthenticated === true;
        this.previous = null;
        this.server = null;
        this.state = 'complete';
        this.deps.onAuthenticated(principal);
      }
      return { reply, lifetimeMs };
    } catch (err) {
      this.state = 'failed';
      this.server = null;
      if (!(err instanceof SaslFailure)) throw err;
      return {
        failure: err.exposed ? err.message : `Authentication failed during ${text} due to invalid credentials with SASL mechanism ${server.name}`,
      };
    }
  }

  private createServer(mechanism: string): SaslServerMechanism {
    if (mechanism === 'PLAIN') return new PlainServer(this.config.plainUsers);
    if (mechanism === 'OAUTHBEARER') return new OAuthBearerServer(this.config.oauth!);
    const scram = scramMechanism(mechanism)!;
    const tokens = this.deps.delegationToken;
    return new ScramServer(scram, (user) => this.deps.scramCredential(user, scram.name), tokens && ((id) => tokens(id, scram.name)));
  }
}

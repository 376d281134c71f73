// SASL/OAUTHBEARER server (RFC 7628), as Kafka's OAuthBearerSaslServer with its two validators:
//
//   client-first   "n,[a=authzid]," 0x01 "auth=Bearer <jwt>" (0x01 key=value)* 0x01 0x01
//   success        empty reply; principal User:<sub claim>
//   bad token      reply {"status":"invalid_token"} (not yet a failure: RFC 7628), the client
//                  answers 0x01, then the exchange fails with SASL_AUTHENTICATION_FAILED
//
// Validators (chosen per listener, Kafka's keys):
//   unsecured  the default (OAuthBearerUnsecuredValidatorCallbackHandler): alg "none" tokens for
//              development; JAAS options unsecuredValidatorPrincipalClaimName (sub),
//              unsecuredValidatorScopeClaimName (scope), unsecuredValidatorRequiredScope,
//              unsecuredValidatorAllowableClockSkewMs
//   jwks       listener.name.<l>.oauthbearer.sasl.server.callback.handler.class =
//              org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler:
//              RS256/RS384/RS512/ES256/ES384/ES512 signatures checked against the keys of
//              sasl.oauthbearer.jwks.endpoint.url (file: or http(s):), plus
//              sasl.oauthbearer.expected.issuer / .expected.audience / .sub.claim.name /
//              .clock.skew.seconds
// Both require exp (and reject a token past it) and a non-empty principal claim.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SaslFailure, type SaslServerMechanism } from './sasl-mechanism.js';

export interface OAuthValidatorConfig {
  kind: 'unsecured' | 'jwks';
  principalClaim: string;
  scopeClaim: string;
  requiredScopes: string[];
  clockSkewMs: number;
  expectedIssuer: string | null;
  expectedAudience: string[];
  /** The current JWKS keys by kid (jwks mode); filled and refreshed by OAuthJwks. */
  keys: () => Map<string, KeyObject>;
}

const ALGS: Record<string, { hash: string; dsa?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  ES256: { hash: 'sha256', dsa: true },
  ES384: { hash: 'sha384', dsa: true },
  ES512: { hash: 'sha512', dsa: true },
};

const invalid = (why: string) => new TokenInvalid(why);
class TokenInvalid extends Error {}

function b64json(part: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw invalid('malformed JWT part');
  }
}

/** Validates a compact JWT; returns the principal name or throws TokenInvalid. */
export function validateToken(jwt: string, cfg: OAuthValidatorConfig, now = Date.now()): string {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw invalid('a JWT has three dot-separated parts');
  const header = b64json(parts[0]!);
  const claims = b64json(parts[1]!);
  if (cfg.kind === 'unsecured') {
    if (header.alg !== 'none') throw invalid(`unsecured tokens must use alg "none", not ${String(header.alg)}`);
    if (parts[2] !== '') throw invalid('an unsecured token has an empty signature');
  } else {
    const alg = ALGS[String(header.alg)];
    if (!alg) throw invalid(`unsupported signature algorithm ${String(header.alg)}`);
    const keys = cfg.keys();
    const key = typeof header.kid === 'string' ? keys.get(header.kid) : keys.size === 1 ? [...keys.values()][0] : undefined;
    if (!key) throw invalid(`no JWKS key for kid ${String(header.kid)}`);
    const ok = verify(alg.hash, Buffer.from(`${parts[0]}.${parts[1]}`), alg.dsa ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw invalid('signature does not verify');
    if (cfg.expectedIssuer !== null && claims.iss !== cfg.expectedIssuer) throw invalid('unexpected issuer');
    if (cfg.expectedAudience.length > 0) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((a) => cfg.expectedAudience.includes(String(a)))) throw invalid('unexpected audience');
    }
  }
  if (typeof claims.exp !== 'number') throw invalid('the token has no numeric exp claim');
  if (claims.exp * 1000 + cfg.clockSkewMs < now) throw invalid('the token has expired');
  if (typeof claims.iat === 'number' && claims.iat * 1000 - cfg.clockSkewMs > now) throw invalid('the token was issued in the future');
  const principal = claims[cfg.principalClaim];
  if (typeof principal !== 'string' || principal.length === 0) throw invalid(`no ${cfg.principalClaim} claim`);
  if (cfg.requiredScopes.length > 0) {
    const raw = claims[cfg.scopeClaim];
    const scopes = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(' ') : [];
    const missing = cfg.requiredScopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) throw invalid(`missing required scope ${missing.join(' ')}`);
  }
  return principal;
}

export class OAuthBearerServer implements SaslServerMechanism {
  readonly name = 'OAUTHBEARER';
  complete = false;
  user: string | null = null;
  private errorSent: string | null = null;

  constructor(private readonly cfg: OAuthValidatorConfig) {}

  evaluate(token: Buffer): Buffer {
    if (this.errorSent !== null) {
      // The client acknowledges the error challenge with a lone 0x01 (RFC 7628 section 3.2.3).
      throw new SaslFailure(`Authentication failed: ${this.errorSent}`, true);
    }
    if (this.complete) throw new SaslFailure('OAUTHBEARER exchange already complete', false);
    const text = token.toString('utf8');
    const m = /^([ny]),(?:a=([^,]*))?,\x01((?:[^\x01]*\x01)*)\x01$/s.exec(text);
    if (!m) throw new SaslFailure('Invalid OAUTHBEARER client first message', true);
    const kv = new Map<string, string>();
    for (const pair of m[3]!.split('\x01').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SaslFailure('Invalid OAUTHBEARER key-value pair', true);
      kv.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const auth = /^Bearer ([A-Za-z0-9._~+/=-]*)$/i.exec(kv.get('auth') ?? '');
    if (!auth) throw new SaslFailure('Invalid OAUTHBEARER client first message: no auth=Bearer value', true);
    let principal: string;
    try {
      principal = validateToken(auth[1]!, this.cfg);
    } catch (err) {
      if (!(err instanceof TokenInvalid)) throw err;
      this.errorSent = err.message;
      return Buffer.from(JSON.stringify({ status: 'invalid_token' }), 'utf8');
    }
    const authzid = m[2];
    if (authzid !== undefined && authzid !== '' && authzid !== principal) {
      throw new SaslFailure('Authentication failed: the authorization id differs from the token principal', true);
    }
    this.complete = true;
    this.user = principal;
    return Buffer.alloc(0);
  }
}

/** JWKS keys from a file: or http(s): URL, refreshed in the background. */
export class OAuthJwks {
  private current = new Map<string, KeyObject>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly url: string,
    private readonly refreshMs: number,
    private readonly warn: (msg: string) => void,
  ) {}

  keys(): Map<string, KeyObject> {
    return this.current;
  }

  async start(): Promise<void> {
    await this.refresh();
    if (this.refreshMs > 0) {
      this.timer = setInterval(() => void this.refresh().catch((e) => this.warn(`JWKS refresh from ${this.url} failed: ${(e as Error).message}`)), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    let text: string;
    if (this.url.startsWith('file:')) {
      const { readFile } = await import('node:fs/promises');
      text = await readFile(new URL(this.url), 'utf8');
    } else {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    }
    const doc = JSON.parse(text) as { keys?: (JsonWebKey & { kid?: string; use?: string })[] };
    const next = new Map<string, KeyObject>();
    for (const [i, k] of (doc.keys ?? []).entries()) {
      if (k.use !== undefined && k.use !== 'sig') continue;
      next.set(k.kid ?? `#${i}`, createPublicKey({ key: k, format: 'jwk' }));
    }
    if (next.size === 0) throw new Error('the JWKS has no signing keys');
    this.current = next;
  }
}

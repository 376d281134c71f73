// Delegation tokens (KIP-48, KIP-373): CreateDelegationToken (38), RenewDelegationToken (39),
// ExpireDelegationToken (40), DescribeDelegationToken (41), with Kafka's rules (KafkaApis +
// DelegationTokenManager / DelegationTokenControlManager):
//  - token requests are refused (DELEGATION_TOKEN_REQUEST_NOT_ALLOWED) on a connection that is
//    unauthenticated (PLAINTEXT, SSL without a client certificate) or itself authenticated with a token;
//  - without delegation.token.secret.key: DELEGATION_TOKEN_AUTH_DISABLED;
//  - Create: for oneself, or for another owner with CREATE_TOKENS on User:<owner>; renewers must
//    be User principals; max lifetime = min(delegation.token.max.lifetime.ms, requested when > 0),
//    expiry = min(max, now + delegation.token.expiry.time.ms);
//  - Renew / Expire name the token by its HMAC; only its owner, requester or a renewer may
//    (DELEGATION_TOKEN_OWNER_MISMATCH); an expired one is DELEGATION_TOKEN_EXPIRED; Expire with a
//    negative period removes it at once;
//  - Describe: owners null = all, [] = none; a token is shown to its owner / requester / renewers,
//    or with DESCRIBE on DELEGATION_TOKEN:<id>, or DESCRIBE_TOKENS on User:<owner>.
// Expired tokens are dropped at most once per delegation.token.expiry.check.interval.ms, when a
// token request arrives; until then they cannot log in nor be renewed (expiry is checked on use).
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type { CreateDelegationTokenResponse } from '../../protocol/generated/create-delegation-token.js';
import type { DescribeDelegationTokenResponse } from '../../protocol/generated/describe-delegation-token.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized, type HasAuthorizer } from '../auth/acl/request-authz.js';
import type { DelegationTokenStore, TokenInfo } from '../auth/delegation-token-store.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { defineHandler, type RequestContext } from '../network/request-context.js';

export interface DelegationTokenDeps extends HasAuthorizer {
  readonly delegationTokens: DelegationTokenStore;
  readonly config: Pick<BrokerConfig, 'get'>;
}

const ANONYMOUS = 'User:ANONYMOUS';

function split(principal: string): { type: string; name: string } {
  const i = principal.indexOf(':');
  return i < 0 ? { type: 'User', name: principal } : { type: principal.slice(0, i), name: principal.slice(i + 1) };
}

/** KafkaApis.allowTokenRequests: an authenticated principal, not itself logged in with a token. */
function allowTokenRequests(ctx: RequestContext): boolean {
  return ctx.connection.principal !== ANONYMOUS && !ctx.connection.sasl?.tokenAuthenticated;
}

const ownerOrRenewer = (t: TokenInfo, p: string) => t.owner === p || t.requester === p || t.renewers.includes(p);
const expired = (t: TokenInfo, now: number) => t.maxTimestamp < now || t.expiryTimestamp < now;

/** Drops expired tokens, at most once per check interval. */
function purgeEvery(deps: DelegationTokenDeps): () => Promise<void> {
  let last = Date.now();
  return async () => {
    const now = Date.now();
    if (now - last < deps.config.get('delegation.token.expiry.check.interval.ms')) return;
    last = now;
    await deps.delegationTokens.remove(deps.delegationTokens.all().filter((t) => expired(t, now)).map((t) => t.tokenId));
  };
}

export function delegationTokenHandlers(deps: DelegationTokenDeps) {
  const store = deps.delegationTokens;
  const purge = purgeEvery(deps);

  const create = defineHandler(Api.CreateDelegationToken, {
    errorResponse(req, errorCode): CreateDelegationTokenResponse {
      return createFailure(errorCode, req.ownerPrincipalName ? `${req.ownerPrincipalType}:${req.ownerPrincipalName}` : ANONYMOUS, ANONYMOUS);
    },
    async handle(ctx, req): Promise<CreateDelegationTokenResponse> {
      const requester = ctx.connection.principal;
      const owner = req.ownerPrincipalName ? `${req.ownerPrincipalType ?? 'User'}:${req.ownerPrincipalName}` : requester;
      if (!allowTokenRequests(ctx)) return createFailure(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, owner, requester);
      if (owner !== requester && !authorized(deps, ctx, AclOperation.CREATE_TOKENS, ResourceType.USER, owner)) {
        return createFailure(ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED, owner, requester);
      }
      if (req.renewers.some((r) => r.principalType !== 'User')) return createFailure(ErrorCode.INVALID_PRINCIPAL_TYPE, owner, requester);
      if (!store.enabled) return createFailure(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED, owner, requester);
      await purge();
      const now = Date.now();
      const maxLifetime = req.maxLifetimeMs > 0 ? Math.min(deps.config.get('delegation.token.max.lifetime.ms'), req.maxLifetimeMs) : deps.config.get('delegation.token.max.lifetime.ms');
      const maxTimestamp = now + maxLifetime;
      const token: TokenInfo = {
        // Kafka 3.x+ (KRaft): Uuid.randomUuid().toString(), URL-safe base64 of 16 random bytes.
        tokenId: Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url'),
        owner,
        requester,
        renewers: req.renewers.map((r) => `${r.principalType}:${r.principalName}`),
        issueTimestamp: now,
        maxTimestamp,
        expiryTimestamp: Math.min(maxTimestamp, now + deps.config.get('delegation.token.expiry.time.ms')),
      };
      await store.put(token);
      const o = split(owner);
      const r = split(requester);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        principalType: o.type,
        principalName: o.name,
        tokenRequesterPrincipalType: r.type,
        tokenRequesterPrincipalName: r.name,
        issueTimestampMs: token.issueTimestamp,
        expiryTimestampMs: token.expiryTimestamp,
        maxTimestampMs: token.maxTimestamp,
        tokenId: token.tokenId,
        hmac: store.hmacOf(token.tokenId)!,
      };
    },
  });

  /** Renew and Expire share their checks: the answer is an error code, or the token. */
  const check = (ctx: RequestContext, hmac: Buffer): number | TokenInfo => {
    if (!allowTokenRequests(ctx)) return ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED;
    if (!store.enabled) return ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED;
    const token = store.byHmacValue(hmac);
    if (!token) return ErrorCode.DELEGATION_TOKEN_NOT_FOUND;
    if (!ownerOrRenewer(token, ctx.connection.principal)) return ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH;
    return token;
  };

  const renew = defineHandler(Api.RenewDelegationToken, {
    errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, expiryTimestampMs: -1 }),
    async handle(ctx, req) {
      const token = check(ctx, req.hmac);
      if (typeof token === 'number') return { throttleTimeMs: 0, errorCode: token, expiryTimestampMs: -1 };
      const now = Date.now();
      if (expired(token, now)) return { throttleTimeMs: 0, errorCode: ErrorCode.DELEGATION_TOKEN_EXPIRED, expiryTimestampMs: -1 };
      const period = req.renewPeriodMs > 0 ? req.renewPeriodMs : deps.config.get('delegation.token.expiry.time.ms');
      const expiryTimestamp = Math.min(token.maxTimestamp, now + period);
      await store.put({ ...token, expiryTimestamp });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, expiryTimestampMs: expiryTimestamp };
    },
  });

  const expire = defineHandler(Api.ExpireDelegationToken, {
    errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, expiryTimestampMs: -1 }),
    async handle(ctx, req) {
      const token = check(ctx, req.hmac);
      if (typeof token === 'number') return { throttleTimeMs: 0, errorCode: token, expiryTimestampMs: -1 };
      const now = Date.now();
      if (req.expiryTimePeriodMs < 0) {
        await store.remove([token.tokenId]);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, expiryTimestampMs: now };
      }
      if (expired(token, now)) return { throttleTimeMs: 0, errorCode: ErrorCode.DELEGATION_TOKEN_EXPIRED, expiryTimestampMs: -1 };
      const expiryTimestamp = Math.min(token.maxTimestamp, now + req.expiryTimePeriodMs);
      await store.put({ ...token, expiryTimestamp });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, expiryTimestampMs: expiryTimestamp };
    },
  });

  const describe = defineHandler(Api.DescribeDelegationToken, {
    errorResponse: (_req, errorCode): DescribeDelegationTokenResponse => ({ throttleTimeMs: 0, errorCode, tokens: [] }),
    async handle(ctx, req): Promise<DescribeDelegationTokenResponse> {
      const none = (errorCode: number): DescribeDelegationTokenResponse => ({ throttleTimeMs: 0, errorCode, tokens: [] });
      if (!allowTokenRequests(ctx)) return none(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
      if (!store.enabled) return none(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      if (req.owners !== null && req.owners.length === 0) return none(ErrorCode.NONE);
      await purge();
      const me = ctx.connection.principal;
      const owners = req.owners?.map((o) => `${o.principalType}:${o.principalName}`) ?? null;
      const now = Date.now();
      const eligible = (t: TokenInfo) => {
        if (expired(t, now)) return false;
        if (owners && !owners.some((o) => ownerOrRenewer(t, o))) return false;
        return (
          ownerOrRenewer(t, me) ||
          authorized(deps, ctx, AclOperation.DESCRIBE, ResourceType.DELEGATION_TOKEN, t.tokenId) ||
          authorized(deps, ctx, AclOperation.DESCRIBE_TOKENS, ResourceType.USER, t.owner)
        );
      };
      const tokens = store
        .all()
        .filter(eligible)
        .map((t) => {
          const o = split(t.owner);
          const r = split(t.requester);
          return {
            principalType: o.type,
            principalName: o.name,
            tokenRequesterPrincipalType: r.type,
            tokenRequesterPrincipalName: r.name,
            issueTimestamp: t.issueTimestamp,
            expiryTimestamp: t.expiryTimestamp,
            maxTimestamp: t.maxTimestamp,
            tokenId: t.tokenId,
            hmac: store.hmacOf(t.tokenId) ?? Buffer.alloc(0),
            renewers: t.renewers.map((p) => {
              const s = split(p);
              return { principalType: s.type, principalName: s.name };
            }),
          };
        });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, tokens };
    },
  });

  return [create, renew, expire, describe];
}

function createFailure(errorCode: number, owner: string, requester: string): CreateDelegationTokenResponse {
  const o = split(owner);
  const r = split(requester);
  return {
    throttleTimeMs: 0,
    errorCode,
    principalType: o.type,
    principalName: o.name,
    tokenRequesterPrincipalType: r.type,
    tokenRequesterPrincipalName: r.name,
    issueTimestampMs: -1,
    expiryTimestampMs: -1,
    maxTimestampMs: -1,
    tokenId: '',
    hmac: Buffer.alloc(0),
  };
}

// Delegation tokens (KIP-48) over raw requests, and SCRAM-SHA-256 logins with a token
// (user = token id, password = base64 of the HMAC, extension tokenauth=true, as Kafka's
// ScramLoginModule sends it): Create / Renew / Expire / Describe with Kafka's rules and errors,
// the token owner as the logged-in principal, token ACLs, expiry and max lifetime.
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { tokenLogin as scramTokenLogin } from './scram-token-login.js';
import { TOKEN_FILE } from '../../src/auth/delegation-token-store.js';

const SECRET = 'token-secret-key';
const USERS = { admin: 'admin-pw', alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' };
let tb: TestBroker;
const saslPort = (b = tb) => b.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;

async function plain(user: keyof typeof USERS, b = tb): Promise<RawClient> {
  const c = await RawClient.connect(saslPort(b));
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.send(36, 2, { authBytes: Buffer.from(`\0${user}\0${USERS[user]}`) })).errorCode).toBe(0);
  return c;
}

const hmacPassword = (hmac: Buffer) => hmac.toString('base64');
const tokenLogin = (tokenId: string, password: string) => scramTokenLogin(saslPort(), tokenId, password);

const create = (c: RawClient, body: { owner?: string; renewers?: string[]; maxLifetimeMs?: number } = {}) =>
  c.send(38, 3, {
    ownerPrincipalType: body.owner ? body.owner.split(':')[0] : null,
    ownerPrincipalName: body.owner ? body.owner.split(':')[1] : null,
    renewers: (body.renewers ?? []).map((p) => ({ principalType: p.split(':')[0], principalName: p.split(':')[1] })),
    maxLifetimeMs: body.maxLifetimeMs ?? -1,
  });
const describeTokens = (c: RawClient, owners: string[] | null = null) =>
  c.send(41, 3, { owners: owners && owners.map((p) => ({ principalType: p.split(':')[0], principalName: p.split(':')[1] })) });

beforeAll(async () => {
  const users = Object.entries(USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ');
  tb = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'delegation.token.secret.key': SECRET,
    'delegation.token.expiry.time.ms': '60000',
  });
  const admin = await plain('admin');
  const created = await admin.send(19, 7, { topics: [{ name: 'tok-t', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(created.topics[0].errorCode).toBe(0);
  // alice may describe tok-t: a token connection that sees it is alice's.
  const acl = await admin.send(30, 3, { creations: [{ resourceType: 2, resourceName: 'tok-t', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 8, permissionType: 3 }] });
  expect(acl.results[0].errorCode).toBe(0);
  admin.close();
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('delegation tokens', () => {
  it('creates a token whose SCRAM login is its owner, and which cannot manage tokens itself', async () => {
    const alice = await plain('alice');
    const res = await create(alice, { renewers: ['User:bob'] });
    alice.close();
    expect(res.errorCode).toBe(0);
    expect([res.principalType, res.principalName, res.tokenRequesterPrincipalName]).toEqual(['User', 'alice', 'alice']);
    // The HMAC is HMAC-SHA512(secret, token id), as Kafka signs it.
    expect(res.hmac).toEqual(createHmac('sha512', SECRET).update(res.tokenId).digest());
    expect(res.expiryTimestampMs - res.issueTimestampMs).toBe(60_000);
    expect(res.maxTimestampMs - res.issueTimestampMs).toBe(7 * 24 * 3600 * 1000);

    const login = await tokenLogin(res.tokenId, hmacPassword(res.hmac));
    if (typeof login === 'number') throw new Error(`token login failed: ${login}`);
    const meta = await login.send(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'tok-t' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(meta.topics[0].errorCode).toBe(0); // User:alice's ACL applies
    expect((await create(login)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    login.close();

    expect(await tokenLogin(res.tokenId, hmacPassword(randomBytes(64)))).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(await tokenLogin('no-such-token', hmacPassword(res.hmac))).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  });

  it('renews for the owner and renewers only; describes to owners, renewers and DESCRIBE ACLs', async () => {
    const alice = await plain('alice');
    const token = await create(alice, { renewers: ['User:bob'] });
    const bob = await plain('bob');
    const carol = await plain('carol');
    try {
      expect((await carol.send(39, 2, { hmac: token.hmac, renewPeriodMs: 1000 })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_OWNER_MISMATCH);
      expect((await bob.send(39, 2, { hmac: randomBytes(64), renewPeriodMs: 1000 })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);
      const before = Date.now();
      const renewed = await bob.send(39, 2, { hmac: token.hmac, renewPeriodMs: 120_000 });
      expect(renewed.errorCode).toBe(0);
      expect(renewed.expiryTimestampMs).toBeGreaterThanOrEqual(before + 120_000);

      const ids = (r: any) => r.tokens.map((t: { tokenId: string }) => t.tokenId);
      expect(ids(await describeTokens(alice))).toContain(token.tokenId);
      expect(ids(await describeTokens(bob, ['User:alice']))).toContain(token.tokenId);
      expect(ids(await describeTokens(carol))).toEqual([]);
      expect(ids(await describeTokens(alice, ['User:nobody']))).toEqual([]);
      expect(await describeTokens(alice, [])).toMatchObject({ errorCode: 0, tokens: [] });
      const described = (await describeTokens(alice)).tokens.find((t: { tokenId: string }) => t.tokenId === token.tokenId);
      expect(described).toMatchObject({ principalName: 'alice', expiryTimestamp: renewed.expiryTimestampMs, renewers: [{ principalType: 'User', principalName: 'bob' }] });
      // DESCRIBE on DELEGATION_TOKEN:<id> (resource type 6) lets carol see it.
      const admin = await plain('admin');
      const acl = await admin.send(30, 3, { creations: [{ resourceType: 6, resourceName: token.tokenId, resourcePatternType: 3, principal: 'User:carol', host: '*', operation: 8, permissionType: 3 }] });
      admin.close();
      expect(acl.results[0].errorCode).toBe(0);
      expect(ids(await describeTokens(carol))).toEqual([token.tokenId]);
    } finally {
      for (const c of [alice, bob, carol]) c.close();
    }
  });

  it('creating for another owner needs CREATE_TOKENS on that user; renewers must be users; PLAINTEXT may not', async () => {
    const carol = await plain('carol');
    const admin = await plain('admin');
    try {
      expect((await create(carol, { owner: 'User:alice' })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED);
      const forAlice = await create(admin, { owner: 'User:alice' });
      expect([forAlice.errorCode, forAlice.principalName, forAlice.tokenRequesterPrincipalName]).toEqual([0, 'alice', 'admin']);
      expect((await create(carol, { renewers: ['Group:g'] })).errorCode).toBe(ErrorCode.INVALID_PRINCIPAL_TYPE);
    } finally {
      carol.close();
      admin.close();
    }
    const anonymous = await RawClient.connect(tb.port);
    expect((await create(anonymous)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    expect((await describeTokens(anonymous)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_REQUEST_NOT_ALLOWED);
    anonymous.close();
  });

  it('expires at once with a negative period; a token past its max lifetime is expired', async () => {
    const alice = await plain('alice');
    try {
      const token = await create(alice);
      const live = await tokenLogin(token.tokenId, hmacPassword(token.hmac));
      if (typeof live === 'number') throw new Error(`token login failed: ${live}`);
      live.close();
      const expired = await alice.send(40, 2, { hmac: token.hmac, expiryTimePeriodMs: -1 });
      expect(expired.errorCode).toBe(0);
      expect(await tokenLogin(token.tokenId, hmacPassword(token.hmac))).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect((await alice.send(39, 2, { hmac: token.hmac, renewPeriodMs: 1000 })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_NOT_FOUND);

      const short = await create(alice, { maxLifetimeMs: 300 });
      expect(short.maxTimestampMs - short.issueTimestampMs).toBe(300);
      expect(short.expiryTimestampMs).toBe(short.maxTimestampMs);
      while (Date.now() <= short.maxTimestampMs + 5) await new Promise((r) => setTimeout(r, 50));
      expect((await alice.send(39, 2, { hmac: short.hmac, renewPeriodMs: 1000 })).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_EXPIRED);
      expect(await tokenLogin(short.tokenId, hmacPassword(short.hmac))).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect((await describeTokens(alice)).tokens.map((t: { tokenId: string }) => t.tokenId)).not.toContain(short.tokenId);
    } finally {
      alice.close();
    }
  });

  it('tokens survive a restart (the HMAC and SCRAM keys are derived again from the secret, never stored)', async () => {
    const alice = await plain('alice');
    const token = await create(alice, { renewers: ['User:bob'] });
    alice.close();
    expect(token.errorCode).toBe(0);
    tb = await tb.restart();
    const stored = fs.readFileSync(path.join(tb.broker.config.logDirs[0]!, TOKEN_FILE), 'utf8');
    expect(stored).toContain(token.tokenId);
    expect(stored).not.toContain(token.hmac.toString('base64'));
    const login = await tokenLogin(token.tokenId, hmacPassword(token.hmac));
    if (typeof login === 'number') throw new Error(`token login after restart failed: ${login}`);
    login.close();
    const bob = await plain('bob');
    expect((await bob.send(39, 2, { hmac: token.hmac, renewPeriodMs: 1000 })).errorCode).toBe(0);
    bob.close();
  });

  it('without delegation.token.secret.key tokens are disabled', async () => {
    const other = await startTestBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-pw";',
      'sasl.enabled.mechanisms': 'PLAIN',
    });
    try {
      const alice = await plain('alice', other);
      expect((await create(alice)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      expect((await describeTokens(alice)).errorCode).toBe(ErrorCode.DELEGATION_TOKEN_AUTH_DISABLED);
      alice.close();
    } finally {
      await other.cleanup();
    }
  });
});

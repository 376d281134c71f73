// SASL/OAUTHBEARER: the unsecured validator (alg "none" tokens, development) and the JWKS
// validator (Kafka's OAuthBearerValidatorCallbackHandler, keys from a file: JWKS URL), driven by
// kafkajs and @platformatic/kafka; bad, expired, wrongly signed or out-of-scope tokens fail with
// SASL_AUTHENTICATION_FAILED after the RFC 7628 error challenge.
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const unsecured = (claims: object) => `${b64({ alg: 'none' })}.${b64(claims)}.`;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signed = (claims: object, key = privateKey, kid = 'k1') => {
  const head = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
};

let dir: string;
let tb: TestBroker;
const port = (name: string) => tb.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-'));
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
  tb = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,DEV://127.0.0.1:0,PROD://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,DEV:SASL_PLAINTEXT,PROD:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.dev.oauthbearer.sasl.jaas.config':
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";',
    'listener.name.prod.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
    'listener.name.prod.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwksFile).href,
    'listener.name.prod.sasl.oauthbearer.expected.issuer': 'https://issuer.test',
    'listener.name.prod.sasl.oauthbearer.expected.audience': 'kafka',
    'num.partitions': '1',
  });
});
afterAll(async () => {
  await tb?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const principals = () => [...((tb.broker as any).server.connections as Set<any>)].map((c) => c.info.principal);

/** SaslHandshake + SaslAuthenticate with one token; returns the broker's answers. */
async function rawLogin(listener: string, token: string) {
  const c = await RawClient.connect(port(listener));
  expect((await c.send(17, 1, { mechanism: 'OAUTHBEARER' })).errorCode).toBe(0);
  const first = await c.send(36, 2, { authBytes: Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`) });
  if (first.errorCode !== 0 || first.authBytes.length === 0) return { c, first, second: null };
  const second = await c.send(36, 2, { authBytes: Buffer.from([1]) });
  return { c, first, second };
}

describe('OAUTHBEARER, unsecured validator', () => {
  it('kafkajs logs in with an unsecured token and is User:<sub>', async () => {
    const token = unsecured({ sub: 'svc-orders', exp: now() + 600, iat: now(), scope: 'kafka other' });
    const k = kafkajs(`127.0.0.1:${port('DEV')}`, { retry: { retries: 0 }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) } });
    const admin = k.admin();
    await admin.connect();
    expect(principals()).toContain('User:svc-orders');
    await admin.createTopics({ topics: [{ topic: 'oauth-dev' }] });
    await admin.disconnect();
  });

  it.each([
    ['expired', unsecured({ sub: 'a', exp: now() - 600, scope: 'kafka' }), /expired/],
    ['without the required scope', unsecured({ sub: 'a', exp: now() + 600, scope: 'other' }), /missing required scope kafka/],
    ['without a subject', unsecured({ exp: now() + 600, scope: 'kafka' }), /no sub claim/],
    ['signed (alg RS256) on the unsecured listener', signed({ sub: 'a', exp: now() + 600, scope: 'kafka' }), /alg "none"/],
    ['not a JWT', 'garbage', /three dot-separated parts/],
  ])('refuses a token %s: invalid_token challenge, then SASL_AUTHENTICATION_FAILED', async (_what, token, message) => {
    const { c, first, second } = await rawLogin('DEV', token);
    expect(first.errorCode).toBe(0);
    expect(JSON.parse(first.authBytes.toString())).toEqual({ status: 'invalid_token' });
    expect(second!.errorCode).toBe(58);
    expect(second!.errorMessage).toMatch(message);
    await c.closedPromise;
  });
});

describe('OAUTHBEARER, JWKS validator', () => {
  const good = () => ({ sub: 'svc-billing', iss: 'https://issuer.test', aud: ['kafka'], exp: now() + 600, iat: now() });

  it('@platformatic/kafka produces with a signed token and is User:<sub>', async () => {
    const producer = new Producer({
      clientId: 'oauth',
      bootstrapBrokers: [`127.0.0.1:${port('PROD')}`],
      sasl: { mechanism: 'OAUTHBEARER', token: signed(good()) },
      autocreateTopics: true,
      retries: 0,
    });
    try {
      await producer.send({ messages: [{ topic: 'oauth-prod', partition: 0, value: Buffer.from('x') }] });
      expect(principals()).toContain('User:svc-billing');
    } finally {
      await producer.close();
    }
  });

  it.each([
    ['signed by another key', () => signed(good(), rogue.privateKey), /signature does not verify/],
    ['with an unknown kid', () => signed(good(), privateKey, 'k2'), /no JWKS key for kid k2/],
    ['from another issuer', () => signed({ ...good(), iss: 'https://evil.test' }), /unexpected issuer/],
    ['for another audience', () => signed({ ...good(), aud: 'other' }), /unexpected audience/],
    ['expired', () => signed({ ...good(), exp: now() - 600 }), /expired/],
    ['unsecured', () => unsecured(good()), /unsupported signature algorithm none/],
  ])('refuses a token %s', async (_what, token, message) => {
    const { c, second } = await rawLogin('PROD', token());
    expect(second!.errorCode).toBe(58);
    expect(second!.errorMessage).toMatch(message);
    await c.closedPromise;
  });
});

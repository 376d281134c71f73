// Delegation tokens with the Java AdminClient and a Java producer (test/compat/java/TokenSession.java,
// kafka-clients): create / describe / renew as alice over SASL/PLAIN, then a SCRAM-SHA-256 login
// with the token (ScramLoginModule tokenauth=true) that acts as alice, may not create tokens,
// and is refused once alice expires the token; carol cannot expire it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaClasspath, runJava, stepOf } from '../helpers/java-client.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let broker: TestBroker;
let saslBootstrap: string;

beforeAll(async () => {
  javaClasspath();
  const users = 'user_admin="admin-pw" user_alice="alice-pw" user_bob="bob-pw" user_carol="carol-pw"';
  broker = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
    'delegation.token.secret.key': 'java-token-secret',
    'num.partitions': '1',
  });
  saslBootstrap = `127.0.0.1:${broker.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort}`;
}, 240_000);

afterAll(async () => {
  await broker?.cleanup();
});

describe('delegation tokens (Java AdminClient)', () => {
  it('creates, uses, renews and expires a token as Kafka does', async () => {
    const s = await runJava('TokenSession', [saslBootstrap, 'token-topic'], 120_000);
    expect(stepOf(s, 'create')).toMatchObject({ owner: 'User:alice', renewers: '[User:bob]', lifetimeMs: 7 * 24 * 3600 * 1000 });
    expect(stepOf(s, 'describe')).toMatchObject({ found: true });
    expect(stepOf(s, 'renew').result).toEqual({ ok: true });
    expect(stepOf(s, 'token.describeCluster').result).toEqual({ ok: 1 });
    // Kafka maps DELEGATION_TOKEN_REQUEST_NOT_ALLOWED to UnsupportedByAuthenticationException.
    expect(stepOf(s, 'token.createToken').result).toEqual({ error: 'UnsupportedByAuthenticationException' });
    expect(stepOf(s, 'token.produce').result).toEqual({ ok: 0 });
    expect(stepOf(s, 'carol.expire').result).toEqual({ error: 'DelegationTokenOwnerMismatchException' });
    expect(stepOf(s, 'alice.expire').result).toEqual({ ok: 'done' });
    expect(stepOf(s, 'expired.describeCluster').result).toEqual({ error: 'SaslAuthenticationException' });
    // The token's produce landed, written as alice's client.
    const c = await RawClient.connect(broker.port);
    const offsets = await c.send(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'token-topic', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    c.close();
    expect(Number(offsets.topics[0].partitions[0].offset)).toBe(1);
  }, 180_000);
});

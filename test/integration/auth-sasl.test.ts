// SASL and TLS listeners against an in-process broker with PLAINTEXT, SASL_PLAINTEXT, SASL_SSL and
// SSL listeners: kafkajs (PLAIN, SCRAM-SHA-256/512, TLS with the test CA), raw-protocol checks of
// Kafka's SASL state machine (requests before authentication, v0 raw tokens, unsupported
// mechanisms, bounded tokens, KIP-368 session expiry and re-authentication), the SCRAM admin APIs
// and their persistence, and client-certificate principals.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { Consumer, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { SCRAM_FILE } from '../../src/auth/scram-store.js';
import {
  alterScram,
  createScramUsers,
  makeCerts,
  PLAIN_USERS,
  SCRAM_USERS,
  scramUpsertion,
  securityOverrides,
  type TestCerts,
} from './auth-setup.js';
import { kafkajs } from '../helpers/clients.js';

let certs: TestCerts;
let tb: TestBroker;
const port = (name: string) => tb.broker.boundListeners.find((l) => l.name === name)!.boundPort;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  certs = makeCerts();
  tb = await startTestBroker(securityOverrides(certs, { 'num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' }));
  await createScramUsers(port('PLAINTEXT'));
});
afterAll(async () => {
  await tb?.cleanup();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

function kafka(listener: string, extra: Partial<KafkaConfig>): Kafka {
  return kafkajs(`127.0.0.1:${port(listener)}`, { clientId: 'auth-test', retry: { retries: 0 }, ...extra });
}

async function roundTrip(k: Kafka, topic: string): Promise<string[]> {
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: `hello ${topic}` }] });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no record consumed')), 15000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
        clearTimeout(t);
        resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

/** Principals of the broker's open connections on one listener (the state handlers see). */
function principals(listener: string): string[] {
  const conns = (tb.broker as any).server.connections as Set<{ info: { listenerName: string; principal: string } }>;
  return [...conns].filter((c) => c.info.listenerName === listener).map((c) => c.info.principal);
}

describe('kafkajs over SASL and TLS listeners', () => {
  it('PLAIN over SASL_PLAINTEXT produces and consumes, and the connection is User:alice', async () => {
    const k = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: PLAIN_USERS.alice } });
    const admin = k.admin();
    await admin.connect();
    expect(principals('SASL_PLAINTEXT')).toContain('User:alice');
    await admin.disconnect();
    expect(await roundTrip(k, 'auth-plain')).toEqual(['hello auth-plain']);
  });

  it.each([
    ['scram-sha-256', 'scram256', SCRAM_USERS.scram256],
    ['scram-sha-512', 'scram512', SCRAM_USERS.scram512],
  ] as const)('%s over SASL_SSL with the test CA', async (mechanism, username, password) => {
    const k = kafka('SASL_SSL', { ssl: { ca: [certs.ca] }, sasl: { mechanism, username, password } as any });
    expect(await roundTrip(k, `auth-${mechanism}`)).toEqual([`hello auth-${mechanism}`]);
  });

  it('Metadata advertises the listener the client connected through', async () => {
    for (const listener of ['PLAINTEXT', 'SASL_SSL']) {
      const extra: Partial<KafkaConfig> =
        listener === 'SASL_SSL' ? { ssl: { ca: [certs.ca] }, sasl: { mechanism: 'plain', username: 'admin', password: PLAIN_USERS.admin } } : {};
      const admin = kafka(listener, extra).admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.brokers.map((b) => b.port)).toEqual([port(listener)]);
    }
  });

  it('a wrong password fails with SASL_AUTHENTICATION_FAILED and the broker keeps serving', async () => {
    const bad = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'scram-sha-256', username: 'scram256', password: 'nope' } }).admin();
    const err = await bad.connect().then(() => null, (e: any) => e);
    expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(String(err?.message)).toMatch(/SASL SCRAM SHA256 authentication failed/);
    const badPlain = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' } }).admin();
    const err2 = await badPlain.connect().then(() => null, (e: any) => e);
    expect(String(err2?.message)).toMatch(/Invalid username or password/);
    const good = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'admin', password: PLAIN_USERS.admin } }).admin();
    await good.connect();
    expect(await good.listTopics()).toEqual(expect.any(Array));
    await good.disconnect();
    const plain = kafka('PLAINTEXT', {}).admin();
    await plain.connect();
    expect(await plain.listTopics()).toContain('auth-plain');
    await plain.disconnect();
  });

  it('SSL listener: kafkajs with the CA works; the connection is anonymous without client auth', async () => {
    const k = kafka('SSL', { ssl: { ca: [certs.ca] } });
    const admin = k.admin();
    await admin.connect();
    expect(principals('SSL')).toEqual(expect.arrayContaining(['User:ANONYMOUS']));
    await admin.disconnect();
    expect(await roundTrip(k, 'auth-ssl')).toEqual(['hello auth-ssl']);
    const untrusting = kafka('SSL', { ssl: { rejectUnauthorized: true }, connectionTimeout: 3000 }).admin();
    await expect(untrusting.connect()).rejects.toThrow();
  });
});

/** Frames without Kafka headers (the SASL v0 path): size-prefixed tokens both ways. */
function rawTokenIo(socket: net.Socket) {
  let buf = Buffer.alloc(0);
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0) && waiters.length > 0) {
      const n = buf.readInt32BE(0);
      const frame = buf.subarray(4, 4 + n);
      buf = buf.subarray(4 + n);
      waiters.shift()!(frame);
    }
  });
  return {
    send(token: Buffer): Promise<Buffer> {
      const size = Buffer.alloc(4);
      size.writeInt32BE(token.length);
      socket.write(Buffer.concat([size, token]));
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('@platformatic/kafka over SASL listeners', () => {
  const cases = [
    { listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', username: 'alice', password: PLAIN_USERS.alice },
    { listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-256', username: 'scram256', password: SCRAM_USERS.scram256 },
    { listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: 'scram512', password: SCRAM_USERS.scram512 },
  ] as const;
  const options = (c: (typeof cases)[number], password: string = c.password) => ({
    clientId: 'pk-auth',
    bootstrapBrokers: [`127.0.0.1:${port(c.listener)}`],
    sasl: { mechanism: c.mechanism, username: c.username, password },
    ...(c.listener === 'SASL_SSL' ? { tls: { ca: certs.ca } } : {}),
    retries: 0,
  });

  it.each(cases)('$mechanism over $listener: produce and consume as User:$username', async (c) => {
    const topic = `pk-auth-${c.mechanism.toLowerCase()}`;
    const producer = new Producer({ ...options(c), autocreateTopics: true });
    try {
      await producer.send({ messages: [{ topic, partition: 0, value: Buffer.from(`v-${c.mechanism}`) }] });
      expect(principals(c.listener)).toContain(`User:${c.username}`);
    } finally {
      await producer.close();
    }
    const consumer = new Consumer({ ...options(c), groupId: `g-${topic}`, maxWaitTime: 100 });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
      const value = await new Promise<string>((resolve) => stream.once('data', (m) => resolve(m.value.toString())));
      expect(value).toBe(`v-${c.mechanism}`);
      await stream.close();
    } finally {
      await consumer.close();
    }
  });

  it('a wrong password fails with the broker\'s authentication error', async () => {
    const producer = new Producer(options(cases[2], 'wrong'));
    try {
      const err = await producer.send({ messages: [{ topic: 'pk-auth-x', partition: 0, value: Buffer.from('x') }] }).then(
        () => null,
        (e: any) => e,
      );
      expect(err).not.toBeNull();
      expect(JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err?.errors?.map((e: any) => e.message + e.cause?.message))).toMatch(
        /SASL_AUTHENTICATION_FAILED|Authentication failed|authentication/i,
      );
    } finally {
      await producer.close();
    }
  });
});

describe('Kafka SASL state machine (raw protocol)', () => {
  it('closes a connection that sends Metadata before authenticating, after ApiVersions is answered', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    const versions = await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    const keys = versions.apiKeys.map((a: any) => a.apiKey);
    expect(keys).toEqual(expect.arrayContaining([17, 36, 50, 51]));
    await expect(c.send(3, 1, { topics: null })).rejects.toThrow(/closed/);
    await c.closedPromise;
  });

  it('answers an unsupported mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled list, then closes', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    const r = await c.send(17, 1, { mechanism: 'GSSAPI' });
    expect(r.errorCode).toBe(33);
    expect(r.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await c.closedPromise;
  });

  it('SaslAuthenticate with a wrong password answers SASL_AUTHENTICATION_FAILED (58) and closes', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const r = await c.send(36, 2, { authBytes: Buffer.from('\0alice\0bad') });
    expect(r.errorCode).toBe(58);
    expect(r.errorMessage).toBe('Authentication failed: Invalid username or password');
    await c.closedPromise;
  });

  it('v0 handshake: raw PLAIN token, 4 zero bytes back, then ordinary requests work', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await c.send(17, 0, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    c.socket.removeAllListeners('data');
    const io = rawTokenIo(c.socket);
    const reply = await io.send(Buffer.from('alice\0alice\0' + PLAIN_USERS.alice));
    expect(reply.length).toBe(0);
    // Authenticated: a Metadata v1 request (framed as usual) is answered with its correlation id.
    const { frame } = c.encode(3, 1, { topics: null }, 4242);
    const response = await io.send(frame.subarray(4));
    expect(response.readInt32BE(0)).toBe(4242);
    c.close();
  });

  it('v0 handshake with a wrong raw token closes without a reply', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await c.send(17, 0, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    c.socket.removeAllListeners('data');
    const io = rawTokenIo(c.socket);
    const outcome = await Promise.race([io.send(Buffer.from('\0alice\0wrong')).then(() => 'reply'), c.closedPromise.then(() => 'closed')]);
    expect(outcome).toBe('closed');
  });

  it('bounds frames before authentication by sasl.server.max.receive.size', async () => {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const huge = Buffer.alloc(524288 + 100, 1);
    c.send(36, 2, { authBytes: huge }).catch(() => {});
    await c.closedPromise;
    expect(c.closed).toBe(true);
  });

  it('SaslHandshake on a PLAINTEXT listener is ILLEGAL_SASL_STATE and the connection stays usable', async () => {
    const c = await RawClient.connect(port('PLAINTEXT'));
    expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(34);
    expect((await c.send(36, 2, { authBytes: Buffer.alloc(0) })).errorCode).toBe(34);
    const md = await c.send(3, 1, { topics: null });
    expect(md.brokers[0].port).toBe(port('PLAINTEXT'));
    c.close();
  });
});

describe('SCRAM credentials admin', () => {
  it('describes users by mechanism and iterations, with Kafka per-user errors', async () => {
    const c = await RawClient.connect(port('PLAINTEXT'));
    const all = await c.send(50, 0, { users: null });
    expect(all.results.map((r: any) => [r.user, r.credentialInfos])).toEqual(
      expect.arrayContaining([
        ['scram256', [{ mechanism: 1, iterations: 4096 }]],
        ['scram512', [{ mechanism: 2, iterations: 4096 }]],
      ]),
    );
    const some = await c.send(50, 0, { users: [{ name: 'scram256' }, { name: 'ghost' }, { name: 'dup' }, { name: 'dup' }] });
    const byUser = Object.fromEntries(some.results.map((r: any) => [r.user, r]));
    expect(byUser.scram256.errorCode).toBe(0);
    expect(byUser.ghost.errorCode).toBe(91);
    expect(byUser.ghost.errorMessage).toBe('Attempt to describe a user credential that does not exist: ghost');
    expect(byUser.dup.errorCode).toBe(92);
    c.close();
  });

  it('rejects bad alterations with Kafka error codes', async () => {
    const res = await alterScram(port('PLAINTEXT'), {
      deletions: [{ name: 'ghost', mechanism: 1 }],
      upsertions: [
        scramUpsertion('few', 'SCRAM-SHA-256', 'x', 1024),
        scramUpsertion('many', 'SCRAM-SHA-512', 'x', 20000),
        { ...scramUpsertion('unknown-mech', 'SCRAM-SHA-256', 'x'), mechanism: 0 },
        scramUpsertion('', 'SCRAM-SHA-256', 'x'),
        scramUpsertion('twice', 'SCRAM-SHA-256', 'x'),
        scramUpsertion('twice', 'SCRAM-SHA-512', 'x'),
      ],
    });
    const byUser = Object.fromEntries(res.results.map((r: any) => [r.user, [r.errorCode, r.errorMessage]]));
    expect(byUser).toEqual({
      ghost: [91, 'Attempt to delete a user credential that does not exist'],
      few: [93, 'Too few iterations'],
      many: [93, 'Too many iterations'],
      'unknown-mech': [33, 'Unknown SCRAM mechanism'],
      '': [93, 'Username must not be empty'],
      twice: [92, 'A user credential cannot be altered twice in the same request'],
    });
  });

  it('persists salted keys only, survives a restart, and deletion revokes the login', async () => {
    const res = await alterScram(port('PLAINTEXT'), { upsertions: [scramUpsertion('bob', 'SCRAM-SHA-512', 'bob-password-1')] });
    expect(res.results).toEqual([{ user: 'bob', errorCode: 0, errorMessage: null }]);
    const file = `${tb.dataDir}/${SCRAM_FILE}`;
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('"bob"');
    expect(text).not.toContain('bob-password-1');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    tb = await tb.restart();
    const bob = () => kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-password-1' } }).admin();
    const a = bob();
    await a.connect();
    await a.disconnect();

    const del = await alterScram(port('PLAINTEXT'), { deletions: [{ name: 'bob', mechanism: 2 }] });
    expect(del.results).toEqual([{ user: 'bob', errorCode: 0, errorMessage: null }]);
    await expect(bob().connect()).rejects.toThrow(/Authentication failed/);
  });
});

describe('session lifetime (connections.max.reauth.ms, KIP-368)', () => {
  it('reports the lifetime, closes an expired session on its next request, and accepts re-authentication', async () => {
    const short = await startTestBroker(securityOverrides(certs, { 'connections.max.reauth.ms': '1200' }));
    try {
      const saslPort = short.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;
      const login = async (c: RawClient) => {
        expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
        return c.send(36, 2, { authBytes: Buffer.from('\0alice\0' + PLAIN_USERS.alice) });
      };
      const expiring = await RawClient.connect(saslPort);
      const first = await login(expiring);
      expect(first.errorCode).toBe(0);
      expect(first.sessionLifetimeMs).toBe(1200);
      expect((await expiring.send(3, 1, { topics: null })).brokers[0].port).toBe(saslPort);

      const renewing = await RawClient.connect(saslPort);
      expect((await login(renewing)).errorCode).toBe(0);
      await new Promise((r) => setTimeout(r, 1100));
      const again = await login(renewing);
      expect(again.errorCode).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      // 1400 ms after the first login: the renewed session is alive, the other one expired.
      expect((await renewing.send(3, 1, { topics: null })).brokers).toHaveLength(1);
      await expect(expiring.send(3, 1, { topics: null })).rejects.toThrow(/closed/);

      // Re-authenticating as someone else is refused.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await renewing.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
      const other = await renewing.send(36, 2, { authBytes: Buffer.from('\0admin\0' + PLAIN_USERS.admin) });
      expect(other.errorCode).toBe(58);
      expect(other.errorMessage).toMatch(/Cannot change principals during re-authentication/);
      renewing.close();
    } finally {
      await short.cleanup();
    }
  });
});

describe('TLS client authentication', () => {
  it('ssl.client.auth=required: a trusted client certificate gives User:<subject DN>, none or an untrusted one is refused', async () => {
    const mtls = await startTestBroker({
      listeners: 'SSL://127.0.0.1:0',
      // Inline PEM (KIP-651) instead of files.
      'ssl.keystore.key': certs.serverKey,
      'ssl.keystore.certificate.chain': certs.serverCert,
      'ssl.truststore.certificates': certs.ca,
      'ssl.client.auth': 'required',
    });
    try {
      const brokers = [`127.0.0.1:${mtls.port}`];
      const k = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [certs.ca], key: certs.clientKey, cert: certs.clientCert } });
      const admin = k.admin();
      await admin.connect();
      const conns = [...((mtls.broker as any).server.connections as Set<any>)].map((c) => c.info.principal);
      expect(conns).toContain('User:CN=alice,O=Tributary Tests,C=US');
      expect((await admin.describeCluster()).brokers[0]!.port).toBe(mtls.port);
      await admin.disconnect();

      const handshake = (opts: tls.ConnectionOptions) =>
        new Promise<string>((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port: mtls.port, ca: certs.ca, ...opts });
          s.on('secureConnect', () => s.write(Buffer.alloc(4)));
          s.on('error', () => resolve('refused'));
          s.on('close', () => resolve('refused'));
          s.on('data', () => resolve('served'));
        });
      expect(await handshake({})).toBe('refused');
      expect(await handshake({ key: certs.rogueKey, cert: certs.rogueCert })).toBe('refused');
    } finally {
      await mtls.cleanup();
    }
  });
});

describe('security configuration errors fail the start', () => {
  it.each([
    [{ listeners: 'SSL://127.0.0.1:0' }, /ssl.keystore.location/],
    [{ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': '/nonexistent/ks.pem' }, /Cannot read PEM file/],
    [{ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'PlainLoginModule required user_a="b"' }, /must end with ';'/],
    [{ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'GSSAPI' }, /listener.name.sasl_plaintext.sasl.enabled.mechanisms/],
    [{ 'ssl.keystore.type': 'JKS' }, /Only PEM is supported/],
  ])('%o', async (overrides, message) => {
    await expect(startTestBroker(overrides)).rejects.toThrow(message);
  });
});

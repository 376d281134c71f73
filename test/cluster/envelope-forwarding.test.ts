// Forwarding with the client's principal (KIP-590 Envelope, issue 15): three brokers on SASL PLAIN
// with ACLs. Admin requests sent to a broker that is not the controller travel to the controller
// in an Envelope naming the client, and the controller authorizes them as that client.
//
// Proof that the controller decides, not the forwarder: brokers 2 and 3 (the forwarders) list
// User:alice among their super.users, the controller (broker 1) does not. Had the forwarder
// authorized (or forwarded with its own, super-user, identity), alice could touch topic u; she
// gets TOPIC_AUTHORIZATION_FAILED for u because the controller, which knows her only by her ACLs
// (ALTER, ALTER_CONFIGS, DELETE on t), decided.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { serializePrincipal } from '../../src/auth/principal-serde.js';
import { encodeClientAddress, encodeInnerRequest } from '../../src/cluster/controller/envelope-codec.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_alice="alice-secret" user_bob="bob-secret";';
const TOPIC = 2;
const LITERAL = 3;
const ALLOW = 3;
const Op = { CREATE: 5, DELETE: 6, ALTER: 7, ALTER_CONFIGS: 11 };

const brokers: TestBroker[] = [];
const saslPort = (b: TestBroker) => b.broker.endpointFor('SASL_PLAINTEXT').port;
const plainPort = (b: TestBroker) => b.broker.endpointFor('PLAINTEXT').port;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A raw connection logged in with SASL PLAIN (handshake v1, SaslAuthenticate v2). */
function login(port: number, user: string, password: string): Promise<RawClient> {
  return loginFrom(port, user, password);
}

/** The same from a chosen loopback address (any 127.x.y.z works on Linux). */
async function loginFrom(port: number, user: string, password: string, localAddress?: string): Promise<RawClient> {
  const c = await RawClient.connect(port, '127.0.0.1', localAddress);
  const hs = await c.send(17, 1, { mechanism: 'PLAIN' });
  expect(hs.errorCode).toBe(0);
  const auth = await c.send(36, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) });
  expect(auth.errorCode).toBe(0);
  return c;
}

function start(nodeId: number, store: string, superUsers: string): Promise<TestBroker> {
  return startTestBroker({
    'node.id': String(nodeId),
    'tributary.metadata.store': store,
    'tributary.metadata.session.timeout.ms': '1500',
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': superUsers,
    'controlled.shutdown.enable': 'false',
    // controller_mutation_rate burst of one second's worth, so one request can put the bucket in deficit.
    'controller.quota.window.num': '1',
    'controller.quota.window.size.seconds': '1',
  });
}

let admin: RawClient;
let alice: RawClient;

beforeAll(async () => {
  const store = `memory:envelope-${randomBytes(6).toString('hex')}`;
  brokers.push(await start(1, store, 'User:broker'));
  await waitFor('broker 1 is the controller', () => brokers[0]!.broker.cluster?.controller !== undefined);
  brokers.push(await start(2, store, 'User:broker;User:alice'));
  brokers.push(await start(3, store, 'User:broker;User:alice'));
  await waitFor('3 brokers registered', () => brokers.every((b) => b.broker.cluster!.liveBrokers().length === 3));

  admin = await login(saslPort(brokers[0]!), 'broker', 'broker-secret');
  const created = await admin.send(19, 7, {
    topics: ['t', 'u'].map((name) => ({ name, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(created.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
  const acls = await admin.send(30, 3, {
    creations: [Op.ALTER, Op.ALTER_CONFIGS, Op.DELETE].map((operation) => ({
      resourceType: TOPIC, resourceName: 't', resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation, permissionType: ALLOW,
    })),
  });
  expect(acls.results.map((r: any) => r.errorCode)).toEqual([0, 0, 0]);
  await waitFor('topics and ACLs on every broker', () =>
    brokers.every((b) => b.broker.topics.get('t') !== undefined && b.broker.topics.get('u') !== undefined && b.broker.authorizer!.authorize('User:alice', '127.0.0.1', Op.DELETE, TOPIC, 't')));
  alice = await login(saslPort(brokers[1]!), 'alice', 'alice-secret');
}, 30_000);

afterAll(async () => {
  admin?.close();
  alice?.close();
  for (const b of brokers.splice(0).reverse()) await b.cleanup();
});

describe('admin requests on a broker that is not the controller', () => {
  it('are authorized on the controller as the client: allowed on t, TOPIC_AUTHORIZATION_FAILED on u', async () => {
    expect(brokers[1]!.broker.cluster!.controller).toBeUndefined();
    // Sanity of the setup: the forwarder itself would let alice do anything.
    expect(brokers[1]!.broker.authorizer!.authorize('User:alice', '127.0.0.1', Op.DELETE, TOPIC, 'u')).toBe(true);
    expect(brokers[0]!.broker.authorizer!.authorize('User:alice', '127.0.0.1', Op.DELETE, TOPIC, 'u')).toBe(false);

    const configs = await alice.send(44, 1, {
      resources: ['t', 'u'].map((name) => ({ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', configOperation: 0, value: '4242000' }] })),
      validateOnly: false,
    });
    expect(configs.responses.map((r: any) => [r.resourceName, r.errorCode])).toEqual([['t', 0], ['u', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    await waitFor("t's new retention on broker 3", () => brokers[2]!.broker.topics.get('t')?.configs['retention.ms'] === '4242000');
    expect(brokers[2]!.broker.topics.get('u')!.configs['retention.ms']).toBeUndefined();

    const parts = await alice.send(37, 3, { topics: ['t', 'u'].map((name) => ({ name, count: 2, assignments: null })), timeoutMs: 10_000, validateOnly: false });
    expect(parts.results.map((r: any) => [r.name, r.errorCode])).toEqual([['t', 0], ['u', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    await waitFor('t has 2 partitions on broker 3', () => brokers[2]!.broker.topics.get('t')?.partitions === 2);
    expect(brokers[2]!.broker.topics.get('u')!.partitions).toBe(1);

    // No CREATE anywhere for alice: refused by the controller.
    const create = await alice.send(19, 7, { topics: [{ name: 'v', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    expect(create.topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

    const del = await alice.send(20, 6, { topics: ['t', 'u'].map((name) => ({ name, topicId: ZERO_UUID })), topicNames: [], timeoutMs: 10_000 });
    expect(del.responses.map((r: any) => [r.name, r.errorCode])).toEqual([['t', 0], ['u', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    await waitFor('t deleted on every broker', () => brokers.every((b) => b.broker.topics.get('t') === undefined));
    expect(brokers.every((b) => b.broker.topics.get('u') !== undefined)).toBe(true);
    expect(brokers.every((b) => b.broker.topics.get('v') === undefined)).toBe(true);
  }, 30_000);
});

describe('a real client pinned to a broker that is not the controller', () => {
  it('kafkajs alters configs and deletes topics as the client would on the controller', async () => {
    const created = await admin.send(19, 7, {
      topics: ['k', 'k2'].map((name) => ({ name, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
    expect((await admin.send(30, 3, {
      creations: [Op.ALTER_CONFIGS, Op.DELETE].map((operation) => ({ resourceType: TOPIC, resourceName: 'k', resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation, permissionType: ALLOW })),
    })).results.map((r: any) => r.errorCode)).toEqual([0, 0]);
    await waitFor('k, k2 and the ACLs on every broker', () =>
      brokers.every((b) => b.broker.topics.get('k2') !== undefined && b.broker.authorizer!.authorize('User:alice', '127.0.0.1', Op.DELETE, TOPIC, 'k')));

    // Every connection kafkajs opens, to whichever broker metadata names, lands on broker 2.
    const pinned = saslPort(brokers[1]!);
    const kafka = new Kafka({
      clientId: 'envelope-kafkajs',
      brokers: [`127.0.0.1:${pinned}`],
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      socketFactory: ({ onConnect }) => {
        const socket = net.connect({ host: '127.0.0.1', port: pinned }, onConnect);
        socket.setKeepAlive(true, 30_000);
        return socket;
      },
    });
    const client = kafka.admin();
    await client.connect();
    try {
      await client.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'k', configEntries: [{ name: 'retention.ms', value: '5151000' }] }] });
      await waitFor("k's retention on the controller", () => brokers[0]!.broker.topics.get('k')?.configs['retention.ms'] === '5151000');
      await expect(client.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'k2', configEntries: [{ name: 'retention.ms', value: '5151000' }] }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
      await expect(client.deleteTopics({ topics: ['k2'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
      await client.deleteTopics({ topics: ['k'] });
      await waitFor('k deleted on every broker', () => brokers.every((b) => b.broker.topics.get('k') === undefined));
      expect(brokers.every((b) => b.broker.topics.get('k2') !== undefined && b.broker.topics.get('k2')!.configs['retention.ms'] === undefined)).toBe(true);
    } finally {
      await client.disconnect();
    }
  }, 30_000);
});

describe('the client address in the envelope', () => {
  it("host ACLs on the controller see the client's address, not the forwarding broker's", async () => {
    const created = await admin.send(19, 7, { topics: [{ name: 'h', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(0);
    expect((await admin.send(30, 3, {
      creations: [{ resourceType: TOPIC, resourceName: 'h', resourcePatternType: LITERAL, principal: 'User:bob', host: '127.0.0.5', operation: Op.ALTER_CONFIGS, permissionType: ALLOW }],
    })).results[0].errorCode).toBe(0);
    await waitFor('h and the ACL on the controller', () => brokers[0]!.broker.topics.get('h') !== undefined && brokers[0]!.broker.authorizer!.authorize('User:bob', '127.0.0.5', Op.ALTER_CONFIGS, TOPIC, 'h'));
    const alter = (c: RawClient) => c.send(44, 1, { resources: [{ resourceType: TOPIC, resourceName: 'h', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false });
    // bob from 127.0.0.5 through broker 2 (which reaches the controller from 127.0.0.1): allowed.
    const from5 = await loginFrom(saslPort(brokers[1]!), 'bob', 'bob-secret', '127.0.0.5');
    const from1 = await loginFrom(saslPort(brokers[1]!), 'bob', 'bob-secret', '127.0.0.1');
    try {
      expect((await alter(from5)).responses[0].errorCode).toBe(0);
      expect((await alter(from1)).responses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      from5.close();
      from1.close();
    }
  });
});

describe('Envelope requests on the controller', () => {
  const envelope = (principal: string, inner: Buffer, address = encodeClientAddress('127.0.0.1')) => ({
    requestData: inner,
    requestPrincipal: serializePrincipal({ principal, tokenAuthenticated: false }),
    clientHostAddress: address,
  });
  const deleteU = () => encodeInnerRequest({ apiKey: 20, apiVersion: 6, correlationId: 77, clientId: 'forged' }, { topics: [{ name: 'u', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 5_000 });

  it('from a client (no CLUSTER_ACTION) are refused with CLUSTER_AUTHORIZATION_FAILED, whatever principal they claim', async () => {
    const c = await login(saslPort(brokers[0]!), 'alice', 'alice-secret');
    try {
      const res = await c.send(58, 0, envelope('User:broker', deleteU()));
      expect(res.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      expect(res.responseData).toBeNull();
    } finally {
      c.close();
    }
    expect(brokers[0]!.broker.topics.get('u')).toBeDefined();
  });

  it('on a listener other than the inter-broker one close the connection', async () => {
    const c = await RawClient.connect(plainPort(brokers[0]!));
    await expect(c.send(58, 0, envelope('User:broker', deleteU()))).rejects.toThrow(/connection closed/);
    expect(c.closed).toBe(true);
    expect(brokers[0]!.broker.topics.get('u')).toBeDefined();
  });

  it('from a broker run the inner request as the named client, and answer malformed envelopes with Kafka errors', async () => {
    // The inner DeleteTopics of u as alice: refused inside the inner response.
    const res = await admin.send(58, 0, envelope('User:alice', deleteU()));
    expect(res.errorCode).toBe(0);
    const { decodeInnerResponse } = await import('../../src/cluster/controller/envelope-codec.js');
    expect(res.responseData.readInt32BE(0)).toBe(77);
    const inner = decodeInnerResponse<any>(res.responseData, 20, 6);
    expect(inner.responses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

    const bad = serializePrincipal({ principal: 'User:alice', tokenAuthenticated: false });
    bad.writeInt16BE(9, 0);
    expect((await admin.send(58, 0, { ...envelope('User:alice', deleteU()), requestPrincipal: bad })).errorCode).toBe(ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE);
    expect((await admin.send(58, 0, envelope('User:alice', deleteU(), Buffer.from([1, 2, 3])))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const metadata = encodeInnerRequest({ apiKey: 3, apiVersion: 12, correlationId: 1, clientId: null }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect((await admin.send(58, 0, envelope('User:alice', metadata))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await admin.send(58, 0, envelope('User:alice', deleteU().subarray(0, 12)))).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    // The connection still serves: u is still there.
    expect(brokers[0]!.broker.topics.get('u')).toBeDefined();
  });
});

describe('quotas of forwarded requests', () => {
  it("controller_mutation_rate is the client's, measured once on the controller whichever broker forwards", async () => {
    const created = await admin.send(19, 7, { topics: [{ name: 'w', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(0);
    expect((await admin.send(30, 3, {
      creations: [{ resourceType: TOPIC, resourceName: 'w', resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation: Op.ALTER, permissionType: ALLOW }],
    })).results[0].errorCode).toBe(0);
    const quota = await admin.send(49, 1, {
      entries: [{ entity: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'controller_mutation_rate', value: 1, remove: false }] }],
      validateOnly: false,
    });
    expect(quota.entries[0].errorCode).toBe(0);
    await waitFor('quota and ACL on the controller', () =>
      brokers[0]!.broker.quotaStore.all().some((q) => q.quotas.get('controller_mutation_rate') === 1) && brokers[0]!.broker.authorizer!.authorize('User:alice', '127.0.0.1', Op.ALTER, TOPIC, 'w') && brokers[0]!.broker.topics.get('w') !== undefined);

    // Through broker 2: 10 partitions at 1/s, accepted (a request is never split), the bucket is now in deficit.
    const via2 = await login(saslPort(brokers[1]!), 'alice', 'alice-secret');
    const via3 = await login(saslPort(brokers[2]!), 'alice', 'alice-secret');
    try {
      const first = await via2.send(37, 3, { topics: [{ name: 'w', count: 11, assignments: null }], timeoutMs: 10_000, validateOnly: false });
      expect(first.results[0].errorCode).toBe(0);
      // Through broker 3: the same client's bucket, on the controller, refuses the next one.
      const second = await via3.send(37, 3, { topics: [{ name: 'w', count: 12, assignments: null }], timeoutMs: 10_000, validateOnly: false });
      expect(second.results[0].errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
      expect(second.throttleTimeMs).toBeGreaterThan(0);
    } finally {
      via2.close();
      via3.close();
    }
    await waitFor('w has 11 partitions on broker 3', () => brokers[2]!.broker.topics.get('w')?.partitions === 11);
  }, 30_000);
});

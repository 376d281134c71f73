// ACLs enforced with Kafka's StandardAuthorizer class name, driven by kafkajs over SASL/PLAIN:
// User:admin (super.users) manages ACLs with CreateAcls/DescribeAcls/DeleteAcls; User:alice may
// read topic acl-in with group g-alice, write topic acl-out, and use transactional id tx-alice;
// everything else is refused with Kafka's error codes: produce, fetch, groups, transactions and
// admin. Changes apply to open connections and survive a restart.
import fs from 'node:fs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { ACL_FILE } from '../../src/auth/acl/acl-store.js';
import { explain, requireCommand, run } from '../compat/support/tools.js';

const USERS = { admin: 'admin-pw', alice: 'alice-pw', bob: 'bob-pw' };
let tb: TestBroker;
const saslPort = () => tb.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;

const kafka = (user: keyof typeof USERS) =>
  kafkajs(`127.0.0.1:${saslPort()}`, { clientId: `acl-${user}`, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: user, password: USERS[user] } });

const acl = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes, permissionType = AclPermissionTypes.ALLOW, principal = 'User:alice') => ({
  resourceType,
  resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal,
  host: '*',
  operation,
  permissionType,
});

/** A raw-protocol connection authenticated with SASL/PLAIN (v1 handshake, SaslAuthenticate). */
async function rawAs(user: keyof typeof USERS): Promise<RawClient> {
  const c = await RawClient.connect(saslPort());
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.send(36, 1, { authBytes: Buffer.from(`\0${user}\0${USERS[user]}`) })).errorCode).toBe(0);
  return c;
}

const errorType = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: any) => e?.type ?? e?.originalError?.type ?? e?.cause?.type ?? e?.errors?.[0]?.type ?? String(e?.message),
  );

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const users = Object.entries(USERS)
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(' ');
  tb = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    'sasl.enabled.mechanisms': 'PLAIN',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'num.partitions': '1',
    'group.initial.rebalance.delay.ms': '0',
    'transaction.state.log.replication.factor': '1',
  });
  const admin = kafka('admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: ['acl-in', 'acl-out', 'acl-secret'].map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.createAcls({
    acl: [
      acl(AclResourceTypes.TOPIC, 'acl-in', AclOperationTypes.READ),
      acl(AclResourceTypes.TOPIC, 'acl-out', AclOperationTypes.WRITE),
      acl(AclResourceTypes.GROUP, 'g-alice', AclOperationTypes.READ),
      acl(AclResourceTypes.TRANSACTIONAL_ID, 'tx-alice', AclOperationTypes.WRITE),
    ],
  });
  const p = kafka('admin').producer();
  await p.connect();
  await p.send({ topic: 'acl-in', messages: [{ value: 'for alice' }] });
  await p.send({ topic: 'acl-secret', messages: [{ value: 'secret' }] });
  await p.disconnect();
  await admin.disconnect();
});
afterAll(async () => {
  await tb?.cleanup();
});

async function consumeOne(user: keyof typeof USERS, topic: string, groupId: string): Promise<string> {
  const consumer = kafka(user).consumer({ groupId, retry: { retries: 0 } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('nothing consumed')), 15_000);
      consumer.on(consumer.events.CRASH, (e: any) => {
        clearTimeout(t);
        reject(e.payload.error);
      });
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(t);
            resolve(message.value!.toString());
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

describe('ACL matrix (kafkajs, SASL/PLAIN)', () => {
  it('Metadata shows alice only the topics she may describe; naming another is TOPIC_AUTHORIZATION_FAILED', async () => {
    const admin = kafka('alice').admin();
    await admin.connect();
    try {
      expect((await admin.listTopics()).sort()).toEqual(['acl-in', 'acl-out']);
      expect(await errorType(admin.fetchTopicMetadata({ topics: ['acl-secret'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await admin.disconnect();
    }
  });

  it('produce: allowed to acl-out, TOPIC_AUTHORIZATION_FAILED elsewhere', async () => {
    const producer = kafka('alice').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const [ok] = await producer.send({ topic: 'acl-out', messages: [{ value: 'x' }] });
      expect(ok!.errorCode).toBe(0);
      expect(await errorType(producer.send({ topic: 'acl-in', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await errorType(producer.send({ topic: 'acl-secret', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
  });

  it('fetch and groups: acl-in with g-alice works; another group or topic is refused', async () => {
    expect(await consumeOne('alice', 'acl-in', 'g-alice')).toBe('for alice');
    // kafkajs hides FindCoordinator's error behind "Failed to find group coordinator": the
    // broker's answers are checked on the raw protocol.
    expect(await errorType(consumeOne('alice', 'acl-in', 'g-other'))).toMatch(/GROUP_AUTHORIZATION_FAILED|group coordinator/);
    const raw = await rawAs('alice');
    expect((await raw.send(10, 3, { key: 'g-other', keyType: 0 })).errorCode).toBe(30);
    expect((await raw.send(10, 3, { key: 'g-alice', keyType: 0 })).errorCode).toBe(0);
    const join = { groupId: 'g-other', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null };
    expect((await raw.send(11, 5, join)).errorCode).toBe(30);
    // Per topic, as Kafka: READ on acl-in lets that commit through, acl-out is refused.
    const part = [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }];
    const commit = await raw.send(8, 8, { groupId: 'g-alice', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'acl-out', partitions: part }, { name: 'acl-in', partitions: part }] });
    expect(commit.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['acl-out', 29], ['acl-in', 0]]);
    const offsets = await raw.send(2, 5, { replicaId: -1, isolationLevel: 0, topics: ['acl-secret', 'acl-in'].map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] })) });
    expect(offsets.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['acl-secret', 29], ['acl-in', 0]]);
    const fetch = await raw.send(1, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'acl-secret', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }, { topic: 'acl-in', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    expect(fetch.responses.map((t: any) => [t.topic, t.partitions[0].errorCode])).toEqual([['acl-secret', 29], ['acl-in', 0]]);
    raw.close();
    expect(await errorType(consumeOne('alice', 'acl-out', 'g-alice'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await errorType(consumeOne('bob', 'acl-in', 'g-alice'))).toMatch(/AUTHORIZATION_FAILED/);
  });

  it('transactions: tx-alice commits to acl-out; another transactional id is refused', async () => {
    const tx = kafka('alice').producer({ transactionalId: 'tx-alice', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1 } });
    await tx.connect();
    const t = await tx.transaction();
    await t.send({ topic: 'acl-out', messages: [{ value: 'in txn' }] });
    await t.sendOffsets({ consumerGroupId: 'g-alice', topics: [{ topic: 'acl-in', partitions: [{ partition: 0, offset: '1' }] }] });
    await t.commit();
    await tx.disconnect();
    const other = kafka('alice').producer({ transactionalId: 'tx-other', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1 } });
    await other.connect();
    // kafkajs reports the refused FindCoordinator as "Failed to find group coordinator".
    expect(await errorType(other.transaction())).toMatch(/TRANSACTIONAL_ID_AUTHORIZATION_FAILED|group coordinator/);
    const raw = await rawAs('alice');
    expect((await raw.send(10, 3, { key: 'tx-other', keyType: 1 })).errorCode).toBe(53);
    expect((await raw.send(22, 1, { transactionalId: 'tx-other', transactionTimeoutMs: 60000 })).errorCode).toBe(53);
    const offsets = [{ name: 'acl-in', partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] }];
    const txnCommit = await raw.send(28, 2, { transactionalId: 'tx-alice', groupId: 'g-other', producerId: 1, producerEpoch: 0, topics: offsets });
    expect(txnCommit.topics[0].partitions[0].errorCode).toBe(30);
    raw.close();
    await other.disconnect().catch(() => {});
    // Idempotence without a transactional id: WRITE on some topic is enough (KIP-679); bob has none.
    const idem = kafka('bob').producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    expect(await errorType(idem.connect().then(() => idem.send({ topic: 'acl-out', messages: [{ value: 'x' }] })))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    await idem.disconnect();
  });

  it('admin: alice cannot create or delete topics, read configs of acl-secret, or manage ACLs', async () => {
    const admin = kafka('alice').admin();
    await admin.connect();
    try {
      expect(await errorType(admin.createTopics({ topics: [{ topic: 'acl-new' }] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      expect(await errorType(admin.deleteTopics({ topics: ['acl-in'] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      expect(await errorType(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'acl-secret' }] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      expect(await errorType(admin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'acl-secret', AclOperationTypes.ALL)] }))).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
      expect(await errorType(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }))).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
    } finally {
      await admin.disconnect();
    }
  });

  it('an ACL change applies to an open connection; DENY wins; DeleteAcls removes; ACLs survive a restart', async () => {
    const producer: Producer = kafka('alice').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    expect(await errorType(producer.send({ topic: 'acl-in', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    const admin = kafka('admin').admin();
    await admin.connect();
    await admin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'acl-in', AclOperationTypes.WRITE)] });
    expect(await errorType(producer.send({ topic: 'acl-in', messages: [{ value: 'now allowed' }] }))).toBe('ok');
    await admin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'acl-in', AclOperationTypes.ALL, AclPermissionTypes.DENY)] });
    expect(await errorType(producer.send({ topic: 'acl-in', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    const deleted = await admin.deleteAcls({
      filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'acl-in', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.DENY }],
    });
    expect(deleted.filterResponses[0]!.matchingAcls).toHaveLength(1);
    expect(await errorType(producer.send({ topic: 'acl-in', messages: [{ value: 'allowed again' }] }))).toBe('ok');
    await producer.disconnect();
    const described = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: 'acl-in', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(described.resources[0]!.acls.map((a) => a.operation).sort()).toEqual([AclOperationTypes.READ, AclOperationTypes.WRITE]);
    await admin.disconnect();
    expect(JSON.parse(fs.readFileSync(`${tb.dataDir}/${ACL_FILE}`, 'utf8')).acls).toHaveLength(5);

    tb = await tb.restart();
    const again = kafka('alice').admin();
    await again.connect();
    expect((await again.listTopics()).sort()).toEqual(['acl-in', 'acl-out']);
    await again.disconnect();
  });

  it('kcat (librdkafka) as alice: sees two topics, writes acl-out, is refused acl-secret with the broker\'s error', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    const args = ['-b', `127.0.0.1:${saslPort()}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', `sasl.password=${USERS.alice}`];
    const list = await run('kcat', [...args, '-L', '-J'], { timeoutMs: 20_000 });
    expect(list.code, explain('kcat -L', list)).toBe(0);
    expect(JSON.parse(list.stdout).topics.map((t: any) => t.topic).sort()).toEqual(['acl-in', 'acl-out']);
    const ok = await run('kcat', [...args, '-P', '-t', 'acl-out'], { input: 'from kcat\n', timeoutMs: 20_000 });
    expect(ok.code, explain('kcat -P acl-out', ok)).toBe(0);
    const denied = await run('kcat', [...args, '-P', '-t', 'acl-secret'], { input: 'x\n', timeoutMs: 20_000 });
    expect(denied.stderr).toMatch(/Topic authorization failed/i);
  });

  it('without an authorizer, the ACL APIs answer SECURITY_DISABLED', async () => {
    const plain = await startTestBroker();
    try {
      const c = await RawClient.connect(plain.port);
      const r = await c.send(29, 1, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      expect(r.errorCode).toBe(54);
      c.close();
    } finally {
      await plain.cleanup();
    }
  });
});

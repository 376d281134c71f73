// Per-item authorization as KafkaApis does it, and authorizedOperations computed from the ACLs,
// over the raw protocol as User:alice (SASL/PLAIN) with: READ on topic acl-in and group g-alice,
// WRITE on topic acl-out and transactional id tx-alice, DELETE on topic acl-del, DESCRIBE on the
// missing topic ghost, DESCRIBE_CONFIGS on acl-in, ALTER_CONFIGS on acl-out. Each request mixes
// allowed and refused items: the allowed ones are served, the refused ones answer Kafka's code.
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/wire/defaults.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const USERS = { admin: 'admin-pw', alice: 'alice-pw' };
const READ = 1 << 3, WRITE = 1 << 4, DESCRIBE = 1 << 8, DESCRIBE_CONFIGS = 1 << 10, ALTER_CONFIGS = 1 << 11;
const OPERATION_NOT_ATTEMPTED = 55;
let tb: TestBroker;
const saslPort = () => tb.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;

async function rawAs(user: keyof typeof USERS): Promise<RawClient> {
  const c = await RawClient.connect(saslPort());
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.send(36, 1, { authBytes: Buffer.from(`\0${user}\0${USERS[user]}`) })).errorCode).toBe(0);
  return c;
}

const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({
  resourceType,
  resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

let alice: RawClient;
let admin: RawClient;

beforeAll(async () => {
  const users = Object.entries(USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ');
  tb = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    'sasl.enabled.mechanisms': 'PLAIN',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'num.partitions': '1',
  });
  const k = new Kafka({ brokers: [`127.0.0.1:${saslPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: 'admin', password: USERS.admin } });
  const a = k.admin();
  await a.connect();
  await a.createTopics({ topics: ['acl-in', 'acl-out', 'acl-secret', 'acl-del', 'acl-grow', 'acl-trim'].map((topic) => ({ topic, numPartitions: 1 })) });
  await a.createAcls({
    acl: [
      allow(AclResourceTypes.TOPIC, 'acl-in', AclOperationTypes.READ),
      allow(AclResourceTypes.TOPIC, 'acl-in', AclOperationTypes.DESCRIBE_CONFIGS),
      allow(AclResourceTypes.TOPIC, 'acl-out', AclOperationTypes.WRITE),
      allow(AclResourceTypes.TOPIC, 'acl-out', AclOperationTypes.ALTER_CONFIGS),
      allow(AclResourceTypes.TOPIC, 'acl-del', AclOperationTypes.DELETE),
      allow(AclResourceTypes.TOPIC, 'ghost', AclOperationTypes.DESCRIBE),
      allow(AclResourceTypes.GROUP, 'g-alice', AclOperationTypes.READ),
      allow(AclResourceTypes.GROUP, 'g-share', AclOperationTypes.READ),
      allow(AclResourceTypes.TRANSACTIONAL_ID, 'tx-alice', AclOperationTypes.WRITE),
      allow(AclResourceTypes.GROUP, 'g-del', AclOperationTypes.DELETE),
      allow(AclResourceTypes.GROUP, 'g-off', AclOperationTypes.DELETE),
      allow(AclResourceTypes.TOPIC, 'acl-grow', AclOperationTypes.ALTER),
      allow(AclResourceTypes.TOPIC, 'acl-trim', AclOperationTypes.DELETE),
    ],
  });
  await a.disconnect();
  alice = await rawAs('alice');
  admin = await rawAs('admin');
  // Committed offsets of g-alice for a topic alice may read and one she may not (by the admin).
  const commit = (topic: string) => ({ groupId: 'g-alice', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  for (const t of ['acl-in', 'acl-secret']) {
    for (const groupId of ['g-alice', 'g-off']) {
      const r = await admin.send(8, 8, { ...commit(t), groupId });
      expect(r.topics[0].partitions[0].errorCode).toBe(0);
    }
  }
});
afterAll(async () => {
  alice?.close();
  admin?.close();
  await tb?.cleanup();
});

describe('per-item authorization', () => {
  it('DescribeGroups: per group, with the authorized operations of the allowed one', async () => {
    const r = await alice.send(15, 5, { groups: ['g-alice', 'g-other'], includeAuthorizedOperations: true });
    expect(r.groups.map((g: any) => [g.groupId, g.errorCode])).toEqual([['g-alice', 0], ['g-other', ErrorCode.GROUP_AUTHORIZATION_FAILED]]);
    expect(r.groups[0].authorizedOperations).toBe(READ | DESCRIBE); // READ implies DESCRIBE
  });

  it('OffsetFetch: group DESCRIBE, topics refused per partition or left out of "all topics"', async () => {
    const named = await alice.send(9, 8, {
      groups: [
        { groupId: 'g-alice', memberId: null, memberEpoch: -1, topics: [{ name: 'acl-in', topicId: ZERO_UUID, partitionIndexes: [0] }, { name: 'acl-secret', topicId: ZERO_UUID, partitionIndexes: [0] }] },
        { groupId: 'g-other', memberId: null, memberEpoch: -1, topics: null },
      ],
      requireStable: false,
    });
    const [mine, other] = named.groups;
    expect(mine.errorCode).toBe(0);
    expect(mine.topics.map((t: any) => [t.name, t.partitions[0].errorCode, t.partitions[0].committedOffset])).toEqual([
      ['acl-in', 0, 0],
      ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1],
    ]);
    expect(other.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const all = await alice.send(9, 7, { groupId: 'g-alice', topics: null, requireStable: false });
    expect(all.errorCode).toBe(0);
    expect(all.topics.map((t: any) => t.name)).toEqual(['acl-in']);
  });

  it('DeleteTopics: DESCRIBE then DELETE per topic, without revealing what exists', async () => {
    const byName = await alice.send(20, 5, { topicNames: ['acl-del', 'acl-secret', 'nowhere', 'acl-in', 'ghost'], timeoutMs: 5000 });
    expect(byName.responses.map((t: any) => [t.name, t.errorCode])).toEqual([
      ['acl-del', 0],
      ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['nowhere', ErrorCode.TOPIC_AUTHORIZATION_FAILED], // missing, but not describable: not UNKNOWN
      ['acl-in', ErrorCode.TOPIC_AUTHORIZATION_FAILED], // describable (READ), not deletable
      ['ghost', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], // describable and missing
    ]);
    const secretId = tb.broker.topics.get('acl-secret')!.id;
    const byId = await alice.send(20, 6, { topics: [{ name: null, topicId: secretId }], topicNames: [], timeoutMs: 5000 });
    expect(byId.responses).toEqual([{ name: null, topicId: secretId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }]);
    expect(tb.broker.topics.get('acl-secret')).toBeDefined();
  });

  it('Describe/IncrementalAlterConfigs: per resource, topic or cluster', async () => {
    const d = await alice.send(32, 4, {
      resources: [
        { resourceType: 2, resourceName: 'acl-in', configurationKeys: ['retention.ms'] },
        { resourceType: 2, resourceName: 'acl-secret', configurationKeys: null },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(d.results.map((r: any) => [r.resourceName, r.errorCode])).toEqual([['acl-in', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['1', ErrorCode.CLUSTER_AUTHORIZATION_FAILED]]);
    expect(d.results[0].configs.map((c: any) => c.name)).toEqual(['retention.ms']);
    const alter = await alice.send(44, 1, {
      resources: [
        { resourceType: 2, resourceName: 'acl-in', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
        { resourceType: 2, resourceName: 'acl-out', configs: [{ name: 'retention.ms', configOperation: 0, value: '7200000' }] },
      ],
      validateOnly: false,
    });
    expect(alter.responses.map((r: any) => [r.resourceName, r.errorCode])).toEqual([['acl-in', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['acl-out', 0]]);
    expect(tb.broker.topics.get('acl-out')!.configs['retention.ms']).toBe('7200000');
  });

  it('AddPartitionsToTxn and TxnOffsetCommit: per topic', async () => {
    const init = await alice.send(22, 4, { transactionalId: 'tx-alice', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const add = await alice.send(24, 3, {
      v3AndBelowTransactionalId: 'tx-alice',
      v3AndBelowProducerId: init.producerId,
      v3AndBelowProducerEpoch: init.producerEpoch,
      v3AndBelowTopics: [{ name: 'acl-out', partitions: [0] }, { name: 'acl-secret', partitions: [0] }],
    });
    expect(add.resultsByTopicV3AndBelow.map((t: any) => [t.name, t.resultsByPartition[0].partitionErrorCode])).toEqual([
      ['acl-out', OPERATION_NOT_ATTEMPTED],
      ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const commit = await alice.send(28, 3, {
      transactionalId: 'tx-alice',
      groupId: 'g-alice',
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: ['acl-in', 'acl-secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] })),
    });
    const codes = Object.fromEntries(commit.topics.map((t: any) => [t.name, t.partitions[0].errorCode]));
    expect(codes['acl-secret']).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(codes['acl-in']).not.toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED); // served by the coordinator
    const otherGroup = await alice.send(28, 3, { ...{ transactionalId: 'tx-alice', groupId: 'g-other', producerId: init.producerId, producerEpoch: init.producerEpoch, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null }, topics: [{ name: 'acl-in', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    expect(otherGroup.topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });
});

describe('per-item authorization: groups, transactions, partitions, records', () => {
  it('DeleteGroups and DescribeTransactions per item; ListTransactions lists describable ids only', async () => {
    const del = await alice.send(42, 2, { groupsNames: ['g-del', 'g-alice'] });
    expect(del.results.map((r: any) => [r.groupId, r.errorCode])).toEqual([['g-del', ErrorCode.GROUP_ID_NOT_FOUND], ['g-alice', ErrorCode.GROUP_AUTHORIZATION_FAILED]]);
    const adminTxn = await admin.send(22, 4, { transactionalId: 'tx-admin', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(adminTxn.errorCode).toBe(0);
    const aliceTxn = await alice.send(22, 4, { transactionalId: 'tx-alice', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    expect(aliceTxn.errorCode).toBe(0);
    const d = await alice.send(65, 0, { transactionalIds: ['tx-alice', 'tx-admin'] });
    expect(d.transactionStates.map((t: any) => [t.transactionalId, t.errorCode])).toEqual([['tx-alice', 0], ['tx-admin', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    const listed = await alice.send(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
    expect(listed.errorCode).toBe(0);
    expect(listed.transactionStates.map((t: any) => t.transactionalId)).toEqual(['tx-alice']);
    const all = await admin.send(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
    expect(all.transactionStates.map((t: any) => t.transactionalId).sort()).toEqual(['tx-admin', 'tx-alice']);
  });

  it('CreatePartitions (ALTER) and DeleteRecords (DELETE) per topic', async () => {
    const grow = await alice.send(37, 3, { topics: [{ name: 'acl-grow', count: 2, assignments: null }, { name: 'acl-secret', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(grow.results.map((r: any) => [r.name, r.errorCode])).toEqual([['acl-grow', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    const trim = await alice.send(21, 2, { topics: [{ name: 'acl-trim', partitions: [{ partitionIndex: 0, offset: 0 }] }, { name: 'acl-secret', partitions: [{ partitionIndex: 0, offset: 0 }] }], timeoutMs: 5000 });
    expect(trim.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['acl-trim', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
  });
});

describe('per-item authorization: offsets, producers, leader epochs', () => {
  it('OffsetDelete (group DELETE, topic READ), DescribeProducers (READ), OffsetForLeaderEpoch (DESCRIBE)', async () => {
    const topicsOf = (names: string[]) => names.map((name) => ({ name, partitions: [{ partitionIndex: 0 }] }));
    expect((await alice.send(47, 0, { groupId: 'g-alice', topics: topicsOf(['acl-in']) })).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const del = await alice.send(47, 0, { groupId: 'g-off', topics: topicsOf(['acl-in', 'acl-secret']) });
    expect(del.errorCode).toBe(0);
    expect(del.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['acl-in', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    const producers = await alice.send(61, 0, { topics: ['acl-in', 'acl-secret'].map((name) => ({ name, partitionIndexes: [0] })) });
    expect(producers.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([['acl-in', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    const epochs = await alice.send(23, 4, { replicaId: -1, topics: ['acl-in', 'acl-secret'].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })) });
    expect(epochs.topics.map((t: any) => [t.topic, t.partitions[0].errorCode])).toEqual([['acl-in', 0], ['acl-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
  });
});

describe('authorizedOperations from the ACLs', () => {
  it('Metadata topics and DescribeCluster, for alice and for a super user', async () => {
    const md = await alice.send(3, 10, { topics: [{ name: 'acl-in', topicId: ZERO_UUID }, { name: 'acl-out', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    expect(md.topics.map((t: any) => [t.name, t.topicAuthorizedOperations])).toEqual([
      ['acl-in', READ | DESCRIBE | DESCRIBE_CONFIGS],
      ['acl-out', WRITE | DESCRIBE | DESCRIBE_CONFIGS | ALTER_CONFIGS], // ALTER_CONFIGS implies DESCRIBE_CONFIGS
    ]);
    expect(md.clusterAuthorizedOperations).toBe(0);
    const notAsked = await alice.send(3, 10, { topics: [{ name: 'acl-in', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(notAsked.topics[0].topicAuthorizedOperations).toBe(-2147483648);
    const CLUSTER_ALL = [5, 7, 8, 9, 10, 11, 12].reduce((b, op) => b | (1 << op), 0);
    expect((await admin.send(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).toBe(CLUSTER_ALL);
    expect((await alice.send(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).toBe(0);
  });

  // Both found by the differential test against Kafka 4.1 (test/reference/differential-security.test.ts).
  it('DescribeTopicPartitions (the Java admin client\'s describeTopics) reports the operations the ACLs allow', async () => {
    const dtp = await alice.send(75, 0, { topics: [{ name: 'acl-in' }, { name: 'acl-out' }], responsePartitionLimit: 100, cursor: null });
    expect(dtp.topics.map((t: any) => [t.name, t.errorCode, t.topicAuthorizedOperations])).toEqual([
      ['acl-in', 0, READ | DESCRIBE | DESCRIBE_CONFIGS],
      ['acl-out', 0, WRITE | DESCRIBE | DESCRIBE_CONFIGS | ALTER_CONFIGS],
    ]);
  });

  it('cluster operations are listed only to a principal that may DESCRIBE the cluster (0 otherwise)', async () => {
    const k = new Kafka({ brokers: [`127.0.0.1:${saslPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: 'admin', password: USERS.admin } });
    const a = k.admin();
    await a.connect();
    const clusterAcl = (operation: AclOperationTypes) => allow(AclResourceTypes.CLUSTER, 'kafka-cluster', operation);
    const clusterOps = async () => [
      (await alice.send(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations,
      (await alice.send(3, 10, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: false })).clusterAuthorizedOperations,
    ];
    try {
      await a.createAcls({ acl: [clusterAcl(AclOperationTypes.DESCRIBE_CONFIGS)] });
      expect(await clusterOps()).toEqual([0, 0]);
      await a.createAcls({ acl: [clusterAcl(AclOperationTypes.DESCRIBE)] });
      expect(await clusterOps()).toEqual([DESCRIBE | DESCRIBE_CONFIGS, DESCRIBE | DESCRIBE_CONFIGS]);
    } finally {
      await a.deleteAcls({ filters: [{ ...clusterAcl(AclOperationTypes.ANY), resourcePatternType: ResourcePatternTypes.LITERAL }] });
      await a.disconnect();
    }
  });
});

describe('share groups (KIP-932) are authorized as KafkaApis does', () => {
  it('ShareGroupHeartbeat needs group READ and DESCRIBE on subscribed topics; ShareGroupDescribe DESCRIBE; ShareFetch topic READ', async () => {
    const hb = (groupId: string, subscribedTopicNames: string[] | null) =>
      alice.send(76, 1, { groupId, memberId: `m-${groupId}-${subscribedTopicNames?.join('_') ?? 'none'}-aaaaaaaa`, memberEpoch: 0, rackId: null, subscribedTopicNames });
    expect((await hb('g-nope', ['acl-in'])).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect((await hb('g-share', ['acl-in', 'acl-secret'])).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const ok = await hb('g-share', ['acl-in']);
    expect(ok.errorCode).toBe(0);
    const described = await alice.send(77, 1, { groupIds: ['g-nope'], includeAuthorizedOperations: false });
    expect(described.groups[0].errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    // ShareFetch names topics by id: READ on acl-in is allowed, acl-secret refused.
    const ids = await admin.send(3, 12, { topics: [{ name: 'acl-in', topicId: ZERO_UUID }, { name: 'acl-secret', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const secretId = ids.topics.find((t: any) => t.name === 'acl-secret').topicId;
    const fetch = await alice.send(78, 1, {
      groupId: 'g-share', memberId: ok.memberId, shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, shareAcquireMode: 0, isRenewAck: false,
      topics: [{ topicId: secretId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
    });
    expect(fetch.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });
});

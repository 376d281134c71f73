// Cluster mode (issue 15): ACLs, SCRAM credentials, client quotas, delegation tokens and dynamic broker configs live in the cluster metadata
// store, so a change sent to any broker is enforced by every broker — on connections already open.
// Three in-process brokers on one memory store; clients authenticate with SASL on each broker's
// SASL_PLAINTEXT listener (PLAINTEXT is the inter-broker listener, its ANONYMOUS a super user).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { alterScram, scramUpsertion } from '../integration/auth-setup.js';
import { tokenLogin } from '../auth/scram-token-login.js';

const USERS = { admin: 'admin-pw', alice: 'alice-pw', carol: 'carol-pw' };
let cluster: TestCluster;

const saslPort = (id: number) => cluster.byId(id).broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;

/** A raw connection to broker `id` logged in with SASL/PLAIN. */
async function rawAs(id: number, user: keyof typeof USERS): Promise<RawClient> {
  const c = await RawClient.connect(saslPort(id));
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.send(36, 1, { authBytes: Buffer.from(`\0${user}\0${USERS[user]}`) })).errorCode).toBe(0);
  return c;
}

const metadataFor = (c: RawClient, topic: string) =>
  c.send(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

// CreateAcls v3 / DescribeAcls v3 codes: TOPIC = 2, LITERAL = 3, READ = 3, DESCRIBE = 8, ALLOW = 3, DENY = 2, ANY = 1.
const aclCreation = (resourceName: string, operation: number, permissionType: number) => ({
  resourceType: 2,
  resourceName,
  resourcePatternType: 3,
  principal: 'User:alice',
  host: '*',
  operation,
  permissionType,
});

beforeAll(async () => {
  const users = Object.entries(USERS)
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(' ');
  cluster = await startCluster(3, {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin;User:ANONYMOUS',
    'quota.window.num': '2',
    'quota.window.size.seconds': '1',
    'delegation.token.secret.key': 'cluster-token-secret',
  });
  const c = await RawClient.connect(cluster.byId(1).port);
  try {
    const created = await c.send(19, 7, { topics: [{ name: 'sec-t', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  } finally {
    c.close();
  }
  for (const id of [1, 2, 3]) await cluster.waitFor(`sec-t on broker ${id}`, () => cluster.byId(id).broker.topics.get('sec-t') !== undefined);
});
afterAll(async () => {
  await cluster?.close();
});

describe('security metadata in the cluster store', () => {
  it('an ACL created on broker 1 allows, then denies, a client already connected to broker 3', async () => {
    const alice3 = await rawAs(3, 'alice');
    const admin1 = await rawAs(1, 'admin');
    try {
      // No ACL yet (allow.everyone.if.no.acl.found=false): alice may not see the topic anywhere.
      expect((await metadataFor(alice3, 'sec-t')).topics[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      const allow = await admin1.send(30, 3, { creations: [aclCreation('sec-t', 3, 3)] }); // READ implies DESCRIBE
      expect(allow.results[0].errorCode).toBe(0);
      await cluster.waitFor('the allow on broker 3', async () => (await metadataFor(alice3, 'sec-t')).topics[0].errorCode === ErrorCode.NONE);

      const deny = await admin1.send(30, 3, { creations: [aclCreation('sec-t', 8, 2)] }); // DENY DESCRIBE wins
      expect(deny.results[0].errorCode).toBe(0);
      await cluster.waitFor('the deny on broker 3', async () => (await metadataFor(alice3, 'sec-t')).topics[0].errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED);

      // Every broker describes the same two bindings.
      for (const id of [2, 3]) {
        const admin = await rawAs(id, 'admin');
        const described = await admin.send(29, 3, {
          resourceTypeFilter: 2, resourceNameFilter: 'sec-t', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1,
        });
        admin.close();
        expect(described.errorCode).toBe(0);
        expect(described.resources[0].acls.map((a: { operation: number; permissionType: number }) => [a.operation, a.permissionType]).sort()).toEqual([[3, 3], [8, 2]]);
      }
      // Deleted on broker 2: gone on broker 3 as well (alice is back to no ACL: refused; and the
      // store holds nothing more for the topic).
      const admin2 = await rawAs(2, 'admin');
      const del = await admin2.send(31, 3, {
        filters: [{ resourceTypeFilter: 2, resourceNameFilter: 'sec-t', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }],
      });
      admin2.close();
      expect(del.filterResults[0].matchingAcls).toHaveLength(2);
      await cluster.waitFor('no ACLs on broker 3', () => cluster.byId(3).broker.acls.all().length === 0);
    } finally {
      alice3.close();
      admin1.close();
    }
  });

  it('a SCRAM user created on broker 2 logs in on broker 1; deleted on broker 3, it no longer does', async () => {
    const login = async () => {
      const admin = kafkajs(`127.0.0.1:${saslPort(1)}`, { clientId: 'scram-cluster', retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-256', username: 'dave', password: 'dave-secret' } }).admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    };
    expect(await login()).toBe(false);
    const created = await alterScram(cluster.byId(2).port, { upsertions: [scramUpsertion('dave', 'SCRAM-SHA-256', 'dave-secret')] });
    expect(created.results[0].errorCode).toBe(0);
    await cluster.waitFor('dave logs in on broker 1', login);
    // DescribeUserScramCredentials on broker 1 lists the user created on broker 2.
    const c = await RawClient.connect(cluster.byId(1).port);
    const described = await c.send(50, 0, { users: [{ name: 'dave' }] });
    c.close();
    expect(described.results[0].errorCode).toBe(0);
    expect(described.results[0].credentialInfos).toEqual([{ mechanism: 1, iterations: 4096 }]);

    const deleted = await alterScram(cluster.byId(3).port, { deletions: [{ name: 'dave', mechanism: 1 }] });
    expect(deleted.results[0].errorCode).toBe(0);
    await cluster.waitFor('dave refused on broker 1', async () => !(await login()));
  });

  it('a quota set on broker 1 throttles the same user on broker 3', async () => {
    const carol3 = await rawAs(3, 'carol');
    try {
      const c = await RawClient.connect(cluster.byId(1).port);
      const alter = await c.send(49, 1, {
        entries: [{ entity: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'request_percentage', value: 0.01, remove: false }] }],
        validateOnly: false,
      });
      c.close();
      expect(alter.entries[0].errorCode).toBe(0);
      await cluster.waitFor('the quota on broker 3', () => cluster.byId(3).broker.quotaStore.size === 1);
      // 0.01% of a thread is 0.1 ms of handler time per second: Metadata requests soon exceed it.
      let throttled = 0;
      for (let i = 0; i < 500 && throttled === 0; i++) throttled = (await metadataFor(carol3, 'sec-t')).throttleTimeMs;
      expect(throttled).toBeGreaterThan(0);
      // DescribeClientQuotas on broker 2 shows it too.
      const d = await RawClient.connect(cluster.byId(2).port);
      const described = await d.send(48, 1, { components: [{ entityType: 'user', matchType: 0, match: 'carol' }], strict: true });
      d.close();
      expect(described.entries).toEqual([{ entity: [{ entityType: 'user', entityName: 'carol' }], values: [{ key: 'request_percentage', value: 0.01 }] }]);
    } finally {
      carol3.close();
    }
  });

  it('a delegation token created on broker 1 logs in on broker 2; expired on broker 3, it no longer does', async () => {
    const alice1 = await rawAs(1, 'alice');
    const token = await alice1.send(38, 3, { ownerPrincipalType: null, ownerPrincipalName: null, renewers: [], maxLifetimeMs: -1 });
    alice1.close();
    expect(token.errorCode).toBe(0);
    const password = token.hmac.toString('base64');
    await cluster.waitFor('the token on broker 2', async () => {
      const c = await tokenLogin(saslPort(2), token.tokenId, password);
      if (typeof c === 'number') return false;
      c.close();
      return true;
    });
    const alice3 = await rawAs(3, 'alice');
    const expired = await alice3.send(40, 2, { hmac: token.hmac, expiryTimePeriodMs: -1 });
    alice3.close();
    expect(expired.errorCode).toBe(0);
    await cluster.waitFor('the token refused on broker 2', async () => {
      const c = await tokenLogin(saslPort(2), token.tokenId, password);
      if (typeof c === 'number') return c === ErrorCode.SASL_AUTHENTICATION_FAILED;
      c.close();
      return false;
    });
  });

  it('a cluster-wide dynamic broker config set on broker 1 takes effect on broker 3', async () => {
    const c = await RawClient.connect(cluster.byId(1).port);
    const res = await c.send(44, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '3600000' }] }],
      validateOnly: false,
    });
    c.close();
    expect(res.responses[0].errorCode).toBe(0);
    await cluster.waitFor('log.retention.ms on broker 3', () => cluster.byId(3).broker.config.get('log.retention.ms') === 3_600_000);
    // Broker 3 describes the cluster default as a dynamic value, as broker 1 does.
    const d = await RawClient.connect(cluster.byId(3).port);
    const described = await d.send(32, 4, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: ['log.retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
    d.close();
    expect(described.results[0].configs.map((r: { name: string; value: string }) => [r.name, r.value])).toEqual([['log.retention.ms', '3600000']]);
    // A topic without its own retention follows the new default on broker 3.
    await cluster.waitFor('sec-t retention on broker 3', () => cluster.byId(3).broker.topicManager.topicConfig('sec-t').get('retention.ms') === 3_600_000);
  });
});

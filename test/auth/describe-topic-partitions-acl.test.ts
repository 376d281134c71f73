// DescribeTopicPartitions (API 75) under ACLs, as Kafka's DescribeTopicPartitionsRequestHandler:
// DESCRIBE per topic; topics named in the request that the principal may not describe answer
// TOPIC_AUTHORIZATION_FAILED (zero id, no partitions) after the authorized ones, existing or not;
// "all topics" silently leaves them out (and they do not count for pagination);
// topicAuthorizedOperations comes from the ACLs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
let tb: TestBroker;
const saslPort = () => tb.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort;

async function login(user: string, password: string): Promise<RawClient> {
  const c = await RawClient.connect(saslPort());
  expect((await c.send(17, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
  expect((await c.send(36, 1, { authBytes: Buffer.from(`\0${user}\0${password}`) })).errorCode).toBe(0);
  return c;
}

const dtp = (c: RawClient, topics: string[], responsePartitionLimit = 2000, cursor: object | null = null) =>
  c.send(75, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit, cursor });

beforeAll(async () => {
  tb = await startTestBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config':
      'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-pw" user_alice="alice-pw";',
    'sasl.enabled.mechanisms': 'PLAIN',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
  });
  const admin = await login('admin', 'admin-pw');
  const created = await admin.send(19, 7, {
    topics: ['dtp-a', 'dtp-b', 'dtp-c'].map((name) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(created.topics.map((t: { errorCode: number }) => t.errorCode)).toEqual([0, 0, 0]);
  // alice: DESCRIBE on dtp-a, READ (implies DESCRIBE) on dtp-c; nothing on dtp-b.
  const acl = (resourceName: string, operation: number) => ({ resourceType: 2, resourceName, resourcePatternType: 3, principal: 'User:alice', host: '*', operation, permissionType: 3 });
  const res = await admin.send(30, 3, { creations: [acl('dtp-a', 8), acl('dtp-c', 3)] });
  expect(res.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([0, 0]);
  admin.close();
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('DescribeTopicPartitions authorizes per topic', () => {
  it('answers the authorized topics and refuses the others by name, existing or not', async () => {
    const alice = await login('alice', 'alice-pw');
    const res = await dtp(alice, ['dtp-b', 'dtp-a', 'no-such-topic']);
    alice.close();
    expect(res.topics.map((t: any) => [t.name, t.errorCode])).toEqual([
      ['dtp-a', ErrorCode.NONE],
      ['dtp-b', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['no-such-topic', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(res.topics[0].partitions).toHaveLength(2);
    expect(res.topics[0].topicId).not.toBe(ZERO);
    expect(res.topics[0].topicAuthorizedOperations).toBe(1 << 8); // DESCRIBE only
    for (const refused of res.topics.slice(1)) {
      expect(refused.topicId).toBe(ZERO);
      expect(refused.partitions).toEqual([]);
      expect(refused.topicAuthorizedOperations).toBe(-2147483648);
    }
  });

  it('"all topics" lists only describable ones, and pages over them alone', async () => {
    const alice = await login('alice', 'alice-pw');
    const all = await dtp(alice, []);
    expect(all.topics.map((t: any) => t.name)).toEqual(['dtp-a', 'dtp-c']);
    expect(all.topics[1].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8)); // READ, DESCRIBE
    // Two partitions per page: dtp-a fills the first, the cursor skips dtp-b.
    const page1 = await dtp(alice, [], 2);
    expect(page1.topics.map((t: any) => t.name)).toEqual(['dtp-a']);
    expect(page1.nextCursor).toEqual({ topicName: 'dtp-c', partitionIndex: 0 });
    const page2 = await dtp(alice, [], 2, page1.nextCursor);
    expect(page2.topics.map((t: any) => t.name)).toEqual(['dtp-c']);
    expect(page2.nextCursor).toBeNull();
    // A limit of 0 is taken as 1 (Kafka: max(min(limit, 2000), 1)), so a client always progresses.
    const one = await dtp(alice, [], 0);
    expect(one.topics[0].partitions).toHaveLength(1);
    expect(one.nextCursor).toEqual({ topicName: 'dtp-a', partitionIndex: 1 });
    alice.close();
  });

  it('a super user sees every topic with every topic operation', async () => {
    const admin = await login('admin', 'admin-pw');
    const all = await dtp(admin, ['dtp-b']);
    admin.close();
    expect(all.topics[0].errorCode).toBe(ErrorCode.NONE);
    expect(all.topics[0].topicAuthorizedOperations).toBe([3, 4, 5, 6, 7, 8, 10, 11].reduce((b, op) => b | (1 << op), 0));
  });
});

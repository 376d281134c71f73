// OffsetFetch requireStable (KIP-447): while a transactional offset commit is pending, a stable
// fetch answers UNSTABLE_OFFSET_COMMIT for that partition; after EndTxn(commit) it sees the offset.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0' });
  c = await RawClient.connect(tb.port);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

it('answers UNSTABLE_OFFSET_COMMIT for a pending transactional commit, then the committed offset', async () => {
  await c.send(3, 9, { topics: [{ name: 'rs-topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true });
  const init = await c.send(22, 4, { transactionalId: 'rs-txn', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  expect(init.errorCode).toBe(0);
  const { producerId, producerEpoch } = init;
  const add = await c.send(25, 3, { transactionalId: 'rs-txn', producerId, producerEpoch, groupId: 'rs-group' });
  expect(add.errorCode).toBe(0);
  const commit = await c.send(28, 3, {
    transactionalId: 'rs-txn', groupId: 'rs-group', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'rs-topic', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  });
  expect(commit.topics[0].partitions[0].errorCode).toBe(0);

  const fetch = (requireStable: boolean) =>
    c.send(9, 7, { groupId: 'rs-group', topics: [{ name: 'rs-topic', partitionIndexes: [0] }], requireStable });
  const stable = await fetch(true);
  expect(stable.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
  const unstable = await fetch(false);
  expect(unstable.topics[0].partitions[0]).toMatchObject({ errorCode: 0, committedOffset: -1 });

  const end = await c.send(26, 3, { transactionalId: 'rs-txn', producerId, producerEpoch, committed: true });
  expect(end.errorCode).toBe(0);
  let after = await fetch(true);
  for (let i = 0; i < 50 && after.topics[0].partitions[0].errorCode !== 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await fetch(true);
  }
  expect(after.topics[0].partitions[0]).toMatchObject({ errorCode: 0, committedOffset: 42 });
});

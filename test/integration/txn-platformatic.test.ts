// @platformatic/kafka transactions (InitProducerId v5, batched AddPartitionsToTxn v5,
// AddOffsetsToTxn v4, TxnOffsetCommit v4, EndTxn v4) against an in-process broker: commit and
// abort read back through read_committed fetches, and offsets committed inside a transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { readCommittedPlatformatic } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';
import { pkConsumer, pkProducer } from '../helpers/clients.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.num.partitions': '3',
  });
});
afterAll(async () => {
  await tb?.cleanup();
});

/** Everything committed in `topic`, read until the stream is past every partition's last stable offset. */
const readCommitted = (topic: string, expected: number) => readCommittedPlatformatic(tb.bootstrap, topic, expected);

describe('@platformatic/kafka transactions', () => {
  it('commits and aborts; read_committed sees only committed records', async () => {
    const topic = 'pk-txn';
    await tb.broker.createTopic(topic, 2, 1, {});
    const producer = pkProducer(tb.bootstrap, { clientId: 'pk-txn', transactionalId: 'pk-txn-id', idempotent: true, acks: -1 });
    try {
      let t = await producer.beginTransaction();
      await t.send({ messages: [{ topic, partition: 0, value: Buffer.from('c1') }, { topic, partition: 1, value: Buffer.from('c2') }] });
      await t.commit();
      t = await producer.beginTransaction();
      await t.send({ messages: [{ topic, partition: 0, value: Buffer.from('a1') }] });
      await t.abort();
      t = await producer.beginTransaction();
      await t.send({ messages: [{ topic, partition: 1, value: Buffer.from('c3') }] });
      await t.commit();
    } finally {
      await producer.close();
    }
    expect((await readCommitted(topic, 3)).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(tb.broker.partition(topic, 0)!.log.producers.txnIndex.size).toBe(1);
    await waitFor(() => tb.broker.txnCoordinator!.describe(['pk-txn-id'])[0]!.transactionState === 'CompleteCommit', 'CompleteCommit');
  });

  it('commits consumed offsets inside the transaction (addConsumer + addOffset)', async () => {
    const input = 'pk-ctp-in';
    const output = 'pk-ctp-out';
    const group = 'pk-ctp-group';
    await tb.broker.createTopic(input, 1, 1, {});
    await tb.broker.createTopic(output, 1, 1, {});
    const plain = pkProducer(tb.bootstrap, { clientId: 'pk-plain' });
    await plain.send({ messages: Array.from({ length: 5 }, (_, i) => ({ topic: input, partition: 0, value: Buffer.from(`in-${i}`) })) });
    await plain.close();

    const producer = pkProducer(tb.bootstrap, { clientId: 'pk-ctp', transactionalId: 'pk-ctp-id', idempotent: true, acks: -1 });
    const consumer = pkConsumer(tb.bootstrap, { clientId: 'pk-ctp-c', groupId: group, maxWaitTime: 100, heartbeatInterval: 300 });
    const stream = await consumer.consume({ topics: [input], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100, isolationLevel: 1 });
    let done = 0;
    let failure: unknown = null;
    let chain = Promise.resolve();
    stream.on('data', (m) => {
      chain = chain.then(async () => {
        try {
          const t = await producer.beginTransaction();
          await t.send({ messages: [{ topic: output, partition: 0, value: Buffer.from(`out-${m.value.toString()}`) }] });
          await t.addConsumer(consumer);
          await t.addOffset(m);
          await t.commit();
          done++;
        } catch (e) {
          failure = e;
        }
      });
    });
    try {
      await waitFor(() => done === 5 || failure !== null, 'five transactions');
    } finally {
      await chain;
      await stream.close();
      await consumer.close();
      await producer.close();
    }
    expect(failure).toBeNull();
    const committed = tb.broker.groupCoordinator.fetchOffsets(group, [{ name: input, partitionIndexes: [0] }]).topics[0]!.partitions[0]!;
    expect(committed.committedOffset).toBe(5);
    expect((await readCommitted(output, 5)).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `out-in-${i}`));
  });
});

// kafkajs transactions against an in-process broker: committed and aborted transactions seen
// through a read_committed consumer, a consume-transform-produce loop with sendOffsets whose
// group offsets appear only on commit, zombie fencing by transactional id, the timeout abort of
// an abandoned transaction, and the idempotent producer.
import { type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { readCommittedKafkajs } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.num.partitions': '3',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100',
  });
});
afterAll(async () => {
  await tb?.cleanup();
});

const kafka = () => kafkajs(tb.bootstrap, { clientId: 'txn-kj', retry: { retries: 8, initialRetryTime: 50 } });

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

/** Everything committed in `topic`, read until the consumer is past every partition's last stable offset. */
const readCommitted = (topic: string, expected: number) => readCommittedKafkajs(kafka(), topic, expected);

describe('kafkajs transactions', () => {
  it('delivers committed transactions and hides aborted ones from read_committed consumers', async () => {
    const topic = 'kj-txn-basic';
    await createTopic(topic, 2);
    const producer: Producer = kafka().producer({ transactionalId: 'kj-basic', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    let t = await producer.transaction();
    await t.send({ topic, messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }] });
    await t.commit();
    t = await producer.transaction();
    await t.send({ topic, messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] });
    await t.abort();
    t = await producer.transaction();
    await t.send({ topic, messages: [{ value: 'c3', partition: 0 }] });
    await t.commit();
    await producer.disconnect();

    const seen = await readCommitted(topic, 3);
    expect(seen.sort()).toEqual(['c1', 'c2', 'c3']);
    // The markers are in the log: each partition's LSO reached its end.
    for (const p of [0, 1]) {
      const log = tb.broker.partition(topic, p)!.log;
      expect(log.lastStableOffset).toBe(log.highWatermark);
    }
  });

  it('commits consumed offsets with the produced records (sendOffsets), only on commit', async () => {
    const input = 'kj-ctp-in';
    const output = 'kj-ctp-out';
    const group = 'kj-ctp-group';
    await createTopic(input);
    await createTopic(output);
    const plain = kafka().producer();
    await plain.connect();
    await plain.send({ topic: input, messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}` })) });
    await plain.disconnect();

    const producer = kafka().producer({ transactionalId: 'kj-ctp', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const consumer = kafka().consumer({ groupId: group, maxWaitTimeInMs: 100, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    let aborted = false;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          const t = await producer.transaction();
          await t.send({ topic: output, messages: [{ value: `out-${m.value!.toString()}` }] });
          await t.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(Number(m.offset) + 1) }] }] });
          if (m.offset === '4' && !aborted) {
            // One aborted round: its record and offset must not count.
            aborted = true;
            await t.abort();
            const committed = await fetchGroupOffset(group, input);
            expect(Number(committed)).toBe(4);
            const again = await producer.transaction();
            await again.send({ topic: output, messages: [{ value: `out-${m.value!.toString()}` }] });
            await again.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(Number(m.offset) + 1) }] }] });
            await again.commit();
          } else {
            await t.commit();
          }
          resolveOffset(m.offset);
          processed++;
        }
      },
    });
    await waitFor(() => processed >= 10, 'all input processed');
    await consumer.disconnect();
    await producer.disconnect();

    expect(await fetchGroupOffset(group, input)).toBe('10');
    const out = await readCommitted(output, 10);
    expect(out.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `out-in-${i}`).sort());
  });

  it('fences a zombie: a second producer with the same transactional id', async () => {
    const topic = 'kj-zombie';
    await createTopic(topic);
    const zombie = kafka().producer({ transactionalId: 'kj-zombie-id', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1, initialRetryTime: 50 } });
    await zombie.connect();
    const zt = await zombie.transaction();
    await zt.send({ topic, messages: [{ value: 'zombie' }] });

    const fresh = kafka().producer({ transactionalId: 'kj-zombie-id', maxInFlightRequests: 1, idempotent: true });
    await fresh.connect(); // InitProducerId: aborts the zombie's open transaction, bumps the epoch
    const ft = await fresh.transaction();
    await ft.send({ topic, messages: [{ value: 'fresh' }] });
    await ft.commit();

    await expect(zt.commit()).rejects.toThrow();
    await zombie.disconnect().catch(() => {});
    await fresh.disconnect();
    expect(await readCommitted(topic, 1)).toEqual(['fresh']);
  });

  it('aborts an abandoned transaction after transaction.timeout.ms; the LSO advances', async () => {
    const topic = 'kj-timeout';
    await createTopic(topic);
    const producer = kafka().producer({ transactionalId: 'kj-timeout-id', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 1000 });
    await producer.connect();
    const t = await producer.transaction();
    await t.send({ topic, messages: [{ value: 'abandoned' }] });
    const log = tb.broker.partition(topic, 0)!.log;
    expect(log.lastStableOffset).toBe(0);
    await waitFor(() => log.lastStableOffset === log.highWatermark, 'the timeout abort');
    await waitFor(() => tb.broker.txnCoordinator!.describe(['kj-timeout-id'])[0]!.transactionState === 'CompleteAbort', 'CompleteAbort');
    expect(log.producers.txnIndex.size).toBe(1);
    await expect(t.commit()).rejects.toThrow();
    await producer.disconnect().catch(() => {});
  });

  it('writes each record of an idempotent producer once', async () => {
    const topic = 'kj-idem';
    await createTopic(topic);
    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `v${i}` }, { value: `w${i}` }] });
    await producer.disconnect();
    const log = tb.broker.partition(topic, 0)!.log;
    expect(log.highWatermark).toBe(10);
    const [state] = log.producers.describe();
    expect(state!.lastSequence).toBe(9);
  });
});

async function fetchGroupOffset(groupId: string, topic: string): Promise<string> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const r = await admin.fetchOffsets({ groupId, topics: [topic] });
    return r[0]!.partitions[0]!.offset;
  } finally {
    await admin.disconnect();
  }
}

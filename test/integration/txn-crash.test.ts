// Transactions across broker crashes:
//   - kill -9 with committed, aborted and one open transaction in the log: after the restart a
//     read_committed consumer sees exactly the committed records (never the aborted or the open
//     ones); the open transaction times out, is aborted, and the LSO reaches the log end;
//   - a transaction whose PrepareCommit/PrepareAbort is in __transaction_state but whose markers
//     were never written (the state a crash between the two leaves) completes after the restart.
import { type Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { readCommittedKafkajs } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { waitFor } from '../helpers/wait.js';
import { kafkajs } from '../helpers/clients.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const kafkaFor = (bootstrap: string) =>
  kafkajs(bootstrap, { clientId: 'txn-crash', retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });

/** Everything committed in `topic`, read until the consumer is past every partition's last stable offset. */
const readCommitted = (bootstrap: string, topic: string, expected: number) => readCommittedKafkajs(kafkaFor(bootstrap), topic, expected);

/** Latest offsets of `topic`'s partitions by ListOffsets with each isolation level (raw v5 requests). */
async function offsets(port: number, topic: string, partitions = 2): Promise<{ committed: number[]; latest: number[] }> {
  const client = await RawClient.connect(port);
  try {
    const ask = async (isolationLevel: number) => {
      const r = await client.send(2, 5, {
        replicaId: -1,
        isolationLevel,
        timeoutMs: 0,
        topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 })) }],
      });
      return (r.topics[0].partitions as { partitionIndex: number; offset: number }[]).sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.offset);
    };
    return { committed: await ask(1), latest: await ask(0) };
  } finally {
    client.close();
  }
}

describe('transactions across broker crashes', () => {
  it('kill -9 mid-transaction: no aborted or open records are ever read; the open one times out', async () => {
    let sb: SpawnedBroker = await spawnBroker({
      overrides: {
        'transaction.state.log.num.partitions': '2',
        'offsets.topic.num.partitions': '2',
        'group.initial.rebalance.delay.ms': '0',
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200',
      },
    });
    cleanups.push(() => sb.cleanup());
    const topic = 'crash-txn';
    const admin = kafkaFor(sb.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();

    const producer: Producer = kafkaFor(sb.bootstrap).producer({ transactionalId: 'crash-1', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 3000 });
    await producer.connect();
    const committed: string[] = [];
    for (let i = 0; i < 9; i++) {
      const t = await producer.transaction();
      const values = [0, 1].map((partition) => ({ partition, value: `t${i}-p${partition}` }));
      await t.send({ topic, messages: values });
      if (i % 3 === 2) await t.abort();
      else {
        await t.commit();
        committed.push(...values.map((v) => v.value));
      }
    }
    const open = await producer.transaction();
    await open.send({ topic, messages: [0, 1].map((partition) => ({ partition, value: `open-p${partition}` })) });

    await sb.stop('SIGKILL');
    await producer.disconnect().catch(() => {});
    sb = await sb.restart();
    cleanups.push(() => sb.cleanup());

    // Right after the restart the open transaction still holds the LSO back.
    const before = await offsets(sb.port, topic);
    expect(before.committed.every((c, i) => c < before.latest[i]!)).toBe(true);
    const seen = await readCommitted(sb.bootstrap, topic, committed.length);
    expect(seen.sort()).toEqual([...committed].sort());

    // The coordinator reloaded the Ongoing transaction and aborts it after transaction.timeout.ms.
    await waitFor(async () => {
      const o = await offsets(sb.port, topic);
      return o.committed.every((c, i) => c === o.latest[i]);
    }, 'the timed-out transaction to be aborted');
    const after = await readCommitted(sb.bootstrap, topic, committed.length);
    expect(after.sort()).toEqual([...committed].sort());

    // The transactional id is usable again.
    const next = kafkaFor(sb.bootstrap).producer({ transactionalId: 'crash-1', maxInFlightRequests: 1, idempotent: true });
    await next.connect();
    const t = await next.transaction();
    await t.send({ topic, messages: [{ partition: 0, value: 'after-restart' }] });
    await t.commit();
    await next.disconnect();
    expect((await readCommitted(sb.bootstrap, topic, committed.length + 1)).sort()).toEqual([...committed, 'after-restart'].sort());
  });

  for (const prepared of ['PrepareCommit', 'PrepareAbort'] as const) {
    it(`a transaction left in ${prepared} (markers unwritten) is completed after the restart`, async () => {
      let tb: TestBroker = await startTestBroker({ 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' });
      cleanups.push(() => tb.cleanup());
      const topic = `prepared-${prepared}`;
      const id = `id-${prepared}`;
      await tb.broker.createTopic(topic, 2, 1, {});
      const producer = kafkaFor(tb.bootstrap).producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      let t = await producer.transaction();
      await t.send({ topic, messages: [{ partition: 0, value: 'before' }] });
      await t.commit();
      t = await producer.transaction();
      await t.send({ topic, messages: [0, 1].map((partition) => ({ partition, value: `pending-p${partition}` })) });
      // What a crash between "Prepare* written" and "markers written" leaves on disk.
      const core = tb.broker.txnCoordinator!.core;
      const md = core.txns.get(id)!;
      expect(await core.persist(md, md.prepareAbortOrCommit(prepared, Date.now()))).toBe(0);
      await producer.disconnect().catch(() => {});
      expect(tb.broker.partition(topic, 0)!.log.lastStableOffset).toBe(2);
      expect(tb.broker.partition(topic, 1)!.log.lastStableOffset).toBe(0);

      tb = await tb.restart();
      cleanups.push(() => tb.cleanup());
      const done = prepared === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
      await waitFor(() => tb.broker.txnCoordinator!.describe([id])[0]!.transactionState === done, `the transaction to reach ${done}`);
      for (const p of [0, 1]) {
        const log = tb.broker.partition(topic, p)!.log;
        expect(log.lastStableOffset).toBe(log.highWatermark);
      }
      const expected = prepared === 'PrepareCommit' ? ['before', 'pending-p0', 'pending-p1'] : ['before'];
      expect((await readCommitted(tb.bootstrap, topic, expected.length)).sort()).toEqual(expected);
    });
  }
});

// The transaction admin and inter-broker APIs over the wire (raw requests at exact versions):
// DescribeProducers, DescribeTransactions, ListTransactions and WriteTxnMarkers, against an open
// kafkajs transaction.
import { type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
let client: RawClient;
let producer: Producer;
const topic = 'admin-txn';

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({ 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '2' });
  await tb.broker.createTopic(topic, 2, 1, {});
  client = await RawClient.connect(tb.port);
  const kafka = kafkajs(tb.bootstrap, { clientId: 'txn-admin' });
  producer = kafka.producer({ transactionalId: 'admin-1', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const t = await producer.transaction();
  await t.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }] });
  // Left open on purpose.
});
afterAll(async () => {
  await producer?.disconnect().catch(() => {});
  client?.close();
  await tb?.cleanup();
});

describe('transaction admin APIs', () => {
  it('ApiVersions advertises the transaction APIs', async () => {
    const r = await client.send(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const keys = new Map((r.apiKeys as { apiKey: number; maxVersion: number }[]).map((k) => [k.apiKey, k.maxVersion]));
    expect([22, 24, 25, 26, 27, 28, 61, 65, 66].map((k) => keys.get(k))).toEqual([5, 5, 4, 5, 1, 6, 0, 0, 2]);
  });

  it('DescribeProducers shows the producer and the start of its open transaction', async () => {
    const r = await client.send(61, 0, { topics: [{ name: topic, partitionIndexes: [0, 1] }, { name: 'missing', partitionIndexes: [0] }] });
    const [p0, p1] = r.topics[0].partitions;
    expect(p0.errorCode).toBe(ErrorCode.NONE);
    expect(p0.activeProducers).toHaveLength(1);
    expect(p0.activeProducers[0]).toMatchObject({ producerEpoch: 0, lastSequence: 1, currentTxnStartOffset: 0, coordinatorEpoch: -1 });
    expect(p1.activeProducers).toEqual([]);
    expect(r.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('DescribeTransactions and ListTransactions', async () => {
    const d = await client.send(65, 0, { transactionalIds: ['admin-1', 'nope'] });
    expect(d.transactionStates[0]).toMatchObject({ errorCode: 0, transactionalId: 'admin-1', transactionState: 'Ongoing', transactionTimeoutMs: 60_000 });
    expect(d.transactionStates[0].topics).toEqual([{ topic, partitions: [0] }]);
    expect(d.transactionStates[1].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);

    const all = await client.send(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
    expect(all.transactionStates.map((t: { transactionalId: string }) => t.transactionalId)).toContain('admin-1');
    const filtered = await client.send(66, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1 });
    expect(filtered.unknownStateFilters).toEqual(['Bogus']);
    expect(filtered.transactionStates).toEqual([expect.objectContaining({ transactionalId: 'admin-1', transactionState: 'Ongoing' })]);
    const none = await client.send(66, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000 });
    expect(none.transactionStates).toEqual([]);

    // v2 (KIP-1152): a regular expression the whole transactional id must match.
    const ids = async (transactionalIdPattern: string | null) => {
      const r = await client.send(66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern });
      expect(r.errorCode).toBe(ErrorCode.NONE);
      return r.transactionStates.map((t: { transactionalId: string }) => t.transactionalId);
    };
    expect(await ids('admin-[0-9]+')).toEqual(['admin-1']);
    expect(await ids('admin')).toEqual([]); // a prefix is not a match
    expect(await ids('other-.*')).toEqual([]);
    expect(await ids('')).toContain('admin-1');
    expect(await ids(null)).toContain('admin-1');
    const bad = await client.send(66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: 'admin-(' });
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, transactionStates: [] });
  });

  it('WriteTxnMarkers: a stale epoch is rejected; a COMMIT marker releases the LSO', async () => {
    const pid = (await client.send(61, 0, { topics: [{ name: topic, partitionIndexes: [0] }] })).topics[0].partitions[0].activeProducers[0].producerId;
    const log = tb.broker.partition(topic, 0)!.log;
    expect(log.lastStableOffset).toBe(0);
    const marker = (epoch: number) => ({ markers: [{ producerId: pid, producerEpoch: epoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: topic, partitionIndexes: [0] }] }] });
    // A marker with a newer epoch (as a fencing abort would write), then one with the old epoch.
    const ok = await client.send(27, 1, marker(1));
    expect(ok.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect(log.lastStableOffset).toBe(log.highWatermark);
    const stale = await client.send(27, 1, marker(0));
    expect(stale.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

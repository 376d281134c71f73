// compression.type as a topic config (Kafka's LogValidator recompression): the batches on disk are
// in the topic's codec whatever the producer sent, consumers read the same records, idempotent
// dedup and transactional flags survive the rewrite, and DescribeConfigs reports the value.
import { CompressionTypes, ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { describeBatches, readPartitionBatches } from '../compat/support/segment-batches.js';
import { expectStoredAs } from '../compat/support/proof.js';
import { explain, requireCommand, run } from '../compat/support/tools.js';
import { kafkajs, kafkajsProducer } from '../helpers/clients.js';

let tb: TestBroker;

beforeAll(async () => {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  tb = await startTestBroker({
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.num.partitions': '1',
  });
});
afterAll(async () => {
  await tb?.cleanup();
});

const kafka = () => kafkajs(tb.bootstrap, { clientId: 'topic-codec', retry: { retries: 5, initialRetryTime: 50 } });

async function createTopic(topic: string, config: Record<string, string>): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }] });
  await admin.disconnect();
}

async function consumeAll(topic: string, expected: number, readUncommitted = false): Promise<string[]> {
  const consumer = kafka().consumer({ groupId: `g-${topic}-${Math.random()}`, maxWaitTimeInMs: 100, readUncommitted });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.key?.toString()}=${message.value?.toString()}`) });
  const deadline = Date.now() + 15_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  await consumer.disconnect();
  return seen;
}

const value = (i: number) => `value-${i}-${'abcdefgh'.repeat(20)}`;

describe('topic compression.type', () => {
  it('stores an uncompressed kafkajs batch as gzip; kafkajs and kcat read the same records; DescribeConfigs shows gzip', async () => {
    const topic = 'codec-gzip';
    await createTopic(topic, { 'compression.type': 'gzip', 'compression.gzip.level': '9' });
    const producer = kafka().producer();
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: value(i) }));
    await producer.send({ topic, compression: CompressionTypes.None, messages });
    await producer.disconnect();

    const batches = await expectStoredAs(tb.dataDir, topic, 0, 'gzip', messages.map((m) => ({ key: Buffer.from(m.key), value: Buffer.from(m.value) })));
    expect(batches).toHaveLength(1);
    expect(await consumeAll(topic, 20)).toEqual(messages.map((m) => `${m.key}=${m.value}`));

    requireCommand('kcat', ['-V'], 'kcat');
    const r = await run('kcat', ['-b', tb.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%k=%s\\n'], { timeoutMs: 20_000 });
    expect(r.code, explain('kcat -C', r)).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l)).toEqual(messages.map((m) => `${m.key}=${m.value}`));

    const admin = kafka().admin();
    await admin.connect();
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['compression.type'] }] });
    await admin.disconnect();
    expect(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([['compression.type', 'gzip']]);
  });

  it('stores a kcat lz4 batch uncompressed with compression.type=uncompressed', async () => {
    requireCommand('kcat', ['-V'], 'kcat');
    const topic = 'codec-none';
    await createTopic(topic, { 'compression.type': 'uncompressed' });
    const lines = Array.from({ length: 30 }, (_, i) => `key-${i}:${value(i)}`);
    const r = await run('kcat', ['-b', tb.bootstrap, '-P', '-t', topic, '-p', '0', '-K:', '-z', 'lz4', '-X', 'linger.ms=50'], { input: lines.join('\n') + '\n', timeoutMs: 20_000 });
    expect(r.code, explain('kcat -P', r)).toBe(0);
    expect(r.stderr, explain('kcat -P', r)).not.toMatch(/Delivery failed|ERROR/);
    await expectStoredAs(tb.dataDir, topic, 0, 'none', lines.map((l) => ({ key: Buffer.from(l.split(':')[0]!), value: Buffer.from(l.split(':')[1]!) })));
    expect(await consumeAll(topic, 30)).toEqual(lines.map((l) => l.replace(':', '=')));
  });

  it('leaves producer-codec topics (the default) in the codec each producer chose', async () => {
    const topic = 'codec-producer';
    await createTopic(topic, {});
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ key: 'a', value: value(1) }] });
    await producer.send({ topic, compression: CompressionTypes.None, messages: [{ key: 'b', value: value(2) }] });
    await producer.disconnect();
    const batches = await readPartitionBatches(tb.dataDir, topic, 0);
    expect(batches.map((b) => b.codec), describeBatches(batches)).toEqual(['gzip', 'none']);
  });

  it('applies the broker-level compression.type to topics without an override', async () => {
    const other = await startTestBroker({ 'compression.type': 'gzip' });
    try {
      const producer = await kafkajsProducer(other.bootstrap, {}, { clientId: 'broker-codec' });
      await producer.send({ topic: 'auto-created', compression: CompressionTypes.None, messages: [{ key: 'k', value: value(7) }] });
      await producer.disconnect();
      await expectStoredAs(other.dataDir, 'auto-created', 0, 'gzip', [{ key: Buffer.from('k'), value: Buffer.from(value(7)) }]);
    } finally {
      await other.cleanup();
    }
  });

  it('deduplicates a retried idempotent batch after recompression (same offset, one copy on disk)', async () => {
    const topic = 'codec-idem';
    await createTopic(topic, { 'compression.type': 'zstd', 'compression.zstd.level': '10' });
    const client = await RawClient.connect(tb.port);
    try {
      const init = await client.send(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      expect(init.errorCode).toBe(0);
      const batch = buildRecordBatch({
        producerId: Number(init.producerId),
        producerEpoch: init.producerEpoch,
        baseSequence: 0,
        records: [0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(value(i)) })),
      });
      const produce = () =>
        client.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
      const first = (await produce()).responses[0].partitionResponses[0];
      const retry = (await produce()).responses[0].partitionResponses[0];
      expect([first.errorCode, Number(first.baseOffset)]).toEqual([0, 0]);
      expect([retry.errorCode, Number(retry.baseOffset)]).toEqual([0, 0]);
    } finally {
      client.socket.destroy();
    }
    const batches = await readPartitionBatches(tb.dataDir, topic, 0);
    expect(batches.map((b) => [b.codec, b.recordCount, b.crcOk]), describeBatches(batches)).toEqual([['zstd', 3, true]]);
  });

  it('keeps the transactional flag of recompressed batches: read_committed hides the aborted records', async () => {
    const topic = 'codec-txn';
    // gzip: kafkajs has no built-in snappy/lz4/zstd decoder for the consumers below.
    await createTopic(topic, { 'compression.type': 'gzip' });
    const producer = kafka().producer({ transactionalId: 'codec-txn-producer', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, compression: CompressionTypes.None, messages: [{ key: 'x', value: 'aborted-1' }, { key: 'x', value: 'aborted-2' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, compression: CompressionTypes.None, messages: [{ key: 'y', value: 'committed-1' }] });
    await committed.commit();
    await producer.disconnect();

    const raw = await readPartitionBatches(tb.dataDir, topic, 0);
    // data batches are gzip; the two markers are control batches (uncompressed, one record each)
    expect(raw.map((b) => [b.codec, b.recordCount]), describeBatches(raw)).toEqual([['gzip', 2], ['none', 1], ['gzip', 1], ['none', 1]]);
    expect(raw.map((b) => b.crcOk)).toEqual([true, true, true, true]);
    expect(await consumeAll(topic, 1)).toEqual(['y=committed-1']);
    expect(await consumeAll(topic, 3, true)).toEqual(['x=aborted-1', 'x=aborted-2', 'y=committed-1']);
  });
});

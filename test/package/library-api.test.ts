// The embedding API as users import it (`import { startBroker } from 'tributary'`): typed Kafka
// keys, a handle with bootstrap/port/close and nothing of the broker's internals.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ConfigError, startBroker, type TributaryBroker } from '../../src/index.js';
import { kafkajs, kafkajsConsumer, kafkajsProducer } from '../helpers/clients.js';

const dirs: string[] = [];
const brokers: TributaryBroker[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-lib-'));
  dirs.push(d);
  return d;
}

it('starts a broker from typed Kafka keys that kafkajs can produce to and consume from', async () => {
  const dir = await tempDir();
  const broker = await startBroker({
    config: { 'log.dirs': dir, listeners: ['PLAINTEXT://127.0.0.1:0'], 'num.partitions': 2, 'auto.create.topics.enable': true, 'group.initial.rebalance.delay.ms': 0 },
    logLevel: 'silent',
  });
  brokers.push(broker);
  expect(Object.keys(broker).sort()).toEqual(['bootstrap', 'close', 'port']);
  expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
  expect(broker.port).toBeGreaterThan(0);

  const kafka = kafkajs(broker.bootstrap, { clientId: 'lib-api' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'lib' }] });
  const meta = await admin.fetchTopicMetadata({ topics: ['lib'] });
  expect(meta.topics[0]!.partitions).toHaveLength(2); // num.partitions from the typed config
  await admin.disconnect();

  const producer = await kafkajsProducer(broker.bootstrap, {}, { clientId: 'lib-api' });
  await producer.send({ topic: 'lib', messages: [{ key: 'k', value: 'hello', partition: 0 }] });
  await producer.disconnect();
  const consumer = await kafkajsConsumer(broker.bootstrap, { groupId: 'lib-g' }, { clientId: 'lib-api' });
  await consumer.subscribe({ topic: 'lib', fromBeginning: true });
  const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
  expect(got).toBe('hello');
  await consumer.disconnect();

  await broker.close();
  await broker.close(); // idempotent
  await expect(fs.access(path.join(dir, 'meta.properties'))).resolves.toBeUndefined();
});

it('rejects an invalid value with a ConfigError naming the key', async () => {
  const dir = await tempDir();
  const err = await startBroker({ config: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', 'num.partitions': 0 }, logLevel: 'silent' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain('num.partitions');
});

it('warns about unknown keys through its logger, with a suggestion', async () => {
  const dir = await tempDir();
  const lines: string[] = [];
  const broker = await startBroker({
    config: { 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', 'num.partition': 3 },
    logLevel: 'warn',
    logFormat: 'json',
    logStream: { write: (l: string) => lines.push(l) },
  });
  brokers.push(broker);
  expect(lines.join('')).toContain("did you mean 'num.partitions'?");
});

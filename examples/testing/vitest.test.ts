// vitest + kafkajs against a throwaway Tributary broker.
//   npm install --save-dev tributary kafkajs vitest
//   npx vitest run
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestCluster, type TestCluster } from 'tributary/testing';

let cluster: TestCluster;
let kafka: Kafka;

// More than vitest's default 10 s hook timeout for a first start on a slow or busy machine.
beforeAll(async () => {
  cluster = await createTestCluster({ topics: [{ name: 'orders', partitions: 3 }] });
  kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 2 } });
}, 30_000);
afterAll(() => cluster.close());

it('surfaces an authorization failure to the caller', async () => {
  const denied = cluster.control('Produce', () => ({ error: 'TOPIC_AUTHORIZATION_FAILED' }));
  const producer = kafka.producer();
  await producer.connect();
  await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
  denied.remove();
  await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).resolves.toHaveLength(1);
  await producer.disconnect();
});

it('survives a dropped connection', async () => {
  const drop = cluster.control('Produce', () => 'drop', { times: 1 });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ value: 'after a drop' }] });
  await producer.disconnect();
  expect(drop.acted).toBe(1);
});

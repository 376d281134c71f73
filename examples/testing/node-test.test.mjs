// node:test + kafkajs against a throwaway Tributary broker.
//   npm install --save-dev tributary kafkajs
//   node --test
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { createTestCluster } from 'tributary/testing';

let cluster;
let kafka;

before(async () => {
  cluster = await createTestCluster({ topics: [{ name: 'orders', partitions: 3 }] });
  kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50 } });
});
after(() => cluster.close());

test('a produced order is consumed', async () => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ key: 'o-1', value: 'widget' }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'billing' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const value = await new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) }));
  await consumer.disconnect();
  assert.equal(value, 'widget');
});

test('the producer retries when the broker says it is not the leader', async () => {
  // The first two Produce requests are answered with NOT_LEADER_OR_FOLLOWER, then the control
  // removes itself and the broker handles the retry.
  const refusals = cluster.control('Produce', () => ({ error: 'NOT_LEADER_OR_FOLLOWER' }), { times: 2 });
  const producer = kafka.producer();
  await producer.connect();
  const [result] = await producer.send({ topic: 'orders', messages: [{ value: 'retried' }] });
  await producer.disconnect();
  assert.equal(result.errorCode, 0);
  assert.equal(refusals.acted, 2);
});

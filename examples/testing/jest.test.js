// jest + kafkajs against a throwaway Tributary broker.
//   npm install --save-dev tributary kafkajs jest
//   NODE_OPTIONS=--experimental-vm-modules npx jest   (tributary is an ES module)
import { Kafka, logLevel } from 'kafkajs';
import { createTestCluster } from 'tributary/testing';

let cluster;
let kafka;

// Starting the broker loads it first (jest's ES module loader is not quick): more than jest's
// default 5 s hook timeout on a slow or busy machine.
beforeAll(async () => {
  cluster = await createTestCluster({ topics: [{ name: 'orders' }] });
  kafka = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 1000 });
}, 30_000);
afterAll(() => cluster.close());

test('a slow broker makes the request time out', async () => {
  // Every Metadata request waits 3 s: longer than the client's 1 s request timeout.
  const slow = cluster.control('Metadata', () => ({ delayMs: 3000 }));
  const admin = kafka.admin({ retry: { retries: 0 } });
  await expect(admin.connect().then(() => admin.fetchTopicMetadata({ topics: ['orders'] }))).rejects.toThrow();
  slow.remove();
  await admin.disconnect();
});

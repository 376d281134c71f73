// message.format.version (topic) / log.message.format.version (broker): Kafka 3.x accepts and
// validates them, then ignores them; librdkafka's own tests set them through AlterConfigs.
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajsAdmin } from '../helpers/clients.js';

const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

let tb: TestBroker;
let admin: Admin;

beforeAll(async () => {
  tb = await startTestBroker({ 'log.message.format.version': '2.8' });
  admin = await kafkajsAdmin(tb.bootstrap, { clientId: 'mfv', retry: { retries: 0 } });
});
afterAll(async () => {
  await admin?.disconnect();
  await tb?.cleanup();
});

async function describeTopicKey(topic: string) {
  const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['message.format.version'] }], includeSynonyms: false });
  return cfg.resources[0]!.configEntries.find((e) => e.configName === 'message.format.version');
}

describe('message.format.version', () => {
  it('is accepted by CreateTopics and AlterConfigs for Kafka version strings and shown by DescribeConfigs', async () => {
    await admin.createTopics({ topics: [{ topic: 'mfv-create', numPartitions: 1, configEntries: [{ name: 'message.format.version', value: '0.10.0' }] }] });
    expect(await describeTopicKey('mfv-create')).toMatchObject({ configValue: '0.10.0', configSource: SOURCE.DYNAMIC_TOPIC_CONFIG });
    for (const value of ['2.8-IV1', '3.0', '0.10.2.1', '0.11.0-IV2', '1.0']) {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'mfv-create', configEntries: [{ name: 'message.format.version', value }] }] });
      expect((await describeTopicKey('mfv-create'))?.configValue).toBe(value);
    }
  });

  it('takes its default from log.message.format.version', async () => {
    await admin.createTopics({ topics: [{ topic: 'mfv-default', numPartitions: 1 }] });
    expect(await describeTopicKey('mfv-default')).toMatchObject({ configValue: '2.8', configSource: SOURCE.STATIC_BROKER_CONFIG });
    const broker = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.message.format.version'] }], includeSynonyms: false });
    expect(broker.resources[0]!.configEntries[0]).toMatchObject({ configName: 'log.message.format.version', configValue: '2.8' });
  });

  it('refuses strings that are not Kafka versions with INVALID_CONFIG', async () => {
    for (const value of ['0.7', '4.5', 'latest', '2.8-IV9']) {
      const err = await admin
        .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'mfv-create', configEntries: [{ name: 'message.format.version', value }] }] })
        .then(() => null, (e: { type?: string }) => e);
      expect(err?.type, value).toBe('INVALID_CONFIG');
    }
  });

  it('is ignored: a topic set to 0.8.0 still stores and serves v2 batches', async () => {
    await admin.createTopics({ topics: [{ topic: 'mfv-old', numPartitions: 1, configEntries: [{ name: 'message.format.version', value: '0.8.0' }] }] });
    const c = await RawClient.connect(tb.port);
    try {
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('v2'), timestamp: 1_700_000_000_000 }] });
      const p = await c.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'mfv-old', partitionData: [{ index: 0, records }] }] });
      expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
      const f = await c.send(1, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic: 'mfv-old', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, logStartOffset: -1, currentLeaderEpoch: -1 }] }],
      });
      expect(f.responses[0].partitions[0].records[16]).toBe(2); // magic 2
    } finally {
      c.close();
    }
  });
});

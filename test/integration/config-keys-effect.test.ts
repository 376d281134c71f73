// Broker keys that used to be accepted and ignored, now with an effect (fetch.max.bytes,
// log.flush.offset.checkpoint.interval.ms), a refusal (a listener whose security protocol is not
// served) or a startup warning (keys Kafka could ignore on a single broker, no-effect-keys.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';
import { kafkajs, kafkajsAdmin } from '../helpers/clients.js';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.cleanup();
  tb = null;
});

describe('keys that take effect', () => {
  it('fetch.max.bytes caps a fetch whatever the request asks (at least one whole batch)', async () => {
    tb = await startTestBroker({ 'fetch.max.bytes': '1024' });
    const kafka = kafkajs(tb.bootstrap, { clientId: 'fmb' });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'fetch-cap', messages: [{ value: Buffer.alloc(2000, i) }] });
    await producer.disconnect();
    const c = await RawClient.connect(tb.port);
    const r = await c.send(1, 4, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
      topics: [{ topic: 'fetch-cap', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    });
    c.close();
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(3);
    // One batch of ~2 KB (over the cap, returned whole), not all three.
    expect(p.records.length).toBeGreaterThan(2000);
    expect(p.records.length).toBeLessThan(4000);
  });

  it('log.flush.offset.checkpoint.interval.ms sets how often recovery points are checkpointed', async () => {
    tb = await startTestBroker({ 'log.flush.offset.checkpoint.interval.ms': '200' });
    const c = await RawClient.connect(tb.port);
    await c.send(3, 4, { topics: [{ name: 'ckpt-topic' }], allowAutoTopicCreation: true });
    c.close();
    const file = path.join(tb.dataDir, 'recovery-point-offset-checkpoint');
    await waitFor(async () => (await fs.readFile(file, 'utf8').catch(() => '')).includes('ckpt-topic 0 '), 'the checkpoint to list the new topic');
  });
});

describe('keys that are refused', () => {
  it('a TLS listener without a key and certificate stops the broker with a message naming the key', async () => {
    await expect(
      startTestBroker({ listeners: 'SSL://127.0.0.1:0', 'listener.security.protocol.map': 'SSL:SSL' }),
    ).rejects.toThrow(/Listener SSL uses TLS and needs a key and certificate: ssl.keystore.location/);
  });
});

describe('keys accepted for compatibility', () => {
  it('warn when set, naming the key and why it has no effect', () => {
    const config = loadBrokerConfig({ overrides: ['num.io.threads=16', 'offsets.topic.replication.factor=3'] });
    expect(config.warnings.filter((w) => w.includes('accepted for compatibility but has no effect'))).toEqual([
      expect.stringContaining("'num.io.threads'"),
      expect.stringContaining("'offsets.topic.replication.factor'"),
    ]);
  });

  it('topic keys with no effect warn when CreateTopics or AlterConfigs sets them', async () => {
    tb = await startTestBroker();
    const warn = vi.spyOn(tb.broker.logger, 'warn');
    const admin = await kafkajsAdmin(tb.bootstrap, { clientId: 'noeff' });
    try {
      await admin.createTopics({ topics: [{ topic: 'noeff', configEntries: [{ name: 'preallocate', value: 'true' }, { name: 'retention.ms', value: '1000' }] }] });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: 'noeff', configEntries: [{ name: 'preallocate', value: 'true' }, { name: 'compression.lz4.level', value: '12' }] }],
      });
    } finally {
      await admin.disconnect();
    }
    const messages = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('accepted for compatibility but has no effect'));
    // preallocate once (set on create, unchanged by the alter), compression.lz4.level once; retention.ms never.
    expect(messages).toEqual([
      expect.stringContaining("'preallocate' of 'noeff'"),
      expect.stringContaining("'compression.lz4.level' of 'noeff'"),
    ]);
  });

  it('do not warn when left at their defaults', () => {
    expect(loadBrokerConfig({}).warnings).toEqual([]);
  });
});

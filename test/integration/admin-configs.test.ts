// AlterConfigs / IncrementalAlterConfigs / DescribeConfigs against an in-process broker: topic
// overrides (legacy replace-all vs incremental SET/DELETE/APPEND/SUBTRACT), dynamic broker configs
// per broker and as cluster default with their DescribeConfigs sources and synonyms, Kafka's
// error codes, validateOnly, and persistence of both across a restart. Driven by the raw client
// (exact versions and error codes), kafkajs (legacy AlterConfigs) and @platformatic/kafka
// (IncrementalAlterConfigs).
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { DYNAMIC_CONFIG_FILE } from '../../src/metadata/dynamic-config-store.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs, pkAdmin } from '../helpers/clients.js';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

let tb: TestBroker;
let client: RawClient;

beforeAll(async () => {
  tb = await startTestBroker({ 'num.partitions': '1' });
  client = await RawClient.connect(tb.port);
});
afterAll(async () => {
  client?.close();
  await tb?.cleanup();
});

type Op = { name: string; op: number; value?: string | null };

async function incremental(resourceType: number, resourceName: string, ops: Op[], validateOnly = false, c = client) {
  const res = await c.send(44, 1, {
    resources: [{ resourceType, resourceName, configs: ops.map((o) => ({ name: o.name, configOperation: o.op, value: o.value ?? null })) }],
    validateOnly,
  });
  return res.responses[0] as { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string };
}

async function legacy(resourceType: number, resourceName: string, configs: Record<string, string | null>, validateOnly = false) {
  const res = await client.send(33, 1, {
    resources: [{ resourceType, resourceName, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    validateOnly,
  });
  return res.responses[0] as { errorCode: number; errorMessage: string | null };
}

interface Row {
  name: string;
  value: string | null;
  configSource: number;
  synonyms: { name: string; value: string | null; source: number }[];
}

async function describeConfigs(resourceType: number, resourceName: string, keys: string[] | null = null, c = client): Promise<Map<string, Row>> {
  const res = await c.send(32, 4, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
  expect(res.results[0].errorCode).toBe(0);
  return new Map((res.results[0].configs as Row[]).map((r) => [r.name, r]));
}

async function createTopic(name: string, configs: Record<string, string> = {}) {
  const res = await client.send(19, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(res.topics[0].errorCode).toBe(0);
}

describe('IncrementalAlterConfigs on topics', () => {
  it('SETs and DELETEs single keys, keeping the others', async () => {
    await createTopic('iac-basic', { 'cleanup.policy': 'delete', 'retention.ms': '3600000' });
    expect((await incremental(TOPIC, 'iac-basic', [{ name: 'segment.bytes', op: SET, value: '1048576' }])).errorCode).toBe(0);
    let rows = await describeConfigs(TOPIC, 'iac-basic');
    expect(rows.get('segment.bytes')).toMatchObject({ value: '1048576', configSource: SOURCE.DYNAMIC_TOPIC_CONFIG });
    expect(rows.get('retention.ms')).toMatchObject({ value: '3600000', configSource: SOURCE.DYNAMIC_TOPIC_CONFIG });
    expect(rows.get('segment.bytes')!.synonyms[0]).toEqual({ name: 'segment.bytes', value: '1048576', source: SOURCE.DYNAMIC_TOPIC_CONFIG });
    expect(rows.get('segment.bytes')!.synonyms.map((s) => s.name)).toContain('log.segment.bytes');

    expect((await incremental(TOPIC, 'iac-basic', [{ name: 'retention.ms', op: DELETE }])).errorCode).toBe(0);
    rows = await describeConfigs(TOPIC, 'iac-basic');
    expect(rows.get('retention.ms')).toMatchObject({ value: '604800000', configSource: SOURCE.DEFAULT_CONFIG });
    expect(rows.get('segment.bytes')!.value).toBe('1048576');
    expect(tb.broker.topics.get('iac-basic')!.configs).toEqual({ 'cleanup.policy': 'delete', 'segment.bytes': '1048576' });
  });

  it('APPENDs to and SUBTRACTs from list keys, starting from the default', async () => {
    await createTopic('iac-list');
    expect((await incremental(TOPIC, 'iac-list', [{ name: 'cleanup.policy', op: APPEND, value: 'compact' }])).errorCode).toBe(0);
    expect((await describeConfigs(TOPIC, 'iac-list', ['cleanup.policy'])).get('cleanup.policy')!.value).toBe('delete,compact');
    expect((await incremental(TOPIC, 'iac-list', [{ name: 'cleanup.policy', op: SUBTRACT, value: 'delete' }])).errorCode).toBe(0);
    expect((await describeConfigs(TOPIC, 'iac-list', ['cleanup.policy'])).get('cleanup.policy')!.value).toBe('compact');

    const notList = await incremental(TOPIC, 'iac-list', [{ name: 'retention.ms', op: APPEND, value: '1' }]);
    expect(notList.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(notList.errorMessage).toContain('because its type is not LIST');
  });

  it('answers Kafka error codes and changes nothing on error', async () => {
    await createTopic('iac-errors', { 'retention.ms': '1000000' });
    const unknown = await incremental(TOPIC, 'no-such-topic', [{ name: 'retention.ms', op: SET, value: '1' }]);
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Kafka validates the values before it looks the topic up.
    expect((await incremental(TOPIC, 'no-such-topic', [{ name: 'retention.ms', op: SET, value: 'x' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await incremental(TOPIC, '', [{ name: 'retention.ms', op: SET, value: '1' }])).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await incremental(TOPIC, 'bad name!', [{ name: 'retention.ms', op: SET, value: '1' }])).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);

    const badValue = await incremental(TOPIC, 'iac-errors', [{ name: 'retention.ms', op: SET, value: 'soon' }]);
    expect(badValue.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(badValue.errorMessage).toContain('retention.ms');

    const badKey = await incremental(TOPIC, 'iac-errors', [{ name: 'retention.msec', op: SET, value: '1' }]);
    expect(badKey.errorCode).toBe(ErrorCode.INVALID_CONFIG);

    const dupKeys = await incremental(TOPIC, 'iac-errors', [
      { name: 'retention.ms', op: SET, value: '1' },
      { name: 'retention.ms', op: SET, value: '2' },
    ]);
    expect(dupKeys.errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const nullSet = await incremental(TOPIC, 'iac-errors', [{ name: 'retention.ms', op: SET, value: null }]);
    expect(nullSet.errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const twice = await client.send(44, 1, {
      resources: [
        { resourceType: TOPIC, resourceName: 'iac-errors', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }] },
        { resourceType: TOPIC, resourceName: 'iac-errors', configs: [{ name: 'retention.ms', configOperation: SET, value: '6' }] },
      ],
      validateOnly: false,
    });
    expect(twice.responses.map((r: { errorCode: number }) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);

    const validateOnly = await incremental(TOPIC, 'iac-errors', [{ name: 'retention.ms', op: SET, value: '7' }], true);
    expect(validateOnly.errorCode).toBe(0);
    expect(tb.broker.topics.get('iac-errors')!.configs).toEqual({ 'retention.ms': '1000000' });
    expect(tb.broker.topicConfig('iac-errors').get('retention.ms')).toBe(1000000);
  });

  it('works from @platformatic/kafka Admin.incrementalAlterConfigs', async () => {
    await createTopic('iac-pk');
    const admin = pkAdmin(tb.bootstrap, { clientId: 'pk-admin' });
    try {
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: 2,
            resourceName: 'iac-pk',
            configs: [
              { name: 'retention.ms', configOperation: 0, value: '123456' },
              { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
            ],
          },
        ],
      });
      const [desc] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'iac-pk', configurationKeys: ['retention.ms', 'cleanup.policy'] }] });
      const byName = new Map(desc!.configs.map((c) => [c.name, c]));
      expect(byName.get('retention.ms')!.value).toBe('123456');
      expect(byName.get('cleanup.policy')!.value).toBe('delete,compact');
      await expect(
        admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: 'iac-pk', configs: [{ name: 'retention.ms', configOperation: 0, value: 'x' }] }] }),
      ).rejects.toThrow();
    } finally {
      await admin.close();
    }
  });
});

describe('AlterConfigs (legacy) on topics', () => {
  it('replaces the whole set of overrides', async () => {
    await createTopic('ac-replace', { 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
    expect((await legacy(TOPIC, 'ac-replace', { 'segment.bytes': '2097152' })).errorCode).toBe(0);
    expect(tb.broker.topics.get('ac-replace')!.configs).toEqual({ 'segment.bytes': '2097152' });
    const rows = await describeConfigs(TOPIC, 'ac-replace');
    expect(rows.get('retention.ms')!.configSource).toBe(SOURCE.DEFAULT_CONFIG);
    expect(rows.get('cleanup.policy')!.value).toBe('delete');
    expect(rows.get('segment.bytes')).toMatchObject({ value: '2097152', configSource: SOURCE.DYNAMIC_TOPIC_CONFIG });

    expect((await legacy(TOPIC, 'ac-replace', { 'segment.bytes': null })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await legacy(TOPIC, 'ac-replace', { 'max.message.bytes': '-5' })).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await legacy(TOPIC, 'ac-missing', { 'retention.ms': '1' })).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await legacy(TOPIC, 'ac-replace', {}, true)).errorCode).toBe(0);
    expect(tb.broker.topics.get('ac-replace')!.configs).toEqual({ 'segment.bytes': '2097152' });
  });

  it('works from kafkajs admin.alterConfigs / describeConfigs', async () => {
    await createTopic('ac-kafkajs');
    const kafka = kafkajs(tb.bootstrap, { clientId: 'kj-configs', retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac-kafkajs', configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
      });
      const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac-kafkajs', configNames: ['retention.ms'] }], includeSynonyms: true });
      const entry = cfg.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')!;
      expect(entry.configValue).toBe('7200000');
      expect(entry.configSource).toBe(SOURCE.DYNAMIC_TOPIC_CONFIG);
      const err = await admin
        .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac-kafkajs', configEntries: [{ name: 'retention.ms', value: 'x' }] }] })
        .then(() => null, (e: { type?: string }) => e);
      expect(err?.type).toBe('INVALID_CONFIG');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('dynamic broker configs', () => {
  it('sets per-broker and cluster-default values with the right sources and synonyms', async () => {
    const id = String(tb.broker.nodeId);
    expect((await incremental(BROKER, '', [{ name: 'log.retention.ms', op: SET, value: '86400000' }])).errorCode).toBe(0);
    let rows = await describeConfigs(BROKER, id, ['log.retention.ms']);
    expect(rows.get('log.retention.ms')).toMatchObject({ value: '86400000', configSource: SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG });

    expect((await incremental(BROKER, id, [{ name: 'log.retention.ms', op: SET, value: '43200000' }])).errorCode).toBe(0);
    rows = await describeConfigs(BROKER, id, ['log.retention.ms']);
    expect(rows.get('log.retention.ms')!.value).toBe('43200000');
    expect(rows.get('log.retention.ms')!.configSource).toBe(SOURCE.DYNAMIC_BROKER_CONFIG);
    expect(rows.get('log.retention.ms')!.synonyms.slice(0, 2)).toEqual([
      { name: 'log.retention.ms', value: '43200000', source: SOURCE.DYNAMIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '86400000', source: SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG },
    ]);

    // The cluster-default resource shows the default value, not this broker's override.
    const defaults = await describeConfigs(BROKER, '');
    expect([...defaults.keys()]).toEqual(['log.retention.ms']);
    expect(defaults.get('log.retention.ms')).toMatchObject({ value: '86400000', configSource: SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG });

    // A topic without an override takes the per-broker value; its synonyms list both layers.
    await createTopic('dyn-topic');
    const topicRows = await describeConfigs(TOPIC, 'dyn-topic', ['retention.ms']);
    expect(topicRows.get('retention.ms')).toMatchObject({ value: '43200000', configSource: SOURCE.DYNAMIC_BROKER_CONFIG });
    expect(tb.broker.partition('dyn-topic', 0)!.log.config.retentionMs).toBe(43200000);

    expect((await incremental(BROKER, id, [{ name: 'log.retention.ms', op: DELETE }])).errorCode).toBe(0);
    expect(tb.broker.partition('dyn-topic', 0)!.log.config.retentionMs).toBe(86400000);
    expect((await incremental(BROKER, '', [{ name: 'log.retention.ms', op: DELETE }])).errorCode).toBe(0);
    expect(tb.broker.partition('dyn-topic', 0)!.log.config.retentionMs).toBe(604800000);
    expect((await describeConfigs(BROKER, '')).size).toBe(0);
  });

  it('refuses read-only keys, per-broker keys as cluster defaults, bad values and other brokers (INVALID_REQUEST, as Kafka)', async () => {
    const id = String(tb.broker.nodeId);
    const readOnly = await incremental(BROKER, id, [{ name: 'log.dirs', op: SET, value: '/elsewhere' }]);
    expect(readOnly.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(readOnly.errorMessage).toContain('Cannot update these configs dynamically');
    const perBroker = await incremental(BROKER, '', [{ name: 'listeners', op: SET, value: 'PLAINTEXT://127.0.0.1:1' }]);
    expect(perBroker.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const badValue = await incremental(BROKER, id, [{ name: 'message.max.bytes', op: SET, value: 'big' }]);
    expect(badValue.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(badValue.errorMessage).toContain('message.max.bytes');
    const otherBroker = await incremental(BROKER, String(tb.broker.nodeId + 1), [{ name: 'message.max.bytes', op: SET, value: '1000' }]);
    expect(otherBroker.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const validateOnly = await incremental(BROKER, id, [{ name: 'message.max.bytes', op: SET, value: '1000' }], true);
    expect(validateOnly.errorCode).toBe(0);
    expect(tb.broker.config.get('message.max.bytes')).toBe(1048588);
  });

  it('legacy AlterConfigs replaces the whole dynamic set of a broker resource', async () => {
    const id = String(tb.broker.nodeId);
    expect((await incremental(BROKER, id, [{ name: 'log.cleaner.threads', op: SET, value: '2' }])).errorCode).toBe(0);
    expect((await legacy(BROKER, id, { 'message.max.bytes': '2000000' })).errorCode).toBe(0);
    expect(tb.broker.dynamicConfigs.values('broker')).toEqual({ 'message.max.bytes': '2000000' });
    expect(tb.broker.config.get('log.cleaner.threads')).toBe(1);
    expect(tb.broker.topicConfig('dyn-topic').get('max.message.bytes')).toBe(2000000);
    expect((await legacy(BROKER, id, {})).errorCode).toBe(0);
    expect(tb.broker.config.get('message.max.bytes')).toBe(1048588);
  });

  it('persists topic overrides and dynamic broker configs across a restart', async () => {
    const id = String(tb.broker.nodeId);
    await createTopic('persist-topic');
    expect((await incremental(TOPIC, 'persist-topic', [{ name: 'retention.bytes', op: SET, value: '1000000' }])).errorCode).toBe(0);
    expect((await incremental(BROKER, '', [{ name: 'log.retention.bytes', op: SET, value: '5000000' }])).errorCode).toBe(0);
    expect((await incremental(BROKER, id, [{ name: 'message.max.bytes', op: SET, value: '3000000' }])).errorCode).toBe(0);
    const file = JSON.parse(await fs.readFile(path.join(tb.dataDir, DYNAMIC_CONFIG_FILE), 'utf8'));
    expect(file).toMatchObject({ broker: { 'message.max.bytes': '3000000' }, cluster: { 'log.retention.bytes': '5000000' } });

    client.close();
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    const brokerRows = await describeConfigs(BROKER, id, ['message.max.bytes', 'log.retention.bytes']);
    expect(brokerRows.get('message.max.bytes')).toMatchObject({ value: '3000000', configSource: SOURCE.DYNAMIC_BROKER_CONFIG });
    expect(brokerRows.get('log.retention.bytes')).toMatchObject({ value: '5000000', configSource: SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const topicRows = await describeConfigs(TOPIC, 'persist-topic', ['retention.bytes', 'max.message.bytes']);
    expect(topicRows.get('retention.bytes')).toMatchObject({ value: '1000000', configSource: SOURCE.DYNAMIC_TOPIC_CONFIG });
    expect(topicRows.get('max.message.bytes')).toMatchObject({ value: '3000000', configSource: SOURCE.DYNAMIC_BROKER_CONFIG });
    // Topics without their own override pick up the restored cluster default in their logs.
    expect(tb.broker.partition('dyn-topic', 0)!.log.config.retentionBytes).toBe(5000000);
    expect(tb.broker.partition('persist-topic', 0)!.log.config.retentionBytes).toBe(1000000);
  });

  it('starts with a stored dynamic value that no longer validates dropped, keeping the rest', async () => {
    const file = path.join(tb.dataDir, DYNAMIC_CONFIG_FILE);
    client.close();
    await tb.stop();
    const doc = JSON.parse(await fs.readFile(file, 'utf8'));
    doc.broker['log.dirs'] = '/elsewhere'; // read-only
    doc.broker['message.max.bytes'] = 'huge'; // not a number
    doc.cluster['log.retention.ms'] = '120000';
    await fs.writeFile(file, JSON.stringify(doc));
    tb = await tb.restart();
    client = await RawClient.connect(tb.port);
    expect(tb.broker.dynamicConfigs.values('broker')).toEqual({});
    expect(tb.broker.dynamicConfigs.values('cluster')).toEqual({ 'log.retention.bytes': '5000000', 'log.retention.ms': '120000' });
    expect(tb.broker.config.get('message.max.bytes')).toBe(1048588);
    expect(tb.broker.config.logDirs).toEqual([tb.dataDir]);
    expect(tb.broker.topicConfig('dyn-topic').get('retention.ms')).toBe(120000);
  });

  it('keeps both keys when two clients alter one topic at the same time', async () => {
    await createTopic('concurrent-topic');
    const other = await RawClient.connect(tb.port);
    try {
      const results = await Promise.all([
        incremental(TOPIC, 'concurrent-topic', [{ name: 'retention.ms', op: SET, value: '111111' }]),
        incremental(TOPIC, 'concurrent-topic', [{ name: 'segment.ms', op: SET, value: '222222' }], false, other),
        incremental(BROKER, String(tb.broker.nodeId), [{ name: 'log.cleaner.threads', op: SET, value: '3' }]),
        incremental(BROKER, String(tb.broker.nodeId), [{ name: 'log.cleaner.backoff.ms', op: SET, value: '5000' }], false, other),
      ]);
      expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0, 0]);
    } finally {
      other.close();
    }
    expect(tb.broker.topics.get('concurrent-topic')!.configs).toEqual({ 'retention.ms': '111111', 'segment.ms': '222222' });
    expect(tb.broker.dynamicConfigs.values('broker')).toEqual({ 'log.cleaner.threads': '3', 'log.cleaner.backoff.ms': '5000' });
  });
});

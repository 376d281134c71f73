// confluent-kafka-python 1.7 (librdkafka 2.0.2, Debian) against a spawned broker: Producer with
// every compression.type, binary keys, headers (incl. null header values), null values and
// explicit timestamps; Consumer.assign() by partition; offsets_for_times and watermarks; the
// AdminClient calls. Python side: test/compat/py/ck.py.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { expectStoredAs, type ExpectedRecord } from './support/proof.js';
import { CODEC_NAMES, type CodecName } from './support/segment-batches.js';
import { compressibleValue, hex, requirePythonModule, runPy, uniqueTopic, unhex } from './support/tools.js';

interface KError {
  code: number | null;
  name: string;
  str: string;
}
interface Message {
  offset: number;
  partition: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  timestampType: number;
  headers: Array<[string, string | null]>;
}
type OpResult = Record<string, any> & { op: string; error?: string; trace?: string };

let broker: SpawnedBroker;

beforeAll(async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  broker = await spawnBroker({ overrides: { 'num.partitions': '2' } });
});

afterAll(async () => {
  await broker?.cleanup();
});

/** Runs ck.py ops; an op that raised fails here with its Python traceback. */
async function ck(...ops: Array<Record<string, unknown>>): Promise<OpResult[]> {
  const { results } = await runPy<{ results: OpResult[] }>('ck.py', { bootstrap: broker.bootstrap, ops }, 45_000);
  for (const r of results) expect(r.error, `${r.op}: ${r.error}\n${r.trace ?? ''}`).toBeUndefined();
  return results;
}

const T0 = Date.now() - 3_600_000;

interface SentMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
  timestamp: number;
}

function sample(n: number, tag: string): SentMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.concat([Buffer.from([0, 0xff, i]), Buffer.from(`key-${i}`)]),
    value: Buffer.from(compressibleValue(i, tag)),
    headers: [
      ['trace', Buffer.from([1, 2, 3, i])],
      ['empty', null],
    ] as Array<[string, Buffer | null]>,
    timestamp: T0 + i * 10,
  }));
}

const wire = (m: SentMessage) => ({ key: hex(m.key), value: hex(m.value), headers: m.headers.map(([k, v]) => [k, hex(v)]), timestamp: m.timestamp });

function expectMessages(got: Message[], sent: SentMessage[], firstOffset = 0): void {
  expect(got.map((m) => m.offset)).toEqual(sent.map((_, i) => firstOffset + i));
  expect(got.map((m) => [m.key, m.value])).toEqual(sent.map((m) => [hex(m.key), hex(m.value)]));
  expect(got.map((m) => m.headers)).toEqual(sent.map((m) => m.headers.map(([k, v]) => [k, hex(v)])));
  expect(got.map((m) => [m.timestamp, m.timestampType])).toEqual(sent.map((m) => [m.timestamp, 1]));
}

describe('confluent-kafka-python', () => {
  // One Python process produces and consumes all five codecs; each codec is then its own test.
  const topics = Object.fromEntries(CODEC_NAMES.map((c) => [c, uniqueTopic(`ck-${c}`)])) as Record<CodecName, string>;
  const sent = Object.fromEntries(CODEC_NAMES.map((c) => [c, sample(30, c)])) as Record<CodecName, SentMessage[]>;
  let codecRun: Promise<OpResult[]> | null = null;
  const codecResults = () =>
    (codecRun ??= runPy<{ results: OpResult[] }>(
      'ck.py',
      {
        bootstrap: broker.bootstrap,
        ops: CODEC_NAMES.flatMap((c) => [
          { op: 'produce', topic: topics[c], partition: 1, compression: c, messages: sent[c].map(wire), config: { 'batch.num.messages': 1000 } },
          { op: 'consume', topic: topics[c], partition: 1, offset: 'beginning' },
        ]),
      },
      45_000,
    ).then((r) => r.results));

  it.each(CODEC_NAMES)('compression.type=%s: produces, consumes byte-identical, and stores that codec on disk (compression proof)', async (codec) => {
    const results = await codecResults();
    const i = CODEC_NAMES.indexOf(codec);
    const [prod, cons] = [results[2 * i]!, results[2 * i + 1]!];
    expect(prod.error, prod.trace).toBeUndefined();
    expect(prod.unflushed).toBe(0);
    expect((prod.reports as Array<{ error: KError | null; offset: number }>).map((r) => [r.error, r.offset])).toEqual(
      sent[codec].map((_, j) => [null, j]),
    );
    expect(cons.error, cons.trace).toBeUndefined();
    expect(cons.errors).toEqual([]);
    expect(cons.eof).toBe(true);
    expectMessages(cons.messages as Message[], sent[codec]);

    const expected: ExpectedRecord[] = sent[codec].map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp }));
    await expectStoredAs(broker.dataDir, topics[codec], 1, codec, expected);
  });

  it('round-trips null values and null keys, and answers watermarks and offsets_for_times', async () => {
    const topic = uniqueTopic('ck-nulls');
    const msgs: SentMessage[] = [
      { key: Buffer.from('a'), value: Buffer.from('1'), headers: [], timestamp: T0 },
      { key: Buffer.from('a'), value: null, headers: [], timestamp: T0 + 100 },
      { key: null, value: Buffer.from('no key'), headers: [], timestamp: T0 + 200 },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [['h', Buffer.alloc(0)]], timestamp: T0 + 300 },
    ];
    const [, cons, wm, t150, tFirst, tLate, fromTwo] = await ck(
      { op: 'produce', topic, partition: 0, messages: msgs.map(wire) },
      { op: 'consume', topic, partition: 0, offset: 'beginning' },
      { op: 'watermarks', topic, partition: 0 },
      { op: 'offsets_for_times', topic, partition: 0, timestamp: T0 + 150 },
      { op: 'offsets_for_times', topic, partition: 0, timestamp: T0 - 1000 },
      { op: 'offsets_for_times', topic, partition: 0, timestamp: T0 + 10_000 },
      { op: 'consume', topic, partition: 0, offset: 2 },
    );
    expectMessages(cons!.messages as Message[], msgs);
    expect([wm!.low, wm!.high]).toEqual([0, 4]);
    expect([t150!.offset, t150!.partitionError]).toEqual([2, null]);
    expect(tFirst!.offset).toBe(0);
    expect(tLate!.offset, 'no record at/after the timestamp: librdkafka reports OFFSET_END (-1)').toBe(-1);
    expectMessages(fromTwo!.messages as Message[], msgs.slice(2), 2);
    await expectStoredAs(broker.dataDir, topic, 0, 'none', msgs);
  });

  it('AdminClient: create_topics (configs, validate_only, duplicates, bad config), list_topics, describe_configs, create_partitions, delete_topics', async () => {
    const topic = uniqueTopic('ck-admin');
    const dry = uniqueTopic('ck-dry');
    const bad = uniqueTopic('ck-bad');
    const [validate, created, again, invalid, list] = await ck(
      { op: 'create_topics', validateOnly: true, topics: [{ name: dry, partitions: 3 }] },
      { op: 'create_topics', topics: [{ name: topic, partitions: 3, config: { 'cleanup.policy': 'compact', 'retention.ms': '123456' } }] },
      { op: 'create_topics', topics: [{ name: topic, partitions: 3 }] },
      { op: 'create_topics', topics: [{ name: bad, partitions: 1, config: { 'cleanup.policy': 'bogus' } }] },
      { op: 'list_topics' },
    );
    expect(validate!.results).toEqual({ [dry]: null });
    expect(created!.results).toEqual({ [topic]: null });
    expect(again!.results[topic]?.name).toBe('TOPIC_ALREADY_EXISTS');
    expect(invalid!.results[bad]?.name).toBe('INVALID_CONFIG');
    expect(list!.brokers).toEqual([{ id: 1, host: '127.0.0.1', port: broker.port }]);
    expect(Object.keys(list!.topics)).toContain(topic);
    expect(Object.keys(list!.topics), 'validate_only must not create the topic').not.toContain(dry);
    expect(Object.keys(list!.topics), 'a rejected config must not create the topic').not.toContain(bad);
    expect(Object.keys(list!.topics[topic].partitions).sort()).toEqual(['0', '1', '2']);
    expect(list!.topics[topic].partitions['0']).toEqual({ leader: 1, replicas: [1], isrs: [1], error: null });

    const [described] = await ck({
      op: 'describe_configs',
      resources: [
        { type: 'topic', name: topic },
        { type: 'broker', name: '1' },
      ],
    });
    const topicCfg = described!.resources[`topic:${topic}`];
    expect(topicCfg.error, JSON.stringify(topicCfg.error)).toBeUndefined();
    expect(topicCfg.configs['cleanup.policy']).toMatchObject({ value: 'compact', isDefault: false, source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(topicCfg.configs['retention.ms']).toMatchObject({ value: '123456', isDefault: false });
    expect(topicCfg.configs['segment.bytes']).toMatchObject({ value: '1073741824' });
    expect(topicCfg.configs['segment.bytes'].source).not.toBe('DYNAMIC_TOPIC_CONFIG');
    const brokerCfg = described!.resources['broker:1'];
    expect(brokerCfg.error, JSON.stringify(brokerCfg.error)).toBeUndefined();
    expect(brokerCfg.configs['num.partitions']).toMatchObject({ value: '2' });
    expect(brokerCfg.configs['log.dirs']?.value).toBe(broker.dataDir);

    const [grown, tooFew, afterGrow, deleted, deletedAgain, afterDelete] = await ck(
      { op: 'create_partitions', topic, total: 5 },
      { op: 'create_partitions', topic, total: 2 },
      { op: 'list_topics', topic },
      { op: 'delete_topics', topics: [topic] },
      { op: 'delete_topics', topics: [topic] },
      { op: 'list_topics' },
    );
    expect(grown!.results).toEqual({ [topic]: null });
    expect(tooFew!.results[topic]?.name).toBe('INVALID_PARTITIONS');
    expect(Object.keys(afterGrow!.topics[topic].partitions).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(deleted!.results).toEqual({ [topic]: null });
    expect(deletedAgain!.results[topic]?.name).toBe('UNKNOWN_TOPIC_OR_PART');
    expect(Object.keys(afterDelete!.topics)).not.toContain(topic);
  });

  it('produces to a partition added by create_partitions', async () => {
    const topic = uniqueTopic('ck-grow');
    const msgs = sample(3, 'grow');
    const [, , prod, cons] = await ck(
      { op: 'create_topics', topics: [{ name: topic, partitions: 1 }] },
      { op: 'create_partitions', topic, total: 2 },
      { op: 'produce', topic, partition: 1, compression: 'zstd', messages: msgs.map(wire) },
      { op: 'consume', topic, partition: 1, offset: 'beginning' },
    );
    expect((prod!.reports as Array<{ error: KError | null }>).map((r) => r.error)).toEqual([null, null, null]);
    expectMessages(cons!.messages as Message[], msgs);
    expect(unhex((cons!.messages as Message[])[0]!.key)).toEqual(msgs[0]!.key);
  });
});

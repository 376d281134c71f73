// kafka-python 2.0.2 (Debian) against a spawned broker: version probing, KafkaProducer with every
// codec, KafkaConsumer assign()+seek_to_beginning() without a group, the offset lookups, the admin
// client, and the pre-0.11 protocol generations (api_version 0.10 / 0.9 / 0.8.2: magic 1/0
// message sets the broker must up-convert on produce and down-convert on fetch).
// Python side: test/compat/py/kp.py.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { expectStoredAs } from './support/proof.js';
import { CODEC_NAMES, type CodecName } from './support/segment-batches.js';
import { compressibleValue, hex, requirePythonModule, runPy, uniqueTopic } from './support/tools.js';

interface Message {
  offset: number;
  partition: number;
  key: string | null;
  value: string | null;
  timestamp: number | null;
  timestampType: number | null;
  headers: Array<[string, string | null]>;
}
type OpResult = Record<string, any> & { op: string; error?: string; trace?: string };

let broker: SpawnedBroker;

beforeAll(async () => {
  requirePythonModule('kafka', 'python3-kafka');
  broker = await spawnBroker({ overrides: { 'num.partitions': '2' } });
});

afterAll(async () => {
  await broker?.cleanup();
});

async function kp(...ops: Array<Record<string, unknown>>): Promise<OpResult[]> {
  const { results } = await runPy<{ results: OpResult[] }>('kp.py', { bootstrap: broker.bootstrap, ops }, 45_000);
  return results;
}

function ok(r: OpResult | undefined): OpResult {
  expect(r, 'missing result').toBeDefined();
  expect(r!.error, `${r!.op}: ${r!.error}\n${r!.trace ?? ''}`).toBeUndefined();
  return r!;
}

const T0 = Date.now() - 7_200_000;

interface SentMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
  timestamp?: number;
}

function sample(n: number, tag: string, withHeaders = true, withTimestamps = true): SentMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`key-${i}-\u00ff`, 'latin1'),
    value: i === n - 1 ? null : Buffer.from(compressibleValue(i, tag)),
    headers: withHeaders ? [['idx', Buffer.from([i, 0, 255])]] : [],
    ...(withTimestamps ? { timestamp: T0 + i * 7 } : {}),
  }));
}

const wire = (m: SentMessage) => ({
  key: hex(m.key),
  value: hex(m.value),
  headers: m.headers.map(([k, v]) => [k, hex(v)]),
  timestamp: m.timestamp ?? null,
});

function expectMessages(got: Message[], sent: SentMessage[], opts: { timestamps: boolean; headers: boolean }): void {
  expect(got.map((m) => m.offset)).toEqual(sent.map((_, i) => i));
  expect(got.map((m) => [m.key, m.value])).toEqual(sent.map((m) => [hex(m.key), hex(m.value)]));
  if (opts.headers) expect(got.map((m) => m.headers)).toEqual(sent.map((m) => m.headers.map(([k, v]) => [k, hex(v)])));
  if (opts.timestamps) expect(got.map((m) => m.timestamp)).toEqual(sent.map((m) => m.timestamp));
}

// kafka-python spells "no compression" None.
const pyCodec = (c: CodecName) => (c === 'none' ? null : c);

describe('kafka-python', () => {
  it('probes the broker version as >= 2.1 (needed for zstd) via ApiVersions', async () => {
    const [probe] = await kp({ op: 'probe_version' });
    const v = ok(probe).apiVersion as number[];
    expect(v[0]! * 100 + v[1]!, `kafka-python inferred ${v.join('.')}`).toBeGreaterThanOrEqual(201);
  });

  const topics = Object.fromEntries(CODEC_NAMES.map((c) => [c, uniqueTopic(`kp-${c}`)])) as Record<CodecName, string>;
  const sent = Object.fromEntries(CODEC_NAMES.map((c) => [c, sample(25, c)])) as Record<CodecName, SentMessage[]>;
  let codecRun: Promise<OpResult[]> | null = null;
  const codecResults = () =>
    (codecRun ??= kp(
      ...CODEC_NAMES.flatMap((c) => [
        { op: 'produce', topic: topics[c], partition: 0, compression: pyCodec(c), messages: sent[c].map(wire) },
        // kafka-python 2.0.2 fetches with Fetch v4 at most, and Kafka answers UNSUPPORTED_COMPRESSION_TYPE
        // to zstd data below Fetch v10, so its consumer cannot read zstd from any broker: check that answer.
        c === 'zstd'
          ? { op: 'raw_fetch', version: 4, topic: topics[c], partition: 0, offset: 0 }
          : { op: 'consume', topic: topics[c], partition: 0, offset: 'beginning', expect: sent[c].length },
      ]),
    ));

  it.each(CODEC_NAMES)('compression_type=%s: produces, consumes (assign + seek_to_beginning, no group) and stores that codec (compression proof)', async (codec) => {
    const results = await codecResults();
    const i = CODEC_NAMES.indexOf(codec);
    const prod = ok(results[2 * i]);
    expect((prod.reports as Array<{ error: string | null; offset: number }>).map((r) => [r.error, r.offset])).toEqual(sent[codec].map((_, j) => [null, j]));
    const cons = ok(results[2 * i + 1]);
    if (codec === 'zstd') {
      expect(cons.errorCode, 'Fetch v4 of zstd batches: UNSUPPORTED_COMPRESSION_TYPE (76), as Kafka does').toBe(76);
    } else {
      expectMessages(cons.messages as Message[], sent[codec], { timestamps: true, headers: true });
      expect((cons.messages as Message[]).every((m) => m.timestampType === 0)).toBe(true);
    }
    await expectStoredAs(broker.dataDir, topics[codec], 0, codec, sent[codec]);
  });

  it('answers beginning_offsets, end_offsets and offsets_for_times', async () => {
    const topic = uniqueTopic('kp-offsets');
    const msgs = sample(6, 'off', false);
    const [prod, offs] = await kp(
      { op: 'produce', topic, partition: 1, messages: msgs.map(wire) },
      { op: 'offsets', topic, partition: 1, timestamps: [T0 - 1, T0 + 7, T0 + 8, T0 + 35, T0 + 36] },
    );
    ok(prod);
    const o = ok(offs);
    expect([o.beginning, o.end]).toEqual([0, 6]);
    expect(o.forTimes).toEqual([
      { offset: 0, timestamp: T0 },
      { offset: 1, timestamp: T0 + 7 },
      { offset: 2, timestamp: T0 + 14 },
      { offset: 5, timestamp: T0 + 35 },
      null,
    ]);
  });

  it('KafkaAdminClient: create_topics (configs, validate_only), describe_configs, create_partitions, delete_topics', async () => {
    const topic = uniqueTopic('kp-admin');
    const dry = uniqueTopic('kp-dry');
    const [dryRun, created, duplicate, described, grown, offsAfterGrow, deleted, offsAfterDelete] = await kp(
      { op: 'create_topics', validateOnly: true, topics: [{ name: dry, partitions: 2 }] },
      { op: 'create_topics', topics: [{ name: topic, partitions: 2, config: { 'retention.bytes': '1048576', 'max.message.bytes': '100000' } }] },
      { op: 'create_topics', topics: [{ name: topic, partitions: 2 }] },
      { op: 'describe_configs', resources: [{ type: 'topic', name: topic }, { type: 'broker', name: '1' }] },
      { op: 'create_partitions', topic, total: 4 },
      { op: 'offsets', topic, partition: 3 },
      { op: 'delete_topics', topics: [topic] },
      { op: 'describe_configs', resources: [{ type: 'topic', name: dry }] },
    );
    const topicErrors = (r: OpResult) => (ok(r).response.topic_errors as Array<{ topic: string; error_code: number }>).map((e) => [e.topic, e.error_code]);
    expect(topicErrors(dryRun!)).toEqual([[dry, 0]]);
    expect(topicErrors(created!)).toEqual([[topic, 0]]);
    expect(ok(duplicate!).exception, JSON.stringify(duplicate)).toBe('TopicAlreadyExistsError'); // code 36

    const resources = (ok(described!).responses as Array<{ resources: any[] }>).flatMap((r) => r.resources);
    const byName = (name: string) => resources.find((r) => r.resource_name === name);
    const topicRes = byName(topic);
    expect(topicRes?.error_code, JSON.stringify(resources).slice(0, 2000)).toBe(0);
    const entry = (res: any, key: string) => (res.config_entries as any[]).find((e) => e.config_names === key);
    expect(entry(topicRes, 'retention.bytes')?.config_value).toBe('1048576');
    expect(entry(topicRes, 'max.message.bytes')?.config_value).toBe('100000');
    expect(entry(topicRes, 'cleanup.policy')?.config_value).toBe('delete');
    const brokerRes = byName('1');
    expect(brokerRes?.error_code).toBe(0);
    expect(entry(brokerRes, 'num.partitions')?.config_value).toBe('2');

    expect(topicErrors(grown!)).toEqual([[topic, 0]]);
    expect([ok(offsAfterGrow).beginning, offsAfterGrow!.end], 'the new partition 3 exists and is empty').toEqual([0, 0]);
    expect((ok(deleted!).response.topic_error_codes as Array<{ topic: string; error_code: number }>).map((e) => [e.topic, e.error_code])).toEqual([[topic, 0]]);
    const dryRes = (ok(offsAfterDelete!).responses as Array<{ resources: any[] }>).flatMap((r) => r.resources)[0];
    expect(dryRes?.error_code, 'validate_only must not have created the topic').toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
  });

  // api_version pins kafka-python's protocol generation: Produce v2/v1/v0 (magic 1/0/0) and
  // Fetch v2/v1/v0, which expect magic 1/0/0 back.
  const OLD = [
    { api: [0, 10], fetchVersion: 2, magic: 1, timestamps: true },
    { api: [0, 9], fetchVersion: 1, magic: 0, timestamps: false },
    { api: [0, 8, 2], fetchVersion: 0, magic: 0, timestamps: false },
  ] as const;
  const OLD_CODECS: CodecName[] = ['none', 'gzip', 'snappy', 'lz4'];

  describe.each(OLD)('api_version=$api', ({ api, fetchVersion, magic, timestamps }) => {
    const oldTopics = Object.fromEntries(OLD_CODECS.map((c) => [c, uniqueTopic(`kp-${api.join('')}-${c}`)])) as Record<CodecName, string>;
    const oldSent = Object.fromEntries(OLD_CODECS.map((c) => [c, sample(12, `old-${c}`, false, timestamps)])) as Record<CodecName, SentMessage[]>;
    let run: Promise<OpResult[]> | null = null;
    const results = () =>
      (run ??= kp(
        ...OLD_CODECS.flatMap((c) => [
          { op: 'produce', apiVersion: api, topic: oldTopics[c], partition: 0, compression: pyCodec(c), messages: oldSent[c].map(wire) },
          { op: 'consume', apiVersion: api, topic: oldTopics[c], partition: 0, offset: 'beginning', expect: oldSent[c].length },
          { op: 'raw_fetch', version: fetchVersion, topic: oldTopics[c], partition: 0, offset: 0 },
        ]),
      ));

    it.each(OLD_CODECS)(`codec %s: up-converted on produce, down-converted to magic ${magic} on Fetch v${fetchVersion}`, async (codec) => {
      const r = await results();
      const i = OLD_CODECS.indexOf(codec);
      const prod = ok(r[3 * i]);
      expect((prod.reports as Array<{ error: string | null; offset: number }>).map((x) => [x.error, x.offset])).toEqual(oldSent[codec].map((_, j) => [null, j]));
      expect(prod.apiVersion).toEqual([...api]);

      // On disk: magic 2, producer's codec kept.
      await expectStoredAs(broker.dataDir, oldTopics[codec], 0, codec, oldSent[codec].map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp })));

      const raw = ok(r[3 * i + 2]);
      expect(raw.errorCode).toBe(0);
      expect(raw.highWatermark).toBe(oldSent[codec].length);
      expect(raw.magics.length, 'Fetch returned no complete message').toBeGreaterThan(0);
      expect(new Set(raw.magics), `Fetch v${fetchVersion} must return magic ${magic} message sets, got ${raw.magics}`).toEqual(new Set([magic]));
      expect((raw.records as Message[]).map((m) => [m.offset, m.key, m.value])).toEqual(oldSent[codec].map((m, j) => [j, hex(m.key), hex(m.value)]));

      const cons = ok(r[3 * i + 1]);
      expectMessages(cons.messages as Message[], oldSent[codec], { timestamps, headers: false });
    });
  });
});

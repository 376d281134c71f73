// kcat (librdkafka 2.0.2, Debian) against a spawned broker: metadata, produce with every codec
// plus keys/headers/-X options, consume by partition from beginning/end/timestamp, and restarts.
// One broker for the whole file; the restart test runs last. (librdkafka 2.0 always sends
// ApiVersions, so `api.version.request=false` cannot force old Produce/Fetch versions: the
// old-protocol lanes are kafka-python's api_version and sarama's default version.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { CODEC_NAMES } from './support/segment-batches.js';
import { expectStoredAs, type ExpectedRecord } from './support/proof.js';
import { compressibleValue, explain, requireCommand, run, uniqueTopic, type RunOptions } from './support/tools.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  requireCommand('kcat', ['-V'], 'kcat');
  broker = await spawnBroker({ overrides: { 'num.partitions': '3' } });
});

afterAll(async () => {
  await broker?.cleanup();
});

function kcat(args: string[], opts: RunOptions = {}) {
  return run('kcat', ['-b', broker.bootstrap, ...args], { timeoutMs: 20_000, ...opts });
}

interface KcatMessage {
  key: string;
  value: string;
  headers: string;
  offset: number;
  timestamp: number;
  partition: number;
}

// '|' never occurs in the test data, so it is a safe field separator.
const FORMAT = '%k|%s|%h|%o|%T|%p\\n';

function parseLines(stdout: string): KcatMessage[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [key, value, headers, offset, timestamp, partition] = l.split('|');
      return { key: key!, value: value!, headers: headers!, offset: Number(offset), timestamp: Number(timestamp), partition: Number(partition) };
    });
}

async function produce(topic: string, partition: number, lines: string[], extra: string[] = []): Promise<void> {
  const r = await kcat(['-P', '-t', topic, '-p', String(partition), '-K:', ...extra], { input: lines.join('\n') + '\n' });
  expect(r.code, explain('kcat -P', r)).toBe(0);
  // kcat exits 0 even when some deliveries failed; it reports them on stderr.
  expect(r.stderr, explain('kcat -P', r)).not.toMatch(/Delivery failed|ERROR|%3\|/);
}

async function consume(topic: string, partition: number, offset: string, extra: string[] = []): Promise<KcatMessage[]> {
  const r = await kcat(['-C', '-t', topic, '-p', String(partition), '-o', offset, '-e', '-Z', '-f', FORMAT, ...extra]);
  expect(r.code, explain(`kcat -C -o ${offset}`, r)).toBe(0);
  return parseLines(r.stdout);
}

const lines = (n: number, tag: string, from = 0) =>
  Array.from({ length: n }, (_, i) => `key-${from + i}:${compressibleValue(from + i, tag)}`);

describe('kcat', () => {
  it('lists metadata as JSON (-L -J) with the bound address and auto-created partitions', async () => {
    const topic = uniqueTopic('kcat-meta');
    await produce(topic, 2, ['k:v']);
    const r = await kcat(['-L', '-J']);
    expect(r.code, explain('kcat -L -J', r)).toBe(0);
    const md = JSON.parse(r.stdout) as {
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
    };
    expect(md.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    const t = md.topics.find((x) => x.topic === topic);
    expect(t, r.stdout).toBeDefined();
    expect(t!.error).toBeUndefined();
    expect(t!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    for (const p of t!.partitions) {
      expect(p.leader).toBe(1);
      expect(p.replicas).toEqual([{ id: 1 }]);
      expect(p.isrs).toEqual([{ id: 1 }]);
    }

    const one = await kcat(['-L', '-J', '-t', topic]);
    expect(one.code, explain('kcat -L -J -t', one)).toBe(0);
    expect((JSON.parse(one.stdout) as typeof md).topics.map((x) => x.topic)).toEqual([topic]);
  });

  describe.each(CODEC_NAMES)('codec %s', (codec) => {
    it(`produces with -z ${codec}, keys, headers and -X options, reads it back, and stores ${codec} batches (compression proof)`, async () => {
      const topic = uniqueTopic(`kcat-${codec}`);
      const input = lines(25, codec);
      await produce(topic, 1, input, ['-z', codec, '-H', 'h1=one', '-H', `codec=${codec}`, '-X', 'linger.ms=50', '-X', 'batch.num.messages=1000', '-X', 'acks=all']);

      const got = await consume(topic, 1, 'beginning');
      expect(got.map((m) => `${m.key}:${m.value}`)).toEqual(input);
      expect(got.map((m) => m.offset)).toEqual(input.map((_, i) => i));
      expect(new Set(got.map((m) => m.headers))).toEqual(new Set([`h1=one,codec=${codec}`]));
      expect(got.every((m) => m.partition === 1 && m.timestamp > 1_600_000_000_000)).toBe(true);

      const expected: ExpectedRecord[] = input.map((l, i) => {
        const [k, v] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)];
        return {
          key: Buffer.from(k),
          value: Buffer.from(v),
          headers: [['h1', Buffer.from('one')], ['codec', Buffer.from(codec)]],
          timestamp: got[i]!.timestamp,
        };
      });
      await expectStoredAs(broker.dataDir, topic, 1, codec, expected);
    });
  });

  it('round-trips null keys and null values (-Z)', async () => {
    const topic = uniqueTopic('kcat-null');
    await produce(topic, 0, [':value-without-key', 'key-without-value:', 'k:v'], ['-Z']);
    const got = await consume(topic, 0, 'beginning');
    expect(got.map((m) => [m.key, m.value])).toEqual([
      ['NULL', 'value-without-key'],
      ['key-without-value', 'NULL'],
      ['k', 'v'],
    ]);
    await expectStoredAs(broker.dataDir, topic, 0, 'none', [
      { key: null, value: Buffer.from('value-without-key') },
      { key: Buffer.from('key-without-value'), value: null },
      { key: Buffer.from('k'), value: Buffer.from('v') },
    ]);
  });

  it('consumes from the end: nothing old, then exactly what is produced afterwards (long poll)', async () => {
    const topic = uniqueTopic('kcat-end');
    await produce(topic, 0, lines(5, 'old'));
    expect(await consume(topic, 0, 'end')).toEqual([]);
    expect((await consume(topic, 0, '-2')).map((m) => m.offset)).toEqual([3, 4]);

    let reachedEnd!: () => void;
    const atEnd = new Promise<void>((r) => (reachedEnd = r));
    const tail = kcat(['-C', '-t', topic, '-p', '0', '-o', 'end', '-c', '2', '-Z', '-f', FORMAT], {
      onStderr: (s) => s.includes('Reached end of topic') && reachedEnd(),
    });
    await Promise.race([atEnd, tail.then((r) => Promise.reject(new Error(explain('kcat -C -o end', r))))]);
    await produce(topic, 0, lines(2, 'new', 5));
    const r = await tail;
    expect(r.code, explain('kcat -C -o end -c 2', r)).toBe(0);
    expect(parseLines(r.stdout).map((m) => [m.offset, m.key])).toEqual([
      [5, 'key-5'],
      [6, 'key-6'],
    ]);
  });

  it('consumes from a timestamp (-o s@ts)', async () => {
    const topic = uniqueTopic('kcat-ts');
    await produce(topic, 2, lines(3, 'early'));
    await new Promise((r) => setTimeout(r, 50));
    await produce(topic, 2, lines(3, 'late', 3));
    const all = await consume(topic, 2, 'beginning');
    expect(all.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    const lateTs = all[3]!.timestamp;
    expect(lateTs, 'the second kcat run must stamp later CreateTimes').toBeGreaterThan(all[2]!.timestamp);

    expect((await consume(topic, 2, `s@${lateTs}`)).map((m) => m.offset)).toEqual([3, 4, 5]);
    expect((await consume(topic, 2, `s@${all[0]!.timestamp}`)).map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await consume(topic, 2, `s@${lateTs + 3_600_000}`)).toEqual([]);
  });

  it('reads everything back after a clean restart (SIGTERM) and after a crash (SIGKILL)', async () => {
    const topic = uniqueTopic('kcat-restart');
    const first = lines(10, 'before-term');
    await produce(topic, 1, first, ['-z', 'lz4', '-H', 'phase=1']);
    const before = await consume(topic, 1, 'beginning');
    expect(before).toHaveLength(10);

    broker = await broker.restart({ signal: 'SIGTERM' });
    expect(await consume(topic, 1, 'beginning')).toEqual(before);

    const second = lines(10, 'before-kill', 10);
    await produce(topic, 1, second, ['-z', 'snappy', '-H', 'phase=2', '-X', 'acks=all']);
    const acked = await consume(topic, 1, 'beginning');
    expect(acked.map((m) => `${m.key}:${m.value}`)).toEqual([...first, ...second]);

    broker = await broker.restart({ signal: 'SIGKILL' });
    expect(await consume(topic, 1, 'beginning')).toEqual(acked);
    // And the log keeps going at the right offset.
    await produce(topic, 1, lines(1, 'after', 20));
    expect((await consume(topic, 1, '-1')).map((m) => [m.offset, m.key])).toEqual([[20, 'key-20']]);
  });
});

// sarama 1.22 (Debian golang-github-shopify-sarama-dev, Go 1.19) smoke test: produce with its
// default protocol version (0.8.2: Produce v0, magic 0) and newer pinned versions, with each codec
// that version allows, then consume the partition from the oldest offset. sarama cannot read
// magic 2 below 0.11, so this also checks down-conversion end to end. Go side:
// test/compat/go/sarama-smoke/main.go, built offline in GOPATH mode.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { expectStoredAs } from './support/proof.js';
import type { CodecName } from './support/segment-batches.js';
import { compressibleValue, explain, hex, requireCommand, run, uniqueTopic } from './support/tools.js';

const APT = 'golang-go golang-github-shopify-sarama-dev';
const GO_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'go');
const SRC = path.join(GO_DIR, 'sarama-smoke');
const TS_SRC = path.join(GO_DIR, 'sarama-timestamps');

let broker: SpawnedBroker;
let binDir = '';
let bin = '';
let tsBin = '';

function goBuild(src: string, out: string): void {
  const b = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: src,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '' },
  });
  if (b.status !== 0) throw new Error(`go build of ${path.basename(src)} failed:\n${b.stderr}`);
}

beforeAll(async () => {
  requireCommand('go', ['version'], APT);
  if (!fs.existsSync('/usr/share/gocode/src/github.com/Shopify/sarama')) {
    throw new Error(`sarama sources missing: run \`apt-get install -y --no-install-recommends ${APT}\``);
  }
  binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sarama-smoke-'));
  bin = path.join(binDir, 'sarama-smoke');
  tsBin = path.join(binDir, 'sarama-timestamps');
  goBuild(SRC, bin);
  goBuild(TS_SRC, tsBin); // shares sarama's compiled packages with the first build (Go build cache)
  broker = await spawnBroker({ overrides: { 'num.partitions': '2' } });
}, 500_000);

afterAll(async () => {
  await broker?.cleanup();
  if (binDir) fs.rmSync(binDir, { recursive: true, force: true });
});

interface SaramaResult {
  version: string;
  offsets: number[] | null;
  consumed: Array<{ offset: number; key: string | null; value: string | null; timestamp: number }> | null;
  error?: string;
}

// sarama refuses lz4 below 0.10 and only speaks Produce v3 at most, so zstd is out of reach.
const CASES: Array<{ version: string; codecs: CodecName[] }> = [
  { version: 'default', codecs: ['none', 'gzip', 'snappy'] },
  { version: '0.10.0.0', codecs: ['gzip', 'lz4'] },
  { version: '0.11.0.0', codecs: ['none', 'gzip', 'snappy', 'lz4'] },
  { version: '2.0.0', codecs: ['gzip'] },
];

describe('sarama', () => {
  describe.each(CASES)('Version=$version', ({ version, codecs }) => {
    it.each(codecs)('codec %s: produces to a partition, consumes it back, stores that codec', async (codec) => {
      const topic = uniqueTopic(`sarama-${version.replace(/\./g, '')}-${codec}`);
      const messages = Array.from({ length: 10 }, (_, i) => ({
        key: i === 3 ? null : Buffer.from(`key-${i}`),
        value: Buffer.from(compressibleValue(i, `sarama-${codec}`)),
      }));
      const params = { bootstrap: broker.bootstrap, topic, partition: 1, version, codec, messages: messages.map((m) => ({ key: hex(m.key), value: hex(m.value) })) };
      const r = await run(bin, [JSON.stringify(params)], { timeoutMs: 30_000 });
      expect(r.code, explain('sarama-smoke', r)).toBe(0);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as SaramaResult;
      expect(res.error, `sarama ${res.version} ${codec}: ${res.error}`).toBeUndefined();
      expect(res.offsets).toEqual(messages.map((_, i) => i));
      expect(res.consumed!.map((m) => [m.offset, m.key, m.value])).toEqual(messages.map((m, i) => [i, hex(m.key), hex(m.value)]));
      await expectStoredAs(broker.dataDir, topic, 1, codec, messages);
    });
  });
});

// sarama writes batch headers with maxTimestamp -1 (it never sets RecordBatch.MaxTimestamp); the
// broker must find the real maximum, or the time index is wrong and ListOffsets answers -1.
describe('sarama timestamps (Version=2.2.0, header maxTimestamp -1)', () => {
  it.each(['none', 'gzip'] as const)('codec %s: ListOffsets by timestamp answers as Kafka does', async (codec) => {
    const topic = uniqueTopic(`sarama-ts-${codec}`);
    const t0 = 1_700_000_000_000;
    const params = { bootstrap: broker.bootstrap, topic, version: '2.2.0', codec, count: 100, t0, lookups: [t0 - 5000, t0 + 50_500, t0 + 99_000, t0 + 100_000] };
    const r = await run(tsBin, [JSON.stringify(params)], { timeoutMs: 30_000 });
    expect(r.code, explain('sarama-timestamps', r)).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { offsets: number[] | null; found: number[] | null; error?: string };
    expect(res.error).toBeUndefined();
    expect(res.offsets).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Kafka: the first offset whose timestamp is >= the target; -1 past the last record.
    expect(res.found).toEqual([0, 51, 99, -1]);
  });
});

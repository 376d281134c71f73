// sarama 1.22 (Debian golang-github-shopify-sarama-dev, Go 1.19) smoke test: produce with its
// default protocol version (0.8.2: Produce v0, magic 0) and newer pinned versions, with each codec
// that version allows, then consume the partition from the oldest offset. sarama cannot read
// magic 2 below 0.11, so this also checks down-conversion end to end. Go side:
// test/compat/go/sarama-smoke/main.go, built offline in GOPATH mode.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { expectStoredAs } from './support/proof.js';
import type { CodecName } from './support/segment-batches.js';
import { compressibleValue, explain, hex, run, uniqueTopic } from './support/tools.js';
import { buildSaramaSmoke } from './support/sarama.js';

let broker: SpawnedBroker;
let binDir = '';
let bin = '';

beforeAll(async () => {
  ({ bin, dir: binDir } = buildSaramaSmoke());
  broker = await spawnBroker({ overrides: { 'num.partitions': '2' } });
}, 150_000);

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

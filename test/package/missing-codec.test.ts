// The native codecs are optional dependencies loaded on first use: a broker whose zstd-napi and
// lz4-napi failed to install still starts and serves everything else, and a client that sends
// zstd or lz4 gets UNSUPPORTED_COMPRESSION_TYPE with a message naming the codec.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { Compression } from '../../protocol/records/batch-header.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { REPO_ROOT, spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

let broker: SpawnedBroker;
let client: RawClient;

beforeAll(async () => {
  broker = await spawnBroker({ nodeArgs: ['--require', path.join(REPO_ROOT, 'test/package/fixtures/hide-native-codecs.cjs')] });
  client = await RawClient.connect(broker.port);
  const r = await client.send(19, 7, {
    topics: [{ name: 'codecs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
});
afterAll(async () => {
  client?.close();
  await broker?.cleanup();
});

async function produce(compression: Compression): Promise<{ errorCode: number; errorMessage: string | null }> {
  const records = buildRecordBatch({ compression, records: [{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(100)) }] });
  const r = await client.send(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'codecs', partitionData: [{ index: 0, records }] }] });
  return r.responses[0].partitionResponses[0];
}

it('starts without zstd-napi and lz4-napi and accepts the codecs it has', async () => {
  expect((await produce(Compression.None)).errorCode).toBe(ErrorCode.NONE);
  expect((await produce(Compression.Gzip)).errorCode).toBe(ErrorCode.NONE);
  expect((await produce(Compression.Snappy)).errorCode).toBe(ErrorCode.NONE);
});

it('answers zstd and lz4 batches with UNSUPPORTED_COMPRESSION_TYPE naming the codec', async () => {
  const zstd = await produce(Compression.Zstd);
  expect(zstd.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  expect(zstd.errorMessage).toMatch(/^zstd compression is not available on this broker: its optional dependency zstd-napi failed to load/);
  const lz4 = await produce(Compression.Lz4);
  expect(lz4.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  expect(lz4.errorMessage).toMatch(/^lz4 compression is not available.*lz4-napi/);
  // The connection and the broker keep serving.
  expect((await produce(Compression.None)).errorCode).toBe(ErrorCode.NONE);
  // The broker log says so once per codec. Log lines reach us through a pipe, possibly after the
  // responses: wait (bounded) for the second warning before comparing.
  const warningCodecs = () =>
    broker.logs().split('\n').filter((l) => l.includes('compression is unavailable')).map((l) => JSON.parse(l).codec as string);
  await waitFor(() => warningCodecs().length >= 2, 'both codec warnings in the broker log', 5000);
  expect(warningCodecs()).toEqual(['zstd', 'lz4']);
});

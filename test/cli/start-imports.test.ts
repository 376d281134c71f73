// `tributary start` loads only what a broker needs (issue 14, restart ≤ 2 s): the client library
// behind `tributary configs` (@platformatic/kafka, ~0.6 s of CPU with ajv and mnemonist) and the
// etcd client (etcd3 + gRPC, ~0.3 s) are imported when a command or an etcd metadata store needs
// them, not by every broker start.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT, spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';

let broker: SpawnedBroker | null = null;
let logDir: string | null = null;
afterAll(async () => {
  await broker?.cleanup();
  if (logDir) await fs.rm(logDir, { recursive: true, force: true });
});

it('a broker start imports neither the Kafka client library nor the etcd client', async () => {
  logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-imports-'));
  const log = path.join(logDir, 'imports.txt');
  process.env.TRIBUTARY_IMPORT_LOG = log;
  try {
    broker = await spawnBroker({ nodeArgs: ['--import', path.join(REPO_ROOT, 'test/package/fixtures/record-imports.mjs')] });
  } finally {
    delete process.env.TRIBUTARY_IMPORT_LOG;
  }
  await broker.stop('SIGTERM');
  const imported = new Set((await fs.readFile(log, 'utf8')).split('\n').filter(Boolean));
  expect(imported.has('pino')).toBe(true); // the recorder works: the broker's logger was resolved
  expect(imported.has('@platformatic/kafka')).toBe(false);
  expect(imported.has('etcd3')).toBe(false);
});

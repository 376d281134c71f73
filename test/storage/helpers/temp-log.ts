import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logConfig, type LogConfig } from '../../../storage/log/log-config.js';
import { PartitionLog, type PartitionLogOptions } from '../../../storage/log/partition-log.js';
import { buildTestBatch, produceRequest, type TestBatchOptions } from './batches.js';

export async function tempDir(prefix = 'tributary-storage-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Returns a maker of fresh temp dirs, every one removed after the test that made it (registers an afterEach). */
export function tempDirsPerTest(prefix: string): () => Promise<string> {
  let dirs: { cleanup: () => Promise<void> }[] = [];
  afterEach(async () => {
    const made = dirs;
    dirs = [];
    for (const d of made) await d.cleanup();
  });
  return async () => {
    const d = await tempDir(prefix);
    dirs.push(d);
    return d.path;
  };
}

/** Small segments and index interval so that tests exercise rolls and index lookups. */
export const SMALL: Partial<LogConfig> = { segmentBytes: 4096, indexIntervalBytes: 256, fileDeleteDelayMs: 0, retentionMs: -1 };

export function openLog(
  dir: string,
  cfg: Partial<LogConfig> = SMALL,
  opts: Partial<PartitionLogOptions> = {},
): Promise<PartitionLog> {
  return PartitionLog.open(dir, 't', 0, logConfig(cfg), { hadCleanShutdown: true, ...opts });
}

/** Appends one batch and waits for it to be written; returns the append result. */
export async function appendOne(log: PartitionLog, opts: TestBatchOptions = {}, epoch = 0, now?: number) {
  const { records, batches } = produceRequest(buildTestBatch(opts));
  const r = log.append(records, batches, epoch, now);
  await r.written;
  return r;
}

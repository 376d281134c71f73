// Cluster mode keeps each replicated log's high watermark across a restart (Kafka's
// replication-offset-checkpoint): a restarted broker must not start with HW = log start (0),
// which would hide acknowledged records from consumers until replication catches up again, nor
// with HW = log end, which would expose records no ISR acknowledged.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../storage/log/log-config.js';
import { LogManager } from '../../storage/log/log-manager.js';
import { appendOne, SMALL, tempDir } from '../storage/helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

const cfg = logConfig(SMALL);
// As broker.ts in cluster mode: replicated topics leave the HW to replication.
const manager = () => new LogManager({ logDirs: [join(tmp.path, 'd')], defaultConfig: cfg, retentionCheckIntervalMs: 60_000, autoAdvanceHighWatermark: (t) => t.startsWith('__') });

describe('replicated high watermark checkpoint', () => {
  it('a clean restart keeps each replicated log at its high watermark, not its start or end', async () => {
    const m = manager();
    await m.startup();
    const a = await m.createLog('orders', 0, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
    const b = await m.createLog('orders', 1, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
    for (let i = 0; i < 10; i++) await appendOne(a, { valueSize: 50 });
    for (let i = 0; i < 4; i++) await appendOne(b, { valueSize: 50 });
    a.setHighWatermark(7);
    b.setHighWatermark(4);
    await m.shutdown();

    const again = manager();
    await again.startup();
    expect(again.getLog('orders', 0)!.logEndOffset).toBe(10);
    expect(again.getLog('orders', 0)!.highWatermark).toBe(7);
    expect(again.getLog('orders', 1)!.highWatermark).toBe(4);
    await again.shutdown();
  });

  it('after a crash the last periodic checkpoint applies (clamped to what the log recovered)', async () => {
    const m = manager();
    await m.startup();
    const a = await m.createLog('orders', 0, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
    for (let i = 0; i < 6; i++) await appendOne(a, { valueSize: 50 });
    a.setHighWatermark(5);
    await m.checkpoint();
    a.setHighWatermark(6); // not checkpointed: lost with the crash
    // No shutdown: the process dies; a new manager opens the same dir.
    const again = manager();
    await again.startup();
    expect(again.getLog('orders', 0)!.highWatermark).toBe(5);
    await again.shutdown();
    await m.shutdown().catch(() => undefined);
  });
});

// The write queue's synchronous path (storage/log/write-queue.ts, issue 14 latency): a small
// append to a segment whose file is open is written, the high watermark advanced and `written`
// resolved within the queue's one microtask, without the awaits (a promise and a microtask hop
// each) the async path takes. Counted in microtask turns, which are deterministic.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTestBatch, parseBatches, produceRequest } from '../helpers/batches.js';
import { appendOne, openLog, SMALL, tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

/** Microtask turns until `p` settles (each `await` of a resolved promise is one turn). */
async function turnsUntil(p: Promise<unknown>): Promise<number> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  let turns = 0;
  while (!settled && turns < 100) {
    await undefined;
    turns++;
  }
  return turns;
}

describe('write queue: small appends to an open segment', () => {
  it('are written and acknowledged within the queue microtask, in order, with the high watermark advanced', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20 });
    await appendOne(log, { count: 1, valueSize: 10 }); // opens the segment file
    const turns: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { records, batches } = produceRequest(buildTestBatch({ count: 1 + (i % 3), valueSize: 100, fill: i }));
      const r = log.append(records, batches, 0);
      const hwBefore = log.highWatermark;
      turns.push(await turnsUntil(r.written));
      expect(hwBefore).toBeLessThanOrEqual(r.baseOffset);
      expect(log.highWatermark).toBe(r.lastOffset + 1);
    }
    // Before: the queue microtask, then `await seg.handle()`, `await writevFully(...)` and
    // `await groupDone(...)` (5 turns here); now the queue microtask and the reaction (2).
    expect(Math.max(...turns)).toBeLessThanOrEqual(2);
    const bytes = await readFile(join(tmp.path, '00000000000000000000.log'));
    const offsets = parseBatches(bytes).map((b) => b.baseOffset);
    expect(offsets.length).toBe(21);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]!);
    await log.close();
  });

  it('still waits for the fsync when flush.messages asks for one', async () => {
    const log = await openLog(tmp.path, { ...SMALL, segmentBytes: 1 << 20, flushMessages: 1 });
    await appendOne(log, { count: 1, valueSize: 10 });
    const { records, batches } = produceRequest(buildTestBatch({ count: 1, valueSize: 100 }));
    const r = log.append(records, batches, 0);
    await r.written;
    expect(log.highWatermark).toBe(r.lastOffset + 1);
    await log.close();
  });
});

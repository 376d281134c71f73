// Kill -9 a process that is appending, then recover: every append whose `written` promise had
// resolved (the child printed its ack) must be readable, byte for byte.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { logConfig } from '../../../storage/log/log-config.js';
import { PartitionLog } from '../../../storage/log/partition-log.js';
import { buildTestBatch, parseBatches, produceRequest } from '../helpers/batches.js';
import { tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

const script = fileURLToPath(new URL('../helpers/crash-writer.ts', import.meta.url));

it('keeps every acknowledged append across SIGKILL', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', script, tmp.path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const acks: { i: number; base: number; last: number }[] = [];
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        const [, i, base, last] = l.split(' ');
        acks.push({ i: Number(i), base: Number(base), last: Number(last) });
      }
      if (acks.length >= 1500 && !child.killed) child.kill('SIGKILL');
    });
  });
  expect(acks.length).toBeGreaterThanOrEqual(1500);

  const log = await PartitionLog.open(tmp.path, 'crash', 0, logConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 1024 }), {
    hadCleanShutdown: false,
  });
  const maxAcked = Math.max(...acks.map((a) => a.last));
  expect(log.logEndOffset).toBeGreaterThan(maxAcked);
  expect(log.segmentInfos().length).toBeGreaterThan(2);
  for (const a of acks) {
    const got = parseBatches((await log.read(a.base, 1, log.highWatermark, true)).records);
    expect(got[0]!.baseOffset).toBe(a.base);
    expect(got[0]!.baseOffset + got[0]!.lastOffsetDelta).toBe(a.last);
    expect(got[0]!.baseTimestamp).toBe(a.i);
  }
  // Appends continue right after the recovered end.
  const leo = log.logEndOffset;
  const { records, batches } = produceRequest(buildTestBatch());
  const r = log.append(records, batches, 2);
  await r.written;
  expect(r.baseOffset).toBe(leo);
  await log.close();
}, 60_000);

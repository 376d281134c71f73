// A full disk under the LogManager (issue 10, defect 6) on a real 1 MiB tmpfs: the write that hits
// ENOSPC fails, the log is cut back to its last successful write, reads go on, appends are refused
// at once, and when space returns an idempotent producer's retry of the refused batch is appended
// (not mistaken for a duplicate of a batch that never reached the file). Needs root for the mount
// (CI runs as root) and fails loudly without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logConfig } from '../../../storage/log/log-config.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import { appendClientRecords } from '../../../storage/log/producer-state/append-with-state.js';
import { producerBatch } from '../producer-state/helpers.js';

let mount = '';
let mounted = false;

beforeAll(async () => {
  mount = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-enospc-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    throw new Error(`this test needs a small real filesystem: 'mount -t tmpfs' failed (run as root): ${(e as Error).message}`);
  }
});

afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mount]);
  await fs.rm(mount, { recursive: true, force: true });
});

const VALUE = 'v'.repeat(8 * 1024);
const batch = (seq: number) => producerBatch({ pid: 7, seq, records: [{ key: `k${seq}`, value: `${seq}:${VALUE}` }] });

describe('LogManager on a full disk', () => {
  it('cuts back to the last good write, keeps reads, refuses appends, and takes the retried batch once space is back', async () => {
    const filler = path.join(mount, 'filler');
    await fs.writeFile(filler, Buffer.alloc(200 * 1024));
    const mgr = new LogManager({
      logDirs: [path.join(mount, 'data')],
      defaultConfig: logConfig({ segmentBytes: 128 * 1024, indexIntervalBytes: 4096 }),
      retentionCheckIntervalMs: 60_000,
      diskFullProbeIntervalMs: 60_000, // probed by hand below
      minFreeBytes: 64 * 1024,
    });
    await mgr.startup();
    const log = await mgr.createLog('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA', logConfig({ segmentBytes: 128 * 1024, indexIntervalBytes: 4096 }));

    let seq = 0;
    let failedSeq = -1;
    while (failedSeq < 0 && seq < 500) {
      const { records, batches } = batch(seq);
      const r = appendClientRecords(log, records, batches, 0);
      const ok = r.errorCode === 0 && !r.result!.error && (await r.result!.written.then(() => true, () => false));
      if (ok) seq++;
      else failedSeq = seq;
    }
    expect(failedSeq, 'the disk never filled').toBeGreaterThan(10);
    expect(mgr.fullLogDirs()).toEqual([path.join(mount, 'data')]);
    expect(log.writesBlocked).toBe(true);

    // Refused at once while full, the retry of the failed batch included.
    const again = appendClientRecords(log, batch(failedSeq).records, batch(failedSeq).batches, 0);
    // (a duplicate of the in-flight failed batch shares its rejected write; else a plain refusal)
    expect(again.errorCode).toBe(0);
    const refused = again.result!.error === 'KAFKA_STORAGE_ERROR' || (await again.result!.written.then(() => false, () => true));
    expect(refused).toBe(true);

    // Once the cut-back is done the log ends right after the last acknowledged batch.
    await log.whenCutBack();
    expect(log.logEndOffset).toBe(failedSeq);
    expect(log.highWatermark).toBe(failedSeq);
    const segs = log.segmentInfos();
    const onDisk = await Promise.all(segs.map((s) => fs.stat(s.path).then((st) => st.size)));
    expect(onDisk).toEqual(segs.map((s) => s.size)); // no torn tail in any file

    // Every acknowledged batch reads back.
    let off = 0;
    while (off < failedSeq) {
      const r = await log.read(off, 1, log.highWatermark, true); // one batch
      expect(r.error).toBeUndefined();
      expect(r.records.length).toBeGreaterThan(0);
      off = Number(r.records.readBigInt64BE(0)) + 1;
      expect(r.records.toString('latin1')).toContain(`${off - 1}:vvv`);
    }

    // Still full: the probe keeps it read-only. Space back: writes resume.
    await mgr.probeFullDirs();
    expect(log.writesBlocked).toBe(true);
    await fs.rm(filler);
    await mgr.probeFullDirs();
    expect(mgr.fullLogDirs()).toEqual([]);
    expect(log.writesBlocked).toBe(false);

    // The idempotent retry is a new append at the log end, not a "duplicate" of the refused one.
    const retry = appendClientRecords(log, batch(failedSeq).records, batch(failedSeq).batches, 0);
    expect(retry.errorCode).toBe(0);
    expect(retry.duplicate).toBe(false);
    expect(retry.result!.baseOffset).toBe(failedSeq);
    await retry.result!.written;
    const back = await log.read(failedSeq, 1 << 20, log.highWatermark, true);
    expect(back.records.toString('latin1')).toContain(`${failedSeq}:vvv`);
    await mgr.shutdown();
  }, 30_000);
});

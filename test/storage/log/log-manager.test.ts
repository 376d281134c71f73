import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../../storage/log/log-config.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import { appendOne, SMALL, tempDir } from '../helpers/temp-log.js';
import { parseBatches } from '../helpers/batches.js';

let tmp: { path: string; cleanup: () => Promise<void> };
let dirs: string[];
beforeEach(async () => {
  tmp = await tempDir();
  dirs = [join(tmp.path, 'a'), join(tmp.path, 'b')];
});
afterEach(async () => {
  await tmp.cleanup();
});

const cfg = logConfig(SMALL);
const manager = () => new LogManager({ logDirs: dirs, defaultConfig: cfg, retentionCheckIntervalMs: 60_000 });

describe('LogManager', () => {
  it('spreads logs over dirs, shuts down cleanly and reloads them all', async () => {
    const m = manager();
    await m.startup();
    for (let p = 0; p < 4; p++) {
      const log = await m.createLog('orders', p, 'AAAAAAAAAAAAAAAAAAAAAA', cfg);
      for (let i = 0; i <= p * 10; i++) await appendOne(log, { valueSize: 80 });
    }
    const other = await m.createLog('my.topic-x', 1, 'BBBBBBBBBBBBBBBBBBBBBB', cfg);
    await appendOne(other, { count: 3 });
    const perDir = m.describeLogDirs().map((d) => d.logs.length).sort();
    expect(perDir).toEqual([2, 3]);
    expect(await m.createLog('orders', 0, 'AAAAAAAAAAAAAAAAAAAAAA', cfg)).toBe(m.getLog('orders', 0));
    const leos = new Map(m.allLogs().map((l) => [`${l.topic}/${l.partition}`, l.logEndOffset]));
    const orders0Dir = m.getLog('orders', 0)!.dir;
    await m.shutdown();

    const checkpointed = new Map<string, number>();
    for (const d of dirs) {
      expect(await readdir(d)).toContain('.kafka_cleanshutdown');
      const text = await readFile(join(d, 'recovery-point-offset-checkpoint'), 'utf8');
      expect(text).toMatch(/^0\n\d+\n(\S+ \d+ \d+\n)+$/);
      const lines = text.split('\n').filter(Boolean);
      expect(Number(lines[1])).toBe(lines.length - 2);
      for (const l of lines.slice(2)) {
        const [t, p, o] = l.split(' ');
        checkpointed.set(`${t}/${p}`, Number(o));
      }
    }
    // Clean shutdown fsynced everything: recovery point == log end for every log.
    expect(checkpointed).toEqual(leos);
    expect(await readFile(join(orders0Dir, 'partition.metadata'), 'utf8')).toBe('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA');

    const m2 = manager();
    await m2.startup();
    expect(new Map(m2.allLogs().map((l) => [`${l.topic}/${l.partition}`, l.logEndOffset]))).toEqual(leos);
    expect(m2.getLog('my.topic-x', 1)!.topicId).toBe('BBBBBBBBBBBBBBBBBBBBBB');
    for (const d of dirs) expect(await readdir(d)).not.toContain('.kafka_cleanshutdown');
    const r = await appendOne(m2.getLog('orders', 3)!);
    expect(r.baseOffset).toBe(leos.get('orders/3'));
    await m2.shutdown();
  });

  it('recovers logs after an unclean stop', async () => {
    const m = manager();
    await m.startup();
    const log = await m.createLog('t', 0, 'CCCCCCCCCCCCCCCCCCCCCC', cfg);
    for (let i = 0; i < 30; i++) await appendOne(log, { valueSize: 80 });
    await m.checkpoint();
    const leo = log.logEndOffset;
    // "kill -9": no shutdown; a torn tail in the active segment.
    await appendFile(log.segmentInfos().at(-1)!.path, Buffer.alloc(100, 7));
    const m2 = manager();
    await m2.startup();
    const again = m2.getLog('t', 0)!;
    expect(again.logEndOffset).toBe(leo);
    const all = parseBatches((await again.read(leo - 1, 1 << 20, leo, true)).records);
    expect(all[0]!.baseOffset).toBe(leo - 1);
    await m2.shutdown();
  });

  it('deletes logs (dir renamed at once, removed in the background) and leftover *-delete dirs', async () => {
    const m = manager();
    await m.startup();
    const log = await m.createLog('gone', 0, 'DDDDDDDDDDDDDDDDDDDDDD', cfg);
    await appendOne(log);
    const parent = join(log.dir, '..');
    await m.deleteLog('gone', 0);
    expect(m.getLog('gone', 0)).toBeUndefined();
    expect(await readdir(parent)).not.toContain('gone-0');
    await log.removal;
    expect((await readdir(parent)).filter((n) => n.startsWith('gone-0'))).toEqual([]);
    await m.shutdown();

    const leftover = join(dirs[0]!, 'old-3.0123456789abcdef0123456789abcdef-delete');
    await mkdir(leftover);
    await writeFile(join(leftover, '00000000000000000000.log'), 'x');
    const m2 = manager();
    await m2.startup();
    expect(m2.getLog('old', 3)).toBeUndefined();
    await m2.shutdown(); // waits for background removals
    expect(await readdir(dirs[0]!)).not.toContain('old-3.0123456789abcdef0123456789abcdef-delete');
  });

  it('runs retention across logs', async () => {
    const m = new LogManager({ logDirs: dirs, defaultConfig: logConfig({ ...SMALL, retentionMs: 1000 }), retentionCheckIntervalMs: 60_000 });
    await m.startup();
    const log = await m.createLog('r', 0, 'EEEEEEEEEEEEEEEEEEEEEE', logConfig({ ...SMALL, retentionMs: 1000 }));
    for (let i = 0; i < 60; i++) await appendOne(log, { valueSize: 100, timestamp: 1000 + i });
    expect(await m.runRetention(1_000_000)).toBeGreaterThan(1);
    expect(log.logStartOffset).toBe(60);
    await m.shutdown();
  });
});

// `tributary log check`: usage errors, a clean report, refusing --repair on a dir without the
// clean-shutdown marker (a broker may be using it) unless --force, and the JSON report.
import { open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../../src/cli/main.js';
import { openLog, appendOne, tempDir } from '../storage/helpers/temp-log.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('tributary-log-cli-');
});
afterEach(() => dir.cleanup());

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const deps: CliDeps = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    onSignal: () => () => {},
    forceExit: () => {},
    helpText: () => '',
  };
  const code = await runCli(args, deps);
  return { code, stdout, stderr };
}

/** A partition dir `t-0` with 40 batches (the default index interval puts entries in it). */
async function writePartition(): Promise<string> {
  const log = await openLog(join(dir.path, 't-0'), { segmentBytes: 1 << 20, indexIntervalBytes: 256 });
  for (let i = 0; i < 40; i++) await appendOne(log, { valueSize: 60, timestamp: 1_000 + i });
  await log.close();
  return join(dir.path, 't-0', '00000000000000000000.log');
}

async function damageMiddle(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(Buffer.alloc(64, 0x11), 0, 64, Math.floor((await fh.stat()).size / 2));
  await fh.close();
}

describe('tributary log check', () => {
  it('usage errors exit 2', async () => {
    const bare = await cli(['log']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: tributary log check');
    expect((await cli(['log', 'verify'])).code).toBe(2);
    expect((await cli(['log', 'check', '--log-dirs'])).code).toBe(2);
    expect((await cli(['log', 'check', '--log-dirs', dir.path, 'extra.properties'])).code).toBe(2);
  });

  it('reports an intact dir with exit 0', async () => {
    await writePartition();
    const r = await cli(['log', 'check', '--log-dirs', dir.path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 partitions, 0 damaged');
  });

  it('refuses --repair without the clean-shutdown marker unless --force; repairs without reusing offsets', async () => {
    const seg = await writePartition();
    await damageMiddle(seg);
    const size = (await stat(seg)).size;

    const found = await cli(['log', 'check', '--log-dirs', dir.path, '--json']);
    expect(found.code).toBe(3);
    const [report] = JSON.parse(found.stdout) as [{ cleanlyStopped: boolean; partitions: { damage: { offset: number } | null; validEndOffset: number; previousEndOffset: number }[] }];
    expect(report.cleanlyStopped).toBe(false);
    const p = report.partitions[0]!;
    expect(p.damage!.offset).toBe(p.validEndOffset);
    expect(p.validEndOffset).toBeGreaterThan(5);
    expect(p.validEndOffset).toBeLessThan(35);
    // No checkpoint here: the old end comes from the offset index and segment files.
    expect(p.previousEndOffset).toBeGreaterThan(p.validEndOffset);

    const refused = await cli(['log', 'check', '--log-dirs', dir.path, '--repair']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('clean-shutdown marker');
    expect((await stat(seg)).size).toBe(size);

    const forced = await cli(['log', 'check', '--log-dirs', dir.path, '--repair', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`new writes start at offset ${p.previousEndOffset}`);
    expect((await cli(['log', 'check', '--log-dirs', dir.path])).code).toBe(0);

    const log = await openLog(join(dir.path, 't-0'), { segmentBytes: 1 << 20, indexIntervalBytes: 256 });
    try {
      expect(log.logEndOffset).toBe(p.previousEndOffset);
      expect((await appendOne(log)).baseOffset).toBe(p.previousEndOffset);
    } finally {
      await log.close();
    }
  });

  it('with the marker present, --repair needs no --force', async () => {
    await damageMiddle(await writePartition());
    await writeFile(join(dir.path, '.kafka_cleanshutdown'), '');
    const r = await cli(['log', 'check', '--log-dirs', dir.path, '--repair']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/repaired: cut \d+ bytes/);
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderEpochCache } from '../../../storage/log/leader-epoch-cache.js';
import { readOffsetCheckpoint, writeOffsetCheckpoint, readPartitionMetadata } from '../../../storage/log/checkpoint-file.js';
import { tempDir } from '../helpers/temp-log.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('LeaderEpochCache', () => {
  it('assigns, truncates and answers endOffsetFor like Kafka, persisting in Kafka text format', async () => {
    const path = join(tmp.path, 'leader-epoch-checkpoint');
    const c = await LeaderEpochCache.load(path);
    c.assign(1, 0);
    c.assign(1, 5); // same epoch later offset: no change
    c.assign(3, 10);
    c.assign(4, 20);
    expect(c.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 20 },
    ]);
    expect(c.endOffsetFor(0, 30)).toEqual({ epoch: 0, endOffset: 0 });
    expect(c.endOffsetFor(2, 30)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(4, 30)).toEqual({ epoch: 4, endOffset: 30 });
    expect(c.endOffsetFor(9, 30)).toEqual({ epoch: -1, endOffset: -1 });
    expect(c.endOffsetFor(-1, 30)).toEqual({ epoch: -1, endOffset: -1 });
    c.truncateFromEnd(20);
    expect(c.latestEpoch()).toBe(3);
    c.truncateFromStart(12);
    expect(c.all()).toEqual([{ epoch: 3, startOffset: 12 }]);
    c.assign(2, 15); // an older epoch replaces conflicting later entries (Kafka's assign)
    expect(c.all()).toEqual([{ epoch: 2, startOffset: 15 }]);
    c.assign(6, 40);
    await c.flush();
    expect(await readFile(path, 'utf8')).toBe('0\n2\n2 15\n6 40\n');
    const again = await LeaderEpochCache.load(path);
    expect(again.all()).toEqual(c.all());
  });

  it('ignores a malformed checkpoint', async () => {
    const path = join(tmp.path, 'leader-epoch-checkpoint');
    await writeFile(path, '0\n3\n1 0\n');
    expect((await LeaderEpochCache.load(path)).all()).toEqual([]);
  });
});

describe('checkpoint files', () => {
  it('round-trips offset checkpoints and rejects bad ones', async () => {
    const path = join(tmp.path, 'recovery-point-offset-checkpoint');
    await writeOffsetCheckpoint(path, [
      { topic: 'a.b-c', partition: 0, offset: 12 },
      { topic: '__consumer_offsets', partition: 49, offset: 0 },
    ]);
    expect(await readFile(path, 'utf8')).toBe('0\n2\na.b-c 0 12\n__consumer_offsets 49 0\n');
    expect(await readOffsetCheckpoint(path)).toEqual([
      { topic: 'a.b-c', partition: 0, offset: 12 },
      { topic: '__consumer_offsets', partition: 49, offset: 0 },
    ]);
    await writeFile(path, '0\n1\na 0 x\n');
    expect(await readOffsetCheckpoint(path)).toBeNull();
    await writeFile(path, '1\n0\n');
    expect(await readOffsetCheckpoint(path)).toBeNull();
    expect(await readOffsetCheckpoint(join(tmp.path, 'missing'))).toBeNull();
  });

  it('reads partition.metadata', async () => {
    const path = join(tmp.path, 'partition.metadata');
    await writeFile(path, 'version: 0\ntopic_id: abcDEF123_-xyz');
    expect(await readPartitionMetadata(path)).toEqual({ topicId: 'abcDEF123_-xyz' });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileDigester } from '../../../storage/tier/file-digest.js';

describe('FileDigester (MD5 on a worker thread)', () => {
  let dir: string;
  const digester = new FileDigester();
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-digest-'));
  });
  afterAll(async () => {
    await digester.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('hashes files larger than its read buffer, and several at once', async () => {
    const sizes = [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 17];
    const files = await Promise.all(
      sizes.map(async (n, i) => {
        const data = randomBytes(n);
        const p = path.join(dir, `f${i}`);
        await fs.writeFile(p, data);
        return { p, n, want: createHash('md5').update(data).digest('base64') };
      }),
    );
    const got = await Promise.all(files.map((f) => digester.md5(f.p, f.n)));
    expect(got).toEqual(files.map((f) => f.want));
  });

  it('hashes only the first `size` bytes', async () => {
    const data = randomBytes(5000);
    const p = path.join(dir, 'prefix');
    await fs.writeFile(p, data);
    expect(await digester.md5(p, 1000)).toBe(createHash('md5').update(data.subarray(0, 1000)).digest('base64'));
  });

  it('rejects a file shorter than announced and a missing file, and keeps working', async () => {
    const p = path.join(dir, 'short');
    await fs.writeFile(p, Buffer.alloc(10));
    await expect(digester.md5(p, 11)).rejects.toThrow(/ended at 10 of 11/);
    await expect(digester.md5(path.join(dir, 'missing'), 5)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await digester.md5(p, 10)).toBe(createHash('md5').update(Buffer.alloc(10)).digest('base64'));
  });

  it('fails pending requests when closed, and a closed digester restarts on use', async () => {
    const d = new FileDigester();
    const p = path.join(dir, 'big');
    await fs.writeFile(p, randomBytes(8 * 1024 * 1024));
    const pending = d.md5(p, 8 * 1024 * 1024);
    await d.close();
    await expect(pending).rejects.toThrow();
    expect(await d.md5(p, 1)).toMatch(/==$/);
    await d.close();
  });
});

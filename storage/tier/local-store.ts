// ObjectStore on a local directory (the zero-config default, `<log dir>/tier`): a key is a path
// below the root. Writes go to a unique temp file renamed into place, so readers never see half an
// object, like an S3 PUT. Useful for a single machine whose second disk (or NFS mount) holds the
// cold data, and for tests.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ObjectStoreError, type ListPage, type ObjectInfo, type ObjectStore, type PutBody } from './object-store.js';

const TMP_MARK = '.tmp-';

export class LocalObjectStore implements ObjectStore {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = `file://${root}`;
  }

  private pathOf(key: string, op: string): string {
    if (key.length === 0 || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '.' || p === '') || key.includes(TMP_MARK)) {
      throw new ObjectStoreError('fatal', `invalid object key '${key}'`, op, key);
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: PutBody): Promise<void> {
    const path = this.pathOf(key, 'put');
    const tmp = `${path}${TMP_MARK}${randomUUID()}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      if (Buffer.isBuffer(body)) await writeFile(tmp, body);
      else await copyFile(body.path, tmp);
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw wrap(e, 'put', key);
    }
  }

  async get(key: string, range?: { start: number; end: number }, signal?: AbortSignal, into?: (size: number) => Buffer): Promise<Buffer> {
    signal?.throwIfAborted();
    const path = this.pathOf(key, 'get');
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw wrap(e, 'get', key);
    }
    try {
      const size = (await fh.stat()).size;
      const start = Math.min(range?.start ?? 0, size);
      const end = Math.min(range?.end ?? size, size);
      const buf = into && end > start ? into(end - start) : Buffer.allocUnsafe(Math.max(0, end - start));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    } catch (e) {
      throw wrap(e, 'get', key);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await stat(this.pathOf(key, 'head'));
      return st.isFile() ? { key, size: st.size } : null;
    } catch (e) {
      const w = wrap(e, 'head', key);
      if (w.kind === 'not-found') return null;
      throw w;
    }
  }

  async list(prefix: string, page: { next?: string; maxKeys?: number } = {}): Promise<ListPage> {
    const maxKeys = page.maxKeys ?? 1000;
    // Walk from the deepest directory the prefix names; keys are filtered by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? join(this.root, ...prefix.slice(0, slash).split('/').filter(Boolean)) : this.root;
    const keys: ObjectInfo[] = [];
    await this.walk(base, keys).catch((e) => {
      const w = wrap(e, 'list', prefix);
      if (w.kind !== 'not-found') throw w;
    });
    const matching = keys.filter((k) => k.key.startsWith(prefix) && (page.next === undefined || k.key > page.next));
    matching.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const objects = matching.slice(0, maxKeys);
    return { objects, next: matching.length > maxKeys ? objects[objects.length - 1]!.key : undefined };
  }

  private async walk(dir: string, out: ObjectInfo[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await this.walk(p, out).catch((err) => {
        if (wrap(err, 'list').kind !== 'not-found') throw err; // removed while listing
      });
      else if (e.isFile() && !e.name.includes(TMP_MARK)) {
        const size = await stat(p).then((s) => s.size, () => -1);
        if (size >= 0) out.push({ key: relative(this.root, p).split(sep).join('/'), size });
      }
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await unlink(this.pathOf(key, 'delete'));
      } catch (e) {
        const w = wrap(e, 'delete', key);
        if (w.kind !== 'not-found') throw w;
      }
    }
  }

  async close(): Promise<void> {}
}

function wrap(e: unknown, op: string, key?: string): ObjectStoreError {
  if (e instanceof ObjectStoreError) return e;
  const code = (e as { code?: string }).code;
  const kind = code === 'ENOENT' || code === 'ENOTDIR' ? 'not-found' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'fatal' : 'retriable';
  return new ObjectStoreError(kind, `${op} ${key ?? ''}: ${(e as Error).message}`, op, key, { cause: e });
}

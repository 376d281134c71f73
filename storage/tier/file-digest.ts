// MD5 of a file, computed on a worker thread.
//
// Uploads send Content-MD5 so the store rejects a body damaged in transit. Hashing a 16 MiB
// segment costs ~30 ms of CPU; on the main thread that is 30 ms of produce and fetch requests
// waiting (the tier benchmark showed produce p99 ×1.7 while uploading). The worker reads the file
// itself in 1 MiB slices into one reused buffer, so neither the bytes nor the hashing touch the
// broker's event loop. One worker, started on first use, unref'd so it never keeps a process
// alive; requests queue on it (uploads are few and large). The worker thread runs at nice 19.
//
// The worker is plain CommonJS passed as source (`eval: true`): it needs nothing from the project,
// and a TypeScript worker file would need the tsx loader inside the worker too.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const buf = Buffer.allocUnsafe(1024 * 1024);
// Lowest CPU priority for this thread only (Linux nice values are per thread; pid 0 = caller):
// hashing is background work and must yield the cores to the broker's event loop.
try { require('node:os').setPriority(0, 19); } catch {}
parentPort.on('message', ({ id, path, size }) => {
  let fd = -1;
  try {
    fd = fs.openSync(path, 'r');
    const h = crypto.createHash('md5');
    let pos = 0;
    while (pos < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) throw new Error('file ' + path + ' ended at ' + pos + ' of ' + size + ' bytes');
      h.update(buf.subarray(0, n));
      pos += n;
    }
    parentPort.postMessage({ id, md5: h.digest('base64') });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e), code: e && e.code });
  } finally {
    if (fd >= 0) try { fs.closeSync(fd); } catch {}
  }
});
`;

interface Pending {
  resolve: (md5: string) => void;
  reject: (e: Error) => void;
}

export class FileDigester {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Base64 MD5 of the first `size` bytes of the file (rejects if the file is shorter or unreadable). */
  md5(path: string, size: number): Promise<string> {
    const w = this.ensure();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref(); // keep the worker's replies flowing while someone waits
      w.postMessage({ id, path, size });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.failAll(new Error('file digester closed'));
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: { id: number; md5?: string; error?: string; code?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.md5 !== undefined) p.resolve(m.md5);
      else p.reject(Object.assign(new Error(m.error ?? 'digest failed'), { code: m.code }));
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = null;
      this.failAll(e);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`file digest worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

// Memory probe for a broker process (diagnosis only): load with
//   NODE_OPTIONS=--import=<abs path>/mem-probe.mjs TRIBUTARY_MEM_PROBE=<file> [TRIBUTARY_MEM_PROBE_MS=250]
// and it appends one JSON line per interval to <file>: process.memoryUsage(), the anonymous and
// file-backed resident memory from /proc/self/smaps_rollup, V8's new-space size, and, once the
// broker has loaded them, the request-frame pool's free bytes and the read-ahead budget in use.
// The broker's own modules are reached by their file URLs after start-up (tsx has registered by
// then; the ESM cache returns the broker's instances, so the figures are the live ones).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

const file = process.env.TRIBUTARY_MEM_PROBE;
if (file) {
  const every = Number(process.env.TRIBUTARY_MEM_PROBE_MS ?? 250);
  // The checkout of the broker running here (bin/tributary.js), not necessarily this one.
  const root = pathToFileURL(path.resolve(path.dirname(process.argv[1] ?? '.'), '..') + '/');
  let pool = null;
  setTimeout(() => {
    import(new URL('protocol/wire/buffer-pool.ts', root).href).then((m) => (pool = m.framePool), () => {});
  }, 3000).unref();
  const t0 = Date.now();
  const smaps = () => {
    try {
      const s = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
      const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
      return { anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') };
    } catch {
      return {};
    }
  };
  setInterval(() => {
    const m = process.memoryUsage();
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    const line = {
      t: Date.now() - t0,
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      newSpace: ns?.physical_space_size,
      ...smaps(),
      poolFree: pool?.retainedBytes,
      poolAllocated: pool?.allocated,
      poolReused: pool?.reused,
      poolRefused: pool?.refused,
      poolEvicted: pool?.evicted,
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, every).unref();
}

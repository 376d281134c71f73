// Cold sequential reads through the broker's remote read path, without a Kafka client: a
// PartitionLog whose segments all live in s3rver is read from offset 0 to the end with
// PartitionLog.read (what Fetch calls), the way a consumer reads, alternating between this
// checkout's remote reader (streamed read-ahead) and a base checkout's, each with a fresh chunk
// cache. Isolates what read-ahead changes from the client's decoding and from the broker's
// network path (bench/tier/tier-bench.ts measures those end to end).
//
//   npx tsx bench/tier/read-ahead-ab.ts --base-root DIR [--mib 128] [--rounds 3] [--fetch-mib 1,8] [--get-latency-ms 0,20]
//
// --get-latency-ms adds a delay before every GET (s3rver on loopback answers in about a
// millisecond; a real object store's first byte takes tens): each value is a separate set of
// rows. The GETs per MiB read are counted too (independent of the machine's load).
// DIR: `git archive <commit> | tar -x -C DIR` plus a node_modules link. s3rver runs in its own
// process with its objects on tmpfs (as in tier-bench.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PartitionLog } from '../../storage/log/partition-log.js';
import { ChunkCache } from '../../storage/tier/chunk-cache.js';
import { RemotePartition } from '../../storage/tier/remote-partition.js';
import type { ObjectStore } from '../../storage/tier/object-store.js';
import { RemoteReader } from '../../storage/tier/remote-reader.js';
import { Semaphore } from '../../storage/tier/retry.js';
import { S3ObjectStore } from '../../storage/tier/s3-store.js';
import { readAheadLimits } from '../../src/tier/tier-manager.js';
import { startS3rver } from '../../test/helpers/s3-servers.js';
import { appendOne, openLog, tempDir } from '../../test/storage/helpers/temp-log.js';

const { values: args } = parseArgs({
  options: {
    'base-root': { type: 'string' },
    mib: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    'fetch-mib': { type: 'string', default: '1,8' },
    'get-latency-ms': { type: 'string', default: '0,20' },
  },
});
const MiB = 1024 * 1024;
const CHUNK = MiB; // tributary.tier.fetch.chunk.bytes default
const CACHE = 64 * MiB; // tributary.tier.cache.bytes default
const READERS = 8; // remote.log.reader.threads default
const RETRY = { attempts: 3, baseBackoffMs: 25, maxBackoffMs: 1000, jitter: 1 };

type Variant = { name: string; make: (store: ObjectStore, log: PartitionLog) => Promise<RemotePartition> };

/** The s3rver store with a fixed delay before each GET, counting them. */
function delayed(inner: ObjectStore, ms: () => number, counter: { gets: number }): ObjectStore {
  return {
    description: `${inner.description} (+GET latency)`,
    async get(key, range, signal) {
      counter.gets++;
      const d = ms();
      if (d > 0) await new Promise((r) => setTimeout(r, d));
      signal?.throwIfAborted();
      return inner.get(key, range, signal);
    },
    put: (k, b) => inner.put(k, b),
    head: (k) => inner.head(k),
    list: (p, pg) => inner.list(p, pg),
    deleteMany: (ks) => inner.deleteMany(ks),
    close: () => Promise.resolve(),
  };
}

async function main(): Promise<void> {
  const s3 = await startS3rver('tributary', existsSync('/dev/shm') ? '/dev/shm' : undefined);
  const dir = await tempDir('tributary-readahead-ab-');
  const store = new S3ObjectStore({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'ab', forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  try {
    const log = await openLog(dir.path, {
      segmentBytes: 16 * MiB,
      indexIntervalBytes: 4096,
      fileDeleteDelayMs: 0,
      retentionMs: -1,
      retentionBytes: -1,
      remoteStorageEnable: true,
      localRetentionMs: 0,
      localRetentionBytes: -2,
    }, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const batches = Math.ceil((Number(args.mib) * MiB) / (256 * 1024));
    for (let i = 0; i < batches; i++) await appendOne(log, { count: 256, valueSize: 1000, timestamp: 1000 + i, fill: i & 0xff });
    await log.flush();
    const logger = { info() {}, warn() {}, error() {} };
    const ours: Variant = {
      name: 'this',
      make: async (st, l) => {
        const reader = new RemoteReader(st, new ChunkCache(CACHE), { chunkBytes: CHUNK, readAheadChunks: 2, retry: RETRY, limiter: new Semaphore(READERS), readAhead: readAheadLimits(CHUNK, CACHE) });
        return new RemotePartition(l, 'tid', { store: st, reader, retry: RETRY, taskBackoff: RETRY, logger });
      },
    };
    const variants: Variant[] = [ours];
    if (args['base-root']) {
      const root = path.resolve(args['base-root']);
      const B = {
        cache: (await import(path.join(root, 'storage/tier/chunk-cache.ts'))) as typeof import('../../storage/tier/chunk-cache.js'),
        reader: (await import(path.join(root, 'storage/tier/remote-reader.ts'))) as typeof import('../../storage/tier/remote-reader.js'),
        part: (await import(path.join(root, 'storage/tier/remote-partition.ts'))) as typeof import('../../storage/tier/remote-partition.js'),
        retry: (await import(path.join(root, 'storage/tier/retry.ts'))) as typeof import('../../storage/tier/retry.js'),
      };
      variants.push({
        name: 'base',
        make: async (st, l) => {
          const reader = new B.reader.RemoteReader(st, new B.cache.ChunkCache(CACHE), { chunkBytes: CHUNK, readAheadChunks: 2, retry: RETRY, limiter: new B.retry.Semaphore(READERS) });
          return new B.part.RemotePartition(l, 'tid', { store: st, reader, retry: RETRY, taskBackoff: RETRY, logger });
        },
      });
    }
    // Upload once (with our code), then drop every local segment but the active one.
    const uploader = await ours.make(store, log);
    log.remoteTier = uploader;
    await uploader.copyEligible();
    await log.enforceRetention(10_000_000);
    await uploader.close();
    const remoteBytes = uploader.status().remoteBytes;
    console.error(`${(remoteBytes / MiB).toFixed(0)} MiB in ${uploader.status().remoteSegments} remote segments; local from ${log.localLogStartOffset}`);

    const fetchSizes = args['fetch-mib']!.split(',').map(Number);
    const latencies = args['get-latency-ms']!.split(',').map(Number);
    let latency = 0;
    const counter = { gets: 0 };
    const slow = delayed(store, () => latency, counter);
    const rows: { variant: string; fetchMiB: number; getLatencyMs: number; round: number; mibPerSec: number; getsPerMiB: number }[] = [];
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const getLatencyMs of latencies)
      for (const fetchMiB of fetchSizes) {
        for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
          latency = getLatencyMs;
          const rp = await v.make(slow, log);
          counter.gets = 0;
          log.remoteTier = rp;
          let offset = 0;
          let bytes = 0;
          const end = log.localLogStartOffset;
          const t0 = performance.now();
          while (offset < end) {
            const r = await log.read(offset, fetchMiB * MiB, log.highWatermark, true);
            if (r.error || r.records.length === 0) throw new Error(`${v.name}: read at ${offset}: ${r.error ?? 'empty'}`);
            bytes += r.records.length;
            // the last batch's next offset: base offset + last offset delta + 1 (header fields)
            let pos = 0;
            let next = offset;
            while (pos + 61 <= r.records.length) {
              const size = 12 + r.records.readInt32BE(pos + 8);
              next = Number(r.records.readBigInt64BE(pos)) + r.records.readInt32BE(pos + 23) + 1;
              pos += size;
            }
            offset = next;
          }
          const seconds = (performance.now() - t0) / 1000;
          const row = { variant: v.name, fetchMiB, getLatencyMs, round: round + 1, mibPerSec: Math.round((bytes / MiB / seconds) * 10) / 10, getsPerMiB: Math.round((counter.gets / (bytes / MiB)) * 100) / 100 };
          rows.push(row);
          console.error(`round ${round + 1} GET latency ${getLatencyMs} ms, fetch ${fetchMiB} MiB, ${v.name}: ${row.mibPerSec} MiB/s, ${row.getsPerMiB} GETs/MiB (load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
          await rp.close();
          (rp as unknown as { deps: { reader: { close?: () => void } } }).deps.reader.close?.();
        }
      }
    }
    console.log(JSON.stringify(rows));
    await log.close();
  } finally {
    await store.close();
    await s3.stop();
    await dir.cleanup();
  }
}

await main();

// The "tuned" rows of `npm run bench:vs-kafka -- --tuned`: each broker once more, in the same run,
// with settings chosen for this 2-core machine and these scenarios. Stated here so bench/README.md
// and the results JSON (meta.tuned) say exactly what was changed; --kafka-tuned-property and
// --broker-tuned-override replace an entry (or add one).

/** Apache Kafka: threads matched to 2 cores, larger socket buffers for the 256 KiB-1 MiB batches. */
export const KAFKA_TUNED: Record<string, string> = {
  // Default 3 network + 8 I/O threads contend for 2 cores; one network thread per core, and
  // enough I/O threads that a request waiting on a page-cache write does not stall the rest.
  'num.network.threads': '2',
  'num.io.threads': '4',
  // Default 100 KiB each: a 1 MiB produce request needs ~10 socket reads to arrive.
  'socket.send.buffer.bytes': '1048576',
  'socket.receive.buffer.bytes': '1048576',
};

/**
 * Tributary: a 4x larger tail cache (consumers that keep up are served from memory; the fetch
 * scenario reads what was just produced) and glibc keeping large blocks in its heap instead of
 * fresh mmaps (bench/README.md, "Findings from profiling": 1 MiB frame copies into fresh mmap'd
 * memory page-fault). Its socket buffer keys have no effect (Node cannot set SO_SNDBUF/SO_RCVBUF;
 * the kernel auto-tunes), and segment size does not matter at these volumes (the default 1 GiB
 * segment is never rolled in a scenario), so neither is changed.
 */
export const BROKER_TUNED_OVERRIDES: Record<string, string> = {
  'tributary.log.tail.cache.bytes': String(256 * 1024 * 1024),
};
export const BROKER_TUNED_ENV: Record<string, string> = {
  MALLOC_MMAP_THRESHOLD_: '33554432',
  MALLOC_TRIM_THRESHOLD_: '268435456',
};

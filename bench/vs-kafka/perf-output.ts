// Parsing what Kafka's perf tools print (their last summary lines), kept apart from
// perf-test.ts so test/bench/perf-output.test.ts can check it against real output.

/** ProducerPerformance's summary: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P ms 50th, Q ms 95th, S ms 99th, T ms 99.9th." */
export function parseProducerSummary(out: string): { recordsPerSec: number; mbPerSec: number; avgMs: number; p50Ms: number; p99Ms: number; p999Ms: number; records: number } {
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(out);
  if (!m) throw new Error(`no producer summary in:\n${out.slice(-1000)}`);
  return { records: Number(m[1]), recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgMs: Number(m[4]), p50Ms: Number(m[6]), p99Ms: Number(m[8]), p999Ms: Number(m[9]) };
}

/**
 * ConsumerPerformance's CSV line: start.time, end.time, data.consumed.in.MB, MB.sec,
 * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
 * The fetch.* columns exclude the group join, so they are the ones compared.
 */
export function parseConsumerSummary(out: string): { mb: number; records: number; fetchMbPerSec: number; fetchRecordsPerSec: number; rebalanceMs: number } {
  const line = out.split('\n').find((l) => /^\d{4}-\d\d-\d\d \d/.test(l.trim()));
  if (!line) throw new Error(`no consumer summary in:\n${out.slice(-1000)}`);
  const f = line.split(',').map((s) => s.trim());
  return { mb: Number(f[2]), records: Number(f[4]), rebalanceMs: Number(f[6]), fetchMbPerSec: Number(f[8]), fetchRecordsPerSec: Number(f[9]) };
}

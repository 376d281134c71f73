// The summaries Kafka's perf tools print, as bench/vs-kafka/perf-test.ts reads them (samples written
// in the shapes kafka-tools 4.1.1 prints: ProducerPerformance's periodic and final lines, ConsumerPerformance's
// header and CSV line).
import { describe, expect, it } from 'vitest';
import { parseConsumerSummary, parseProducerSummary } from '../../bench/vs-kafka/perf-output.js';

describe('perf tool output', () => {
  it('reads the final producer summary, not the periodic window lines', () => {
    const out = [
      '61441 records sent, 12285.7 records/sec (12.00 MB/sec), 1203.4 ms avg latency, 1822.0 ms max latency.',
      '100000 records sent, 23757.4 records/sec (23.20 MB/sec), 640.12 ms avg latency, 1901.00 ms max latency, 649 ms 50th, 1102 ms 95th, 1271 ms 99th, 1850 ms 99.9th.',
    ].join('\n');
    expect(parseProducerSummary(out)).toEqual({ records: 100000, recordsPerSec: 23757.4, mbPerSec: 23.2, avgMs: 640.12, p50Ms: 649, p99Ms: 1271, p999Ms: 1850 });
  });

  it('fails loudly when the producer printed no summary (a killed or failed run)', () => {
    expect(() => parseProducerSummary('61441 records sent, 12285.7 records/sec (12.00 MB/sec), 1203.4 ms avg latency, 1822.0 ms max latency.')).toThrow(/no producer summary/);
  });

  it('reads the consumer CSV line and its fetch-only columns', () => {
    const out = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-12-07 02:01:10:101, 2026-12-07 02:01:13:512, 97.6563, 28.6298, 100000, 29317.0, 2450, 961, 101.6194, 104058.2726',
    ].join('\n');
    expect(parseConsumerSummary(out)).toEqual({ mb: 97.6563, records: 100000, rebalanceMs: 2450, fetchMbPerSec: 101.6194, fetchRecordsPerSec: 104058.2726 });
  });

  it('fails loudly when the consumer printed only its header', () => {
    expect(() => parseConsumerSummary('start.time, end.time, data.consumed.in.MB, MB.sec\n')).toThrow(/no consumer summary/);
  });
});

// The Prometheus metrics endpoint (tributary.metrics.port): off by default; when on, a scrape
// reports live log, tier, aggregation and process figures in the text format.
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { FAST_TIER, TOPIC_CONFIGS, kafkaClient, produceRange, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';

function parse(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

describe('metrics endpoint', () => {
  it('is off by default', async () => {
    const tb = await startTestBroker();
    try {
      expect(tb.broker.metricsPort).toBeNull();
    } finally {
      await tb.cleanup();
    }
  });

  it('serves log, tier and process metrics in Prometheus text format', async () => {
    const tb = await startTestBroker({ ...FAST_TIER, 'tributary.metrics.port': '0' });
    const topic = 'metered';
    try {
      const port = tb.broker.metricsPort!;
      expect(port).toBeGreaterThan(0);
      await withAdmin(tb.bootstrap, (a) =>
        a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
      );
      await produceRange(tb.bootstrap, topic, 0, 500);
      const st = await waitTiered(tb, topic, 2);
      const log = tb.broker.logManager.getLog(topic, 0)!;

      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      const text = await res.text();
      expect(text).toContain('# TYPE tributary_log_end_offset gauge');
      expect(text).toContain('# TYPE tributary_tier_copied_bytes_total counter');
      const m = parse(text);
      const p = `{topic="${topic}",partition="0"}`;
      expect(m.get(`tributary_log_end_offset${p}`)).toBe(500);
      expect(m.get(`tributary_log_high_watermark${p}`)).toBe(500);
      expect(m.get(`tributary_log_size_bytes${p}`)).toBe(log.size());
      expect(m.get(`tributary_log_segments${p}`)).toBe(log.segmentInfos().length);
      expect(m.get(`tributary_tier_remote_bytes${p}`)).toBe(st.remoteBytes);
      expect(m.get(`tributary_tier_remote_segments${p}`)).toBe(st.remoteSegments);
      expect(m.get(`tributary_tier_lag_segments${p}`)).toBe(0);
      expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(1e6);
      // The tail cache's reads (nothing else reads the log while the scrape is made).
      expect(text).toContain('# TYPE tributary_log_tail_cache_hits_total counter');
      const tail = tb.broker.logManager.tailCache;
      expect(m.get('tributary_log_tail_cache_hits_total')).toBe(tail.hits);
      expect(m.get('tributary_log_tail_cache_misses_total')).toBe(tail.misses);
      expect(m.get('tributary_log_tail_cache_bytes')).toBeGreaterThan(0);
      expect([...m.keys()].some((k) => k.startsWith('tributary_broker_info{cluster_id="'))).toBe(true);

      // A connected client shows up in the connection gauge.
      await withAdmin(tb.bootstrap, async (a) => {
        await a.listTopics();
        const again = parse(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        expect(again.get('tributary_connections')).toBeGreaterThanOrEqual(1);
      });

      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    } finally {
      await tb.stop();
      await tb.cleanup();
    }
    // Closed with the broker.
    await expect(fetch(`http://127.0.0.1:${tb.broker.metricsPort ?? 1}/metrics`)).rejects.toThrow();
  }, 30_000);

  it('counts requests and their latency per API after real client traffic', async () => {
    const tb = await startTestBroker({ 'tributary.metrics.port': '0' });
    try {
      const topic = 'timed';
      await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic, numPartitions: 1 }] }));
      await produceRange(tb.bootstrap, topic, 0, 20);
      const text = await (await fetch(`http://127.0.0.1:${tb.broker.metricsPort}/metrics`)).text();
      expect(text).toContain('# TYPE tributary_request_latency_seconds histogram');
      expect(text).toContain('# TYPE tributary_requests_total counter');
      const m = parse(text);
      const produced = m.get('tributary_requests_total{api="Produce"}')!;
      expect(produced).toBeGreaterThanOrEqual(1);
      expect(m.get('tributary_requests_total{api="CreateTopics"}')).toBe(1);
      expect(m.get('tributary_requests_total{api="Metadata"}')).toBeGreaterThanOrEqual(1);
      expect(m.get('tributary_request_failures_total{api="Produce"}')).toBe(0);
      expect(m.get('tributary_request_latency_seconds_count{api="Produce"}')).toBe(produced);
      expect(m.get('tributary_request_latency_seconds_bucket{api="Produce",le="+Inf"}')).toBe(produced);
      expect(m.get('tributary_request_latency_seconds_sum{api="Produce"}')).toBeGreaterThan(0);
      // Bytes in and out per topic: a consumer reads back what was produced.
      const consumer = kafkaClient(tb.bootstrap).consumer({ groupId: 'reader' });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let seen = 0;
      await consumer.run({ eachMessage: async () => void seen++ });
      while (seen < 20) await new Promise((r) => setTimeout(r, 50));
      await consumer.disconnect();
      // A Produce to a partition the topic does not have: counted by its Kafka error code.
      const raw = await RawClient.connect(tb.port);
      try {
        const res = await raw.send(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 9, records: Buffer.alloc(0) }] }] });
        expect(res.responses[0].partitionResponses[0].errorCode).toBe(3);
      } finally {
        raw.close();
      }
      const after = parse(await (await fetch(`http://127.0.0.1:${tb.broker.metricsPort}/metrics`)).text());
      const bytesIn = after.get(`tributary_topic_bytes_in_total{topic="${topic}"}`)!;
      expect(bytesIn).toBeGreaterThan(20 * 10);
      expect(after.get(`tributary_topic_bytes_out_total{topic="${topic}"}`)).toBeGreaterThanOrEqual(bytesIn);
      expect(after.get('tributary_partition_errors_total{api="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"}')).toBe(1);
      // Buckets are cumulative.
      const buckets = [...m].filter(([k]) => k.startsWith('tributary_request_latency_seconds_bucket{api="Produce"')).map(([, v]) => v);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    } finally {
      await tb.cleanup();
    }
  });

  it('reports consumer-group lag per partition; internal topics only when asked', async () => {
    const tb = await startTestBroker({ 'tributary.metrics.port': '0', 'group.initial.rebalance.delay.ms': '0' });
    try {
      const topic = 'lagged';
      await withAdmin(tb.bootstrap, (a) => a.createTopics({ topics: [{ topic, numPartitions: 1 }] }));
      await produceRange(tb.bootstrap, topic, 0, 30);
      // A group that committed offset 12 of 30: lag 18.
      await withAdmin(tb.bootstrap, (a) => a.setOffsets({ groupId: 'billing', topic, partitions: [{ partition: 0, offset: '12' }] }));
      const m = parse(await (await fetch(`http://127.0.0.1:${tb.broker.metricsPort}/metrics`)).text());
      const p = `{group="billing",topic="${topic}",partition="0"}`;
      expect(m.get(`tributary_consumer_group_committed_offset${p}`)).toBe(12);
      expect(m.get(`tributary_consumer_group_lag${p}`)).toBe(18);
      expect(m.get(`tributary_log_end_offset{topic="${topic}",partition="0"}`)).toBe(30);
      expect([...m.keys()].filter((k) => k.includes('topic="__consumer_offsets"'))).toEqual([]);
    } finally {
      await tb.cleanup();
    }
    const all = await startTestBroker({ 'tributary.metrics.port': '0', 'tributary.metrics.internal.topics': 'true' });
    try {
      const text = await (await fetch(`http://127.0.0.1:${all.broker.metricsPort}/metrics`)).text();
      expect(text).toMatch(/tributary_log_end_offset\{topic="__consumer_offsets",partition="0"\}/);
    } finally {
      await all.cleanup();
    }
  });
});

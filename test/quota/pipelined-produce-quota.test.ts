// producer_byte_rate with pipelined requests (issue 15's bench question), on a raw client that
// ignores throttle_time_ms: five Produce requests written at once are all processed (they were
// read before any mute, as in Kafka) and every byte of them counts, so the last response's
// throttle covers all five; a request written after that is not processed before the mute ends
// (the partition's log end shows when it was appended). Timings are only compared with the
// throttle times the broker itself returned, with generous slack.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const QUOTA = 100_000; // bytes/s
const BATCH_VALUE = 40_000;
const PIPELINED = 5;

let tb: TestBroker;

beforeAll(async () => {
  // Two 1 s samples: a rate is taken over at least one full window.
  tb = await startTestBroker({ 'num.partitions': '1', 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
});
afterAll(async () => {
  await tb?.cleanup();
});

const produce = (i: number) => ({
  transactionalId: null,
  acks: 1,
  timeoutMs: 5000,
  topicData: [{ name: 'piped', partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(BATCH_VALUE, i), timestamp: Date.now() }] }) }] }],
});

describe('producer_byte_rate with pipelined requests', () => {
  it('counts every pipelined request in the throttle, and processes nothing written during the mute before it ends', async () => {
    const c = await RawClient.connect(tb.port);
    try {
      const alter = await c.send(49, 1, {
        entries: [{ entity: [{ entityType: 'client-id', entityName: 'raw-client' }], ops: [{ key: 'producer_byte_rate', value: QUOTA, remove: false }] }],
        validateOnly: false,
      });
      expect(alter.entries[0].errorCode).toBe(0);
      const created = await c.send(19, 7, { topics: [{ name: 'piped', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(0);
      expect((await c.send(0, 9, produce(0))).responses[0].partitionResponses[0].errorCode).toBe(0);
      const log = () => tb.broker.logManager.getLog('piped', 0)!;

      // Five at once: ~200 KB against 100 KB/s over a 1 s window.
      const frames = Array.from({ length: PIPELINED }, (_, i) => c.encode(0, 9, produce(i + 1)));
      const answers = frames.map((f) => c.expect(f.correlationId, 0, 9));
      c.writeRaw(Buffer.concat(frames.map((f) => f.frame)));
      const responses = await Promise.all(answers);
      const lastAt = performance.now();
      for (const r of responses) expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(log().logEndOffset).toBe(1 + PIPELINED); // all five processed
      const throttles = responses.map((r) => r.throttleTimeMs as number);
      const last = Math.max(...throttles);
      // Every byte counts: (total recorded - quota x 1 s) / quota, in ms. The requests' bytes
      // are a bit more than their values (headers); the first one's too.
      const recorded = (PIPELINED + 1) * BATCH_VALUE;
      expect(last, `throttles ${throttles.join(', ')}`).toBeGreaterThanOrEqual(((recorded - QUOTA) / QUOTA) * 1000 * 0.9);
      expect(throttles.at(-1)).toBe(last); // the later the response, the more bytes it accounts for

      // Written now, during the mute: appended only once the mute is over.
      const sixth = c.send(0, 9, produce(9));
      let appendedAfter = -1;
      while (appendedAfter < 0) {
        if (log().logEndOffset > 1 + PIPELINED) appendedAfter = performance.now() - lastAt;
        else await new Promise((r) => setTimeout(r, 5));
      }
      expect((await sixth).responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(appendedAfter, `appended ${Math.round(appendedAfter)} ms after a ${last} ms throttle`).toBeGreaterThanOrEqual(last - 50);
    } finally {
      c.close();
    }
  }, 30_000);
});

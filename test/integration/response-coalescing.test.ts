// Pipelined requests that arrive in one read and complete together are answered with one socket
// write, not one write each (src/network/connection.ts scheduleFlush; issue 14, produce latency:
// every write is a syscall that also wakes the client). Order is unchanged.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let c: RawClient;

beforeAll(async () => {
  tb = await startTestBroker();
  c = await RawClient.connect(tb.port);
  const r = await c.send(19, 7, { topics: [{ name: 'coalesce', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
});
afterAll(async () => {
  c?.close();
  await tb?.cleanup();
});

describe('response writes', () => {
  it('answers 16 pipelined Produce requests of one read with a few socket writes, in order', async () => {
    const N = 16;
    const frames: Buffer[] = [];
    const answers: Promise<any>[] = [];
    const ids: number[] = [];
    for (let i = 0; i < N; i++) {
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from(`v${i}`), timestamp: Date.now() }] });
      const { frame, correlationId } = c.encode(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'coalesce', partitionData: [{ index: 0, records }] }] });
      frames.push(frame);
      ids.push(correlationId);
      answers.push(c.expect(correlationId, 0, 9));
    }
    // Count the broker side's socket writes (write or writev: one per flush) on this connection.
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    const write = proto._write;
    const writev = proto._writev;
    let writes = 0;
    const mine = (s: net.Socket) => s.localPort === tb.port && s.remotePort === c.socket.localPort;
    proto._write = function (this: net.Socket, ...a: unknown[]) {
      if (mine(this)) writes++;
      return write.apply(this, a);
    };
    proto._writev = function (this: net.Socket, ...a: unknown[]) {
      if (mine(this)) writes++;
      return writev.apply(this, a);
    };
    try {
      c.arrivalOrder.length = 0;
      c.writeRaw(Buffer.concat(frames)); // one write: the broker reads them together
      const rs = await Promise.all(answers);
      for (const r of rs) expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(c.arrivalOrder).toEqual(ids);
      const offsets = rs.map((r) => Number(r.responses[0].partitionResponses[0].baseOffset));
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
    } finally {
      proto._write = write;
      proto._writev = writev;
    }
    // One write per response before; a read may split the burst, hence "a few".
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(3);
  });
});

// Real-client produce throughput: @platformatic/kafka's Producer (non-idempotent, acks=1) sending
// 1 KiB values, `concurrency` sends in flight, each send one batch of `recordsPerPartition`
// records for every partition. Unlike the raw generator this measures client + target together
// (the client's batch encoding and CRC share the 2 cores), which is what an application sees.
// Counted bytes are value bytes (records x 1 KiB), not wire bytes.
import { performance } from 'node:perf_hooks';
import { Producer, type MessageToProduce } from '@platformatic/kafka';
import { Meter, sleep, type RunFigures } from '../lib/meter.js';
import { RECORD_BYTES } from '../lib/payloads.js';
import type { Target } from '../lib/targets.js';

export interface ClientProduceParams {
  topic: string;
  partitions: number;
  recordsPerPartition: number;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
}

export async function runClientProduce(target: Target, o: ClientProduceParams): Promise<RunFigures> {
  const producer = new Producer({
    clientId: 'tributary-bench-client',
    bootstrapBrokers: [`${target.host}:${target.port}`],
    idempotent: false,
    acks: 1,
    autocreateTopics: false,
    retries: 0,
  });
  const values = Array.from({ length: 64 }, (_, i) => Buffer.alloc(RECORD_BYTES, i));
  const messages: MessageToProduce[] = [];
  for (let p = 0; p < o.partitions; p++) {
    for (let i = 0; i < o.recordsPerPartition; i++) messages.push({ topic: o.topic, partition: p, value: values[(p * 7 + i) % values.length]! });
  }
  const meter = new Meter(target);
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      try {
        await producer.send({ messages });
        meter.complete(messages.length * RECORD_BYTES, messages.length, performance.now() - t0);
      } catch (err) {
        meter.error(`send: ${(err as Error).message.split('\n')[0]}`);
        await sleep(50); // a failing target must not turn this into a hot loop
      }
    }
  };
  try {
    const loops = Array.from({ length: o.concurrency }, () => loop());
    await meter.window(o.warmupMs, o.measureMs);
    running = false;
    await Promise.all(loops);
    meter.extra.recordsPerSend = messages.length;
    return meter.figures();
  } finally {
    await producer.close().catch(() => undefined);
  }
}

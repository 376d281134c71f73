// Real clients for tests, built with the options tests commonly use: kafkajs quiet (logLevel
// NOTHING) and @platformatic/kafka with a fixed client id. Anything given overrides the defaults,
// so a test states only what it needs (retries, a transactional id, SASL, ...).
import { Admin as PkAdmin, Consumer as PkConsumer, Producer as PkProducer, type AdminOptions, type ConsumerOptions, type ProducerOptions } from '@platformatic/kafka';
import { Kafka, logLevel, type ConsumerConfig, type KafkaConfig, type ProducerConfig } from 'kafkajs';
import { waitFor } from './wait.js';

type Bootstrap = string | readonly string[];
const list = (b: Bootstrap): string[] => (typeof b === 'string' ? [b] : [...b]);

// ---- kafkajs ------------------------------------------------------------------------------------

export type KafkajsOptions = Partial<KafkaConfig>;

/** A kafkajs client for `bootstrap` (host:port or a list), silent unless the test sets logLevel. */
export function kafkajs(bootstrap: Bootstrap, opts: KafkajsOptions = {}): Kafka {
  return new Kafka({ clientId: 'tributary-test', logLevel: logLevel.NOTHING, ...opts, brokers: list(bootstrap) });
}

/** A connected kafkajs producer. */
export async function kafkajsProducer(bootstrap: Bootstrap, config: ProducerConfig = {}, client: KafkajsOptions = {}) {
  const p = kafkajs(bootstrap, client).producer(config);
  await p.connect();
  return p;
}

/** A connected kafkajs consumer (not yet subscribed). */
export async function kafkajsConsumer(bootstrap: Bootstrap, config: ConsumerConfig, client: KafkajsOptions = {}) {
  const c = kafkajs(bootstrap, client).consumer(config);
  await c.connect();
  return c;
}

/** A connected kafkajs admin client. */
export async function kafkajsAdmin(bootstrap: Bootstrap, client: KafkajsOptions = {}) {
  const a = kafkajs(bootstrap, client).admin();
  await a.connect();
  return a;
}

// ---- @platformatic/kafka ------------------------------------------------------------------------

type PkProducerOptions = Partial<ProducerOptions<Buffer, Buffer, Buffer, Buffer>>;
type PkConsumerOptions = Partial<ConsumerOptions<Buffer, Buffer, Buffer, Buffer>>;

export function pkProducer(bootstrap: Bootstrap, opts: PkProducerOptions = {}): PkProducer<Buffer, Buffer, Buffer, Buffer> {
  return new PkProducer({ clientId: 'tributary-test', ...opts, bootstrapBrokers: list(bootstrap) } as ProducerOptions<Buffer, Buffer, Buffer, Buffer>);
}

/** groupId defaults to 'unused': a consumer used only for metadata, listOffsets or fetch. */
export function pkConsumer(bootstrap: Bootstrap, opts: PkConsumerOptions = {}): PkConsumer<Buffer, Buffer, Buffer, Buffer> {
  return new PkConsumer({ clientId: 'tributary-test', groupId: 'unused', ...opts, bootstrapBrokers: list(bootstrap) } as ConsumerOptions<Buffer, Buffer, Buffer, Buffer>);
}

export function pkAdmin(bootstrap: Bootstrap, opts: Partial<AdminOptions> = {}): PkAdmin {
  return new PkAdmin({ clientId: 'tributary-test', ...opts, bootstrapBrokers: list(bootstrap) } as AdminOptions);
}

// ---- reading everything committed ---------------------------------------------------------------

/**
 * Reads `topic` from the start with a read_committed kafkajs consumer group until it has seen
 * `expected` records and has consumed past the last stable offset of every partition: the proof
 * that nothing more (aborted data, say) is still to come, instead of sleeping and hoping.
 */
export async function readCommittedKafkajs(kafka: Kafka, topic: string, expected: number, timeoutMs = 20_000): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId: `rc-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100, readUncommitted: false });
  const seen: string[] = [];
  // Next offset per partition after each processed batch; control and aborted-only batches count too.
  const position = new Map<number, number>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) position.set(payload.partition, Number(payload.lastOffset) + 1);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= expected, `${expected} committed records of ${topic}`, timeoutMs);
    const ends = await admin.fetchTopicOffsets(topic); // read_committed: the last stable offsets
    await waitFor(
      () => ends.every((p) => (position.get(p.partition) ?? 0) >= Number(p.offset)),
      `the read_committed consumer of ${topic} to pass the last stable offset of every partition (${ends.map((p) => `${p.partition}:${p.offset}`).join(' ')})`,
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  return seen;
}

/** readCommittedKafkajs with @platformatic/kafka (isolationLevel 1, a stream from the earliest offset). */
export async function readCommittedPlatformatic(bootstrap: Bootstrap, topic: string, expected: number, timeoutMs = 20_000): Promise<string[]> {
  const consumer = pkConsumer(bootstrap, { clientId: 'pk-rc', groupId: `pk-rc-${topic}-${Date.now()}-${Math.random()}`, maxWaitTime: 100 });
  const seen: string[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100, isolationLevel: 1 });
    stream.on('data', (m) => void seen.push(m.value.toString()));
    try {
      await waitFor(() => seen.length >= expected, `${expected} committed records of ${topic}`, timeoutMs);
      const ends = (await consumer.listOffsets({ topics: [topic], isolationLevel: 1 })).get(topic)!;
      // offsetsToFetch moves past control batches too; an empty buffer means every record read was delivered.
      await waitFor(
        () => ends.every((end, p) => (stream.offsetsToFetch.get(`${topic}:${p}`) ?? 0n) >= end) && stream.readableLength === 0,
        `the read_committed stream of ${topic} to pass the last stable offset of every partition (${ends.join(' ')})`,
        timeoutMs,
      );
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
  return seen;
}

// The console's connections to the cluster: one admin, one producer and one consumer (used only
// for plain Fetch requests, never joining a group), made on first use and kept while the console
// runs. Everything goes over the Kafka protocol, so the console works with any Kafka-compatible
// cluster and needs nothing from the broker's internals.
import { AggregationAdmin } from '../../aggregation/admin-client.js';
import type { ClientSettings } from '../../aggregation/kafka-client.js';
import { loadKafka, type Kafka } from '../client/common.js';
import { ConsoleRequestError } from './console-errors.js';

type Admin = import('@platformatic/kafka').Admin;
type Producer = import('@platformatic/kafka').Producer<Buffer, Buffer, Buffer, Buffer>;
type Consumer = import('@platformatic/kafka').Consumer<Buffer, Buffer, Buffer, Buffer>;

export class ClusterClients {
  private kafkaP: Promise<Kafka> | null = null;
  private adminC: Admin | null = null;
  private producerC: Producer | null = null;
  private consumerC: Consumer | null = null;
  private aggregationsC: Promise<AggregationAdmin> | null = null;
  private closed = false;

  constructor(
    readonly bootstrap: string[],
    private readonly security: import('@platformatic/kafka').ConnectionOptions = {},
  ) {}

  private options(clientId: string) {
    return { ...this.security, clientId, bootstrapBrokers: this.bootstrap, connectTimeout: 5_000, timeout: 10_000, retries: 1 };
  }

  kafka(): Promise<Kafka> {
    this.kafkaP ??= loadKafka();
    return this.kafkaP;
  }

  async admin(): Promise<Admin> {
    const k = await this.kafka();
    if (this.closed) throw new Error('console is closing');
    this.adminC ??= new k.Admin(this.options('tributary-console'));
    return this.adminC;
  }

  async producer(): Promise<Producer> {
    const k = await this.kafka();
    if (this.closed) throw new Error('console is closing');
    // Topics are created on purpose in the console, never by producing to a typo.
    this.producerC ??= new k.Producer({ ...this.options('tributary-console-producer'), acks: -1, autocreateTopics: false });
    return this.producerC;
  }

  async consumer(): Promise<Consumer> {
    const k = await this.kafka();
    if (this.closed) throw new Error('console is closing');
    // The client wants a group id; the console only sends Fetch, so this group never exists.
    this.consumerC ??= new k.Consumer({ ...this.options('tributary-console-browser'), groupId: `tributary-console-${process.pid}` });
    return this.consumerC;
  }

  /** The reader of the aggregation stage's topics (definitions and status). */
  async aggregations(): Promise<AggregationAdmin> {
    if (this.closed) throw new Error('console is closing');
    this.aggregationsC ??= AggregationAdmin.connect({ ...this.options('tributary-console-aggregations'), requestTimeout: 10_000 } as ClientSettings);
    return this.aggregationsC;
  }

  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumerC;
    await Promise.all([
      this.aggregationsC?.then((a) => a.close()).catch(() => undefined),
      this.adminC?.close().catch(() => undefined),
      this.producerC?.close().catch(() => undefined),
      consumer ? new Promise<void>((resolve) => consumer.close(true, () => resolve())) : undefined,
    ]);
  }
}

/**
 * Metadata of one topic, fresh. The client reports a missing topic as a plain "Unknown topic"
 * error; the console answers it with Kafka's name for it.
 */
export async function topicMetadata(client: { metadata: Admin['metadata'] }, topic: string) {
  let meta;
  try {
    meta = await client.metadata({ topics: [topic], forceUpdate: true });
  } catch (e) {
    if (/^Unknown topic/i.test((e as Error).message ?? '')) throw new ConsoleRequestError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic: ${topic}`, 404);
    throw e;
  }
  const t = meta.topics.get(topic);
  if (!t) throw new ConsoleRequestError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host this topic: ${topic}`, 404);
  return t;
}

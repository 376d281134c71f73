// Managing aggregations of a running broker over the Kafka protocol: what `tributary
// aggregations` does. Writes go to __tributary_aggregations; the broker applies them and reports
// through __tributary_aggregation_status, which is polled to confirm each change.
import { type AggregationDefinition, validateDefinition } from './definition.js';
import { DEFINITIONS_TOPIC, STATUS_TOPIC, type KeyValue, type TargetState, decodeDefinitionsRecord, definitionRecord, targetStateRecord } from './definitions-log.js';
import { type ClientSettings, type KafkaAdmin, type KafkaConsumer, type KafkaProducer, closeClient, errorText, isUnknownTopic, loadKafka, readTopicToEnd } from './kafka-client.js';
import type { AggregationStatus } from './status.js';

export interface StoredDefinition {
  name: string;
  raw: unknown;
  definition: AggregationDefinition | null;
  target: TargetState;
  offset: number;
}

export class AggregationAdmin {
  private producer: KafkaProducer | null = null;
  private adminClient: KafkaAdmin | null = null;
  private readonly known = new Set<string>();

  private constructor(
    private readonly consumer: KafkaConsumer,
    private readonly settings: ClientSettings,
  ) {}

  static async connect(settings: ClientSettings): Promise<AggregationAdmin> {
    const { Consumer } = await loadKafka();
    return new AggregationAdmin(new Consumer({ ...settings, groupId: `${settings.clientId}-reader` }), settings);
  }

  async close(): Promise<void> {
    await Promise.all([closeClient(this.consumer), closeClient(this.producer), closeClient(this.adminClient)]);
  }

  async definitions(): Promise<Map<string, StoredDefinition>> {
    const out = new Map<string, StoredDefinition>();
    const targets = new Map<string, TargetState>();
    if (!(await this.exists(DEFINITIONS_TOPIC))) return out;
    for (const r of await readTopicToEnd(this.consumer, DEFINITIONS_TOPIC)) {
      const e = decodeDefinitionsRecord(r.key, r.value);
      if (e.kind === 'target') targets.set(e.name, e.state);
      else if (e.kind === 'definition') {
        if (e.raw === null) out.delete(e.name);
        else {
          const v = validateDefinition(e.raw);
          out.set(e.name, { name: e.name, raw: e.raw, definition: v.ok ? v.definition : null, target: 'RUNNING', offset: r.offset });
        }
      }
    }
    for (const [name, d] of out) d.target = targets.get(name) ?? 'RUNNING';
    return out;
  }

  async statuses(): Promise<Map<string, AggregationStatus>> {
    const out = new Map<string, AggregationStatus>();
    if (!(await this.exists(STATUS_TOPIC))) return out;
    for (const r of await readTopicToEnd(this.consumer, STATUS_TOPIC)) {
      const name = r.key?.toString('utf8').replace(/^status:/, '');
      if (!name) continue;
      if (r.value === null) out.delete(name);
      else {
        try {
          out.set(name, JSON.parse(r.value.toString('utf8')) as AggregationStatus);
        } catch {
          // a status record we cannot read: skip it
        }
      }
    }
    return out;
  }

  putDefinition(name: string, raw: unknown): Promise<number> {
    return this.send(definitionRecord(name, raw));
  }

  deleteDefinition(name: string): Promise<number> {
    return this.send(definitionRecord(name, null));
  }

  setTargetState(name: string, state: TargetState): Promise<number> {
    return this.send(targetStateRecord(name, state));
  }

  private async send(kv: KeyValue): Promise<number> {
    if (!this.producer) {
      const { Producer } = await loadKafka();
      this.producer = new Producer({ ...this.settings, acks: -1, retries: 3 });
    }
    const message = { topic: DEFINITIONS_TOPIC, partition: 0, key: kv.key, value: kv.value as Buffer };
    let res;
    try {
      res = await this.producer.send({ messages: [message] });
    } catch (e) {
      if (!isUnknownTopic(e)) throw e;
      // The broker creates the definitions topic on first use; the first change made over the
      // protocol creates it here, in its shape (compacted, one partition: the order of changes).
      await this.createDefinitionsTopic();
      res = await this.producer.send({ messages: [message] });
    }
    const off = res.offsets?.[0]?.offset;
    return off === undefined ? -1 : Number(off);
  }

  private async createDefinitionsTopic(): Promise<void> {
    try {
      await (await this.admin()).createTopics({ topics: [DEFINITIONS_TOPIC], partitions: 1, replicas: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] });
    } catch (e) {
      if (!/TOPIC_ALREADY_EXISTS|already exists/i.test(errorText(e))) throw e;
    }
  }

  /**
   * Whether the topic exists, from a listing of all topics. The stage creates its topics on first
   * use, and asking for a missing topic by name makes the client retry for seconds first.
   */
  private async exists(topic: string): Promise<boolean> {
    if (this.known.has(topic)) return true;
    const topics = await (await this.admin()).listTopics({ includeInternals: true });
    for (const t of topics) this.known.add(t);
    return this.known.has(topic);
  }

  private async admin(): Promise<KafkaAdmin> {
    if (!this.adminClient) {
      const { Admin } = await loadKafka();
      this.adminClient = new Admin(this.settings);
    }
    return this.adminClient;
  }

  /** Polls the status topic until `accept` says yes, or the timeout. */
  async waitForStatus(name: string, accept: (s: AggregationStatus | undefined) => boolean, timeoutMs: number): Promise<AggregationStatus | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = (await this.statuses()).get(name);
      if (accept(s)) return s;
      if (Date.now() > deadline) throw new Error(`the broker did not confirm the change within ${timeoutMs} ms (is tributary.aggregations.enable on?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

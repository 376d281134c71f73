// Managing aggregations of a running broker over the Kafka protocol: what `tributary
// aggregations` does. Writes go to __tributary_aggregations; the broker applies them and reports
// through __tributary_aggregation_status, which is polled to confirm each change.
import { type AggregationDefinition, validateDefinition } from './definition.js';
import { DEFINITIONS_TOPIC, STATUS_TOPIC, type KeyValue, type TargetState, decodeDefinitionsRecord, definitionRecord, targetStateRecord } from './definitions-log.js';
import { type ClientSettings, type KafkaConsumer, type KafkaProducer, closeClient, loadKafka, readTopicToEnd } from './kafka-client.js';
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

  private constructor(
    private readonly consumer: KafkaConsumer,
    private readonly settings: ClientSettings,
  ) {}

  static async connect(settings: ClientSettings): Promise<AggregationAdmin> {
    const { Consumer } = await loadKafka();
    return new AggregationAdmin(new Consumer({ ...settings, groupId: `${settings.clientId}-reader` }), settings);
  }

  async close(): Promise<void> {
    await Promise.all([closeClient(this.consumer), closeClient(this.producer)]);
  }

  async definitions(): Promise<Map<string, StoredDefinition>> {
    const out = new Map<string, StoredDefinition>();
    const targets = new Map<string, TargetState>();
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
    const res = await this.producer.send({ messages: [{ topic: DEFINITIONS_TOPIC, partition: 0, key: kv.key, value: kv.value as Buffer }] });
    const off = res.offsets?.[0]?.offset;
    return off === undefined ? -1 : Number(off);
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

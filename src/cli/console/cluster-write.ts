// The write side of the console's JSON API: create and delete a topic, produce one record, reset
// an empty group's committed offsets. Request bodies are checked here so a bad field gets a clear
// INVALID_REQUEST instead of whatever the client library would make of it.
import { logOffsets } from '../client/group-command.js';
import { topicMetadata, type ClusterClients } from './cluster-clients.js';
import { describeGroup } from './group-describe.js';
import { ConsoleRequestError } from './console-errors.js';

const invalid = (msg: string) => new ConsoleRequestError('INVALID_REQUEST', msg);

function obj(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function optInt(o: Record<string, unknown>, key: string, min: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw invalid(`${key} must be an integer >= ${min}`);
  return n;
}

function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${key} must be a string`);
  return v;
}

export async function createTopic(c: ClusterClients, body: unknown) {
  const o = obj(body);
  const name = optString(o, 'name');
  if (!name) throw invalid('name is required');
  const partitions = optInt(o, 'partitions', 1) ?? -1;
  const replicas = optInt(o, 'replicationFactor', 1) ?? -1;
  const rawConfigs = o.configs ?? {};
  if (rawConfigs === null || typeof rawConfigs !== 'object' || Array.isArray(rawConfigs)) throw invalid('configs must be an object of key: value');
  const configs = Object.entries(rawConfigs as Record<string, unknown>).map(([k, v]) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`config ${k} must be a string or a number`);
    return { name: k, value: String(v) };
  });
  const admin = await c.admin();
  // Name rules, existence and configs are the cluster's to judge: its error names come back.
  const [created] = await admin.createTopics({ topics: [name], partitions, replicas, configs });
  return { name, id: created?.id ?? null, partitions: created?.partitions ?? null, replicationFactor: created?.replicas ?? null };
}

export async function deleteTopic(c: ClusterClients, name: string) {
  const admin = await c.admin();
  await admin.deleteTopics({ topics: [name] });
  return { name, deleted: true };
}

export async function produceRecord(c: ClusterClients, topic: string, body: unknown) {
  const o = obj(body);
  const key = optString(o, 'key');
  const value = optString(o, 'value') ?? '';
  const partition = optInt(o, 'partition', 0);
  const rawHeaders = o.headers ?? {};
  if (rawHeaders === null || typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) throw invalid('headers must be an object of name: value');
  const headers = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(rawHeaders as Record<string, unknown>)) {
    if (typeof v !== 'string') throw invalid(`header ${k} must be a string`);
    headers.set(Buffer.from(k), Buffer.from(v));
  }
  const producer = await c.producer();
  const kafka = await c.kafka();
  const count = (await topicMetadata(producer, topic)).partitionsCount;
  if (partition !== undefined && partition >= count) throw new ConsoleRequestError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} has no partition ${partition}`, 404);
  const keyBuf = key === undefined || key === '' ? undefined : Buffer.from(key);
  // The Java client's partitioner: murmur2 of the key, or partition 0..n-1 at random without one.
  const chosen = partition ?? (keyBuf ? (kafka.murmur2(keyBuf) & 0x7fffffff) % count : Math.floor(Math.random() * count));
  const result = await producer.send({ messages: [{ topic, key: keyBuf, value: Buffer.from(value), headers, partition: chosen }] });
  const off = result.offsets?.find((x) => x.partition === chosen);
  return { topic, partition: chosen, offset: off ? Number(off.offset) : null };
}

/** Commits new offsets for the group (to-earliest, to-latest or to-offset), only while it is empty. */
export async function resetGroupOffsets(c: ClusterClients, group: string, body: unknown) {
  const o = obj(body);
  const to = optString(o, 'to');
  if (to !== 'earliest' && to !== 'latest' && to !== 'offset') throw invalid("to must be 'earliest', 'latest' or 'offset'");
  const target = to === 'offset' ? optInt(o, 'offset', 0) : undefined;
  if (to === 'offset' && target === undefined) throw invalid('offset is required with to=offset');
  const onlyTopic = optString(o, 'topic') || undefined;
  const admin = await c.admin();
  const g = await describeGroup(c, group);
  if (g.members.length > 0)
    // kafka-consumer-groups.sh refuses the same way; NON_EMPTY_GROUP is Kafka's name for it.
    throw new ConsoleRequestError('NON_EMPTY_GROUP', `Offsets can only be reset if the group ${group} is inactive, but the current state is ${g.state}`, 409);
  const [res] = await admin.listConsumerGroupOffsets({ groups: [group] });
  const parts = (res?.topics ?? []).flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex] as const)).filter(([t]) => !onlyTopic || t === onlyTopic);
  if (parts.length === 0) throw new ConsoleRequestError('GROUP_ID_NOT_FOUND', `Group ${group} has no committed offsets${onlyTopic ? ` for topic ${onlyTopic}` : ''}`, 404);
  const ends = await logOffsets(admin, parts);
  const plan = parts.map(([topic, partition]) => {
    const e = ends.get(`${topic}:${partition}`)!;
    const wanted = to === 'earliest' ? e.logStartOffset : to === 'latest' ? e.logEndOffset : target!;
    // As kafka-consumer-groups: a target outside the log moves to its nearest end.
    return { topic, partition, offset: Math.min(Math.max(wanted, e.logStartOffset), e.logEndOffset) };
  });
  const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
  for (const x of plan) byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), { partition: x.partition, offset: BigInt(x.offset) }]);
  await admin.alterConsumerGroupOffsets({ groupId: group, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) });
  return { group, partitions: plan };
}

// The read side of the console's JSON API: cluster overview, topics, one topic, consumer groups
// and one group with lag. Each answer is built from standard Kafka requests (Metadata,
// ApiVersions, ListOffsets, DescribeLogDirs, DescribeConfigs, ListGroups, DescribeGroups,
// OffsetFetch), so it means the same against Tributary and against Apache Kafka.
import { version } from '../../version.js';
import { committedWithEnds, logOffsets } from '../client/group-command.js';
import { topicMetadata, type ClusterClients } from './cluster-clients.js';
import { ConsoleRequestError } from './console-errors.js';
import { describeGroup, kafkaGroupState, listAllGroups } from './group-describe.js';

type Admin = import('@platformatic/kafka').Admin;

export async function clusterOverview(c: ClusterClients) {
  const admin = await c.admin();
  const [meta, apis, topics] = await Promise.all([admin.metadata({ topics: [], forceUpdate: true }), admin.listApis(), admin.listTopics({ includeInternals: true })]);
  const brokers = [...meta.brokers.entries()].map(([id, b]) => ({ id, host: b.host, port: b.port, rack: b.rack ?? null, controller: id === meta.controllerId })).sort((a, b) => a.id - b.id);
  // Kafka does not put its release in any response; what a client can know is which API versions
  // the broker speaks (ApiVersions), which is what decides compatibility.
  const api = (name: string) => apis.find((a) => a.name === name);
  const range = (name: string) => {
    const a = api(name);
    return a ? `v${a.minVersion}-v${a.maxVersion}` : null;
  };
  return {
    clusterId: meta.id,
    controllerId: meta.controllerId,
    brokers,
    topicCount: topics.length,
    apiCount: apis.length,
    apiVersions: { Produce: range('Produce'), Fetch: range('Fetch'), Metadata: range('Metadata'), ConsumerGroupHeartbeat: range('ConsumerGroupHeartbeat') },
    consoleVersion: version(),
  };
}

/** Sizes on disk per partition from DescribeLogDirs (one replica's size); null if unsupported. */
async function partitionSizes(admin: Admin, topics: { name: string; partitions: number[] }[]): Promise<Map<string, number> | null> {
  if (topics.length === 0) return new Map();
  try {
    const res = await admin.describeLogDirs({ topics });
    const out = new Map<string, number>();
    for (const broker of res)
      for (const dir of broker.results)
        for (const t of dir.topics)
          for (const p of t.partitions) {
            const key = `${t.name}:${p.partitionIndex}`;
            // Replicas on several brokers hold the same data: count the partition once.
            out.set(key, Math.max(out.get(key) ?? 0, Number(p.partitionSize)));
          }
    return out;
  } catch {
    return null;
  }
}

export async function topicList(c: ClusterClients) {
  const admin = await c.admin();
  const [all, external] = await Promise.all([admin.listTopics({ includeInternals: true }), admin.listTopics({ includeInternals: false })]);
  const names = all.sort();
  if (names.length === 0) return [];
  const meta = await admin.metadata({ topics: names, forceUpdate: true });
  const parts = names.flatMap((n) => (meta.topics.get(n)?.partitions ?? []).map((_, i) => [n, i] as const));
  const [offsets, sizes] = await Promise.all([
    logOffsets(admin, parts).catch(() => null),
    partitionSizes(admin, names.map((name) => ({ name, partitions: (meta.topics.get(name)?.partitions ?? []).map((_, i) => i) }))),
  ]);
  return names.map((name) => {
    const t = meta.topics.get(name);
    const count = t?.partitionsCount ?? 0;
    let messages: number | null = offsets ? 0 : null;
    let endOffsets: number | null = offsets ? 0 : null;
    let size: number | null = sizes ? 0 : null;
    for (let i = 0; i < count; i++) {
      const o = offsets?.get(`${name}:${i}`);
      // end - start: what is in the log (transaction markers and compaction gaps included).
      if (messages !== null) messages = o ? messages + (o.logEndOffset - o.logStartOffset) : null;
      if (endOffsets !== null) endOffsets = o ? endOffsets + o.logEndOffset : null;
      if (size !== null) size += sizes?.get(`${name}:${i}`) ?? 0;
    }
    return { name, id: t?.id ?? null, internal: !external.includes(name), partitions: count, replicationFactor: t?.partitions[0]?.replicas.length ?? 0, messages, endOffsets, sizeBytes: size };
  });
}

export async function topicDetail(c: ClusterClients, name: string) {
  const admin = await c.admin();
  const kafka = await c.kafka();
  const t = await topicMetadata(admin, name);
  const idx = t.partitions.map((_, i) => i);
  const [offsets, sizes, configs] = await Promise.all([
    logOffsets(admin, idx.map((i) => [name, i] as const)),
    partitionSizes(admin, [{ name, partitions: idx }]),
    admin.describeConfigs({ resources: [{ resourceType: kafka.ConfigResourceTypes.TOPIC, resourceName: name }] }),
  ]);
  const sourceName = Object.fromEntries(Object.entries(kafka.ConfigSources).map(([k, v]) => [v, k]));
  return {
    name,
    id: t.id,
    partitions: t.partitions.map((p, i) => {
      const o = offsets.get(`${name}:${i}`);
      return { partition: i, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, logStartOffset: o?.logStartOffset ?? null, logEndOffset: o?.logEndOffset ?? null, sizeBytes: sizes?.get(`${name}:${i}`) ?? null };
    }),
    configs: (configs[0]?.configs ?? [])
      .map((x) => ({ name: x.name, value: x.isSensitive ? null : x.value, sensitive: x.isSensitive, source: sourceName[x.configSource] ?? String(x.configSource), readOnly: x.readOnly }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export async function groupList(c: ClusterClients) {
  const groups = [...(await listAllGroups(c)).values()].sort((a, b) => a.id.localeCompare(b.id));
  return groups.map((g) => ({ id: g.id, state: kafkaGroupState(g.state), protocolType: g.protocolType || null, type: g.groupType || null }));
}

export async function groupDetail(c: ClusterClients, id: string) {
  const admin = await c.admin();
  const g = await describeGroup(c, id);
  const owner = new Map<string, string>();
  for (const m of g.members) for (const a of m.assignments) for (const p of a.partitions) owner.set(`${a.topic}:${p}`, m.memberId);
  const committed = await committedWithEnds(admin, id);
  const offsets = committed
    .map((x) => ({ topic: x.topic, partition: x.partition, committedOffset: x.offset, logStartOffset: x.logStartOffset, logEndOffset: x.logEndOffset, lag: Math.max(0, x.logEndOffset - x.offset), memberId: owner.get(`${x.topic}:${x.partition}`) ?? null }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  if (g.state === 'Dead' && offsets.length === 0) throw new ConsoleRequestError('GROUP_ID_NOT_FOUND', `The group id ${id} was not found`, 404);
  return { id, state: g.state, type: g.type, protocolType: g.protocolType, protocol: g.protocol, members: g.members, offsets, totalLag: offsets.reduce((s, o) => s + o.lag, 0) };
}

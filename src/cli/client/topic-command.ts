// `tributary topic create|list|describe|alter-config|delete`: kafka-topics.sh / rpk topic habits
// against any Kafka-compatible cluster.
import type { ParsedArgs } from '../cli-args.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, JSON_HELP, UsageError, intOption, keyValue, printJson, runClientCommand, table, withAdmin } from './common.js';

export const TOPIC_USAGE = 'topic <create|list|describe|alter-config|delete> [NAME ...] [options]';

export function topicHelp(): string {
  return commandHelpText({
    usage: TOPIC_USAGE,
    description:
      'Create, list, describe, reconfigure and delete topics on any Kafka-compatible cluster. Example: tributary topic create orders --partitions 3 -c retention.ms=86400000',
    options: [
      ['create NAME ...', 'Create topics (fails if one exists)'],
      ['list', 'Topics with partition counts (-a: internal too)'],
      ['describe NAME ...', 'Partitions (leader, replicas, ISR, offsets) and configs'],
      ['alter-config NAME', 'Change configs: --set k=v, --delete k'],
      ['delete NAME ...', 'Delete topics'],
      ['-p, --partitions N', 'create: partitions (default: broker num.partitions)'],
      ['-r, --replicas N', 'create: replication factor (default: broker default)'],
      ['-c, --config key=value', 'create: topic config (repeatable)'],
      ['--set key=value', 'alter-config: set a config (repeatable)'],
      ['--delete key', 'alter-config: back to its default (repeatable)'],
      ['-a, --all', 'list: include internal topics'],
      ['--if-not-exists', 'create: an existing topic is not an error'],
      BOOTSTRAP_HELP,
      ...SECURITY_HELP,
      JSON_HELP,
    ],
    notes: ['Exit codes: 0 ok, 1 error (from the cluster or the connection), 2 usage.'],
  });
}

export async function runTopicCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const norm = args.map((a) => ({ '-p': '--partitions', '-r': '--replicas', '-a': '--all' })[a] ?? a);
  const [sub, ...rest] = norm;
  const subs = ['create', 'list', 'ls', 'describe', 'alter-config', 'delete'];
  if (!sub || !subs.includes(sub)) {
    deps.stderr(`tributary topic: ${sub ? `unknown subcommand '${sub}'` : 'a subcommand is required'}\nUsage: tributary ${TOPIC_USAGE}\n`);
    return 2;
  }
  return runClientCommand(
    `topic ${sub}`,
    TOPIC_USAGE,
    rest,
    deps,
    { values: ['partitions', 'replicas'], booleans: ['all', 'if-not-exists'], repeated: ['config', 'set', 'delete'] },
    (p, rep) => {
      const names = p.positional;
      if ((sub === 'create' || sub === 'describe' || sub === 'delete') && names.length === 0) throw new UsageError(`${sub} needs a topic name`);
      if (sub === 'alter-config' && names.length !== 1) throw new UsageError('alter-config needs exactly one topic name');
      switch (sub) {
        case 'create':
          return create(p, names, rep.get('config')!, deps);
        case 'list':
        case 'ls':
          return list(p, deps);
        case 'describe':
          return describe(p, names, deps);
        case 'alter-config':
          return alterConfig(p, names[0]!, rep.get('set')!, rep.get('delete')!, deps);
        default:
          return remove(p, names, deps);
      }
    },
  );
}

async function create(p: ParsedArgs, names: string[], configs: string[], deps: CliDeps): Promise<number> {
  const partitions = intOption(p, 'partitions', -1, 1);
  const replicas = intOption(p, 'replicas', -1, 1);
  const configEntries = configs.map((c) => keyValue(c, '--config')).map(([name, value]) => ({ name, value }));
  return withAdmin(p, deps, async (admin) => {
    const rows: { topic: string; partitions?: number; replicas?: number; error?: string }[] = [];
    let failed = 0;
    for (const topic of names) {
      try {
        const [created] = await admin.createTopics({ topics: [topic], partitions, replicas, configs: configEntries });
        rows.push({ topic, partitions: created?.partitions, replicas: created?.replicas });
      } catch (e) {
        const text = (await import('./common.js')).errorText(e);
        if (p.booleans.has('if-not-exists') && /TOPIC_ALREADY_EXISTS|already exists/i.test(text)) rows.push({ topic, error: 'exists' });
        else {
          failed++;
          rows.push({ topic, error: text });
        }
      }
    }
    if (p.booleans.has('json')) printJson(deps, rows);
    else deps.stdout(table(['TOPIC', 'STATUS'], rows.map((r) => [r.topic, r.error ?? 'OK'])));
    return failed > 0 ? 1 : 0;
  });
}

async function list(p: ParsedArgs, deps: CliDeps): Promise<number> {
  return withAdmin(p, deps, async (admin) => {
    const names = (await admin.listTopics({ includeInternals: p.booleans.has('all') })).sort();
    const meta = names.length > 0 ? await admin.metadata({ topics: names }) : null;
    const rows = names.map((name) => {
      const t = meta?.topics.get(name);
      return { name, id: t?.id, partitions: t?.partitionsCount ?? 0, replicas: t?.partitions[0]?.replicas.length ?? 0 };
    });
    if (p.booleans.has('json')) printJson(deps, rows);
    else deps.stdout(table(['NAME', 'PARTITIONS', 'REPLICAS'], rows.map((r) => [r.name, r.partitions, r.replicas])));
    return 0;
  });
}

async function describe(p: ParsedArgs, names: string[], deps: CliDeps): Promise<number> {
  return withAdmin(p, deps, async (admin, kafka) => {
    const meta = await admin.metadata({ topics: names });
    const offsetsFor = async (ts: bigint) =>
      admin.listOffsets({
        topics: names.map((name) => ({ name, partitions: (meta.topics.get(name)?.partitions ?? []).map((_, i) => ({ partitionIndex: i, timestamp: ts })) })),
      });
    const [earliest, latest] = [await offsetsFor(-2n), await offsetsFor(-1n)];
    const configs = await admin.describeConfigs({ resources: names.map((resourceName) => ({ resourceType: kafka.ConfigResourceTypes.TOPIC, resourceName })) });
    const sourceName = Object.fromEntries(Object.entries(kafka.ConfigSources).map(([k, v]) => [v, k]));
    const out = names.map((name) => {
      const t = meta.topics.get(name)!;
      const off = (list: typeof earliest, i: number) => list.find((x) => x.name === name)?.partitions.find((x) => x.partitionIndex === i)?.offset;
      return {
        name,
        id: t.id,
        partitions: t.partitions.map((part, i) => ({
          partition: i,
          leader: part.leader,
          leaderEpoch: part.leaderEpoch,
          replicas: part.replicas,
          isr: part.isr,
          logStartOffset: off(earliest, i),
          highWatermark: off(latest, i),
        })),
        configs: (configs.find((c) => c.resourceName === name)?.configs ?? [])
          .map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, source: sourceName[c.configSource] ?? String(c.configSource), readOnly: c.readOnly }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    });
    if (p.booleans.has('json')) {
      printJson(deps, out);
      return 0;
    }
    for (const t of out) {
      deps.stdout(`SUMMARY\nNAME        ${t.name}\nID          ${t.id}\nPARTITIONS  ${t.partitions.length}\n\nPARTITIONS\n`);
      deps.stdout(
        table(
          ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'HIGH-WATERMARK'],
          t.partitions.map((x) => [x.partition, x.leader, x.leaderEpoch, x.replicas.join(','), x.isr.join(','), x.logStartOffset, x.highWatermark]),
        ),
      );
      deps.stdout('\nCONFIGS\n' + table(['KEY', 'VALUE', 'SOURCE'], t.configs.map((c) => [c.name, c.value, c.source])) + '\n');
    }
    return 0;
  });
}

async function alterConfig(p: ParsedArgs, name: string, sets: string[], deletes: string[], deps: CliDeps): Promise<number> {
  if (sets.length === 0 && deletes.length === 0) throw new UsageError('alter-config needs --set key=value or --delete key');
  const setPairs = sets.map((s) => keyValue(s, '--set'));
  return withAdmin(p, deps, async (admin, kafka) => {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: kafka.ConfigResourceTypes.TOPIC,
          resourceName: name,
          configs: [
            ...setPairs.map(([k, value]) => ({ name: k, configOperation: kafka.IncrementalAlterConfigOperationTypes.SET, value })),
            ...deletes.map((k) => ({ name: k, configOperation: kafka.IncrementalAlterConfigOperationTypes.DELETE })),
          ],
        },
      ],
    });
    const changes = [...setPairs.map(([k, v]) => ({ key: k, value: v, operation: 'set' })), ...deletes.map((k) => ({ key: k, value: null, operation: 'delete' }))];
    if (p.booleans.has('json')) printJson(deps, { topic: name, changes });
    else deps.stdout(table(['TOPIC', 'KEY', 'OPERATION', 'VALUE'], changes.map((c) => [name, c.key, c.operation, c.value])));
    return 0;
  });
}

async function remove(p: ParsedArgs, names: string[], deps: CliDeps): Promise<number> {
  return withAdmin(p, deps, async (admin) => {
    const { errorText } = await import('./common.js');
    const rows: { topic: string; error?: string }[] = [];
    for (const topic of names) {
      try {
        await admin.deleteTopics({ topics: [topic] });
        rows.push({ topic });
      } catch (e) {
        rows.push({ topic, error: errorText(e) });
      }
    }
    if (p.booleans.has('json')) printJson(deps, rows);
    else deps.stdout(table(['TOPIC', 'STATUS'], rows.map((r) => [r.topic, r.error ?? 'OK'])));
    return rows.some((r) => r.error) ? 1 : 0;
  });
}

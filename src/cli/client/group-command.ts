// `tributary group list|describe|reset-offsets|delete`: kafka-consumer-groups.sh habits. Lag per
// partition is the log end offset minus the group's committed offset; reset-offsets is a dry run
// that prints the plan unless --execute is given, and only runs on a group with no members.
import type { ParsedArgs } from '../cli-args.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { describeConsumerGroup } from '../console/group-describe.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, JSON_HELP, UsageError, errorText, type Kafka, printJson, runClientCommand, table, withAdmin } from './common.js';

type Admin = import('@platformatic/kafka').Admin;

export const GROUP_USAGE = 'group <list|describe|reset-offsets|delete> [GROUP ...] [options]';

export function groupHelp(): string {
  return commandHelpText({
    usage: GROUP_USAGE,
    description:
      'Consumer groups: list them, describe members and lag per partition, reset committed offsets, delete them. Example: tributary group reset-offsets billing --topic orders --to-earliest --execute',
    options: [
      ['list', 'Every group with its state and protocol type'],
      ['describe GROUP ...', 'Per partition: committed offset, log end offset, lag, member'],
      ['reset-offsets GROUP', 'Prints the new offsets; commits them with --execute'],
      ['delete GROUP ...', 'Delete groups (they must have no members)'],
      ['--topic T[:P,P]', 'reset-offsets: the topic (and partitions) to reset (repeatable)'],
      ['--all-topics', 'reset-offsets: every topic the group has offsets for'],
      ['--to-earliest', 'reset-offsets: to the log start offset'],
      ['--to-latest', 'reset-offsets: to the log end offset'],
      ['--to-offset N', 'reset-offsets: to offset N (kept within the log)'],
      ['--to-datetime T', 'reset-offsets: to the first offset at or after T (ISO date or ms)'],
      ['--shift-by N', 'reset-offsets: move the committed offset by N (may be negative)'],
      ['--execute', 'reset-offsets: commit the plan (default: dry run)'],
      BOOTSTRAP_HELP,
      ...SECURITY_HELP,
      JSON_HELP,
    ],
    notes: ['Exit codes: 0 ok, 1 error (from the cluster, or a reset refused because the group has members), 2 usage.'],
  });
}

export async function runGroupCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const [sub, ...rest] = args;
  const subs = ['list', 'ls', 'describe', 'reset-offsets', 'delete'];
  if (!sub || !subs.includes(sub)) {
    deps.stderr(`tributary group: ${sub ? `unknown subcommand '${sub}'` : 'a subcommand is required'}\nUsage: tributary ${GROUP_USAGE}\n`);
    return 2;
  }
  return runClientCommand(
    `group ${sub}`,
    GROUP_USAGE,
    rest,
    deps,
    { values: ['to-offset', 'to-datetime', 'shift-by'], booleans: ['all-topics', 'to-earliest', 'to-latest', 'execute', 'dry-run'], repeated: ['topic'] },
    (p, rep) => {
      const groups = p.positional;
      if (sub !== 'list' && sub !== 'ls' && groups.length === 0) throw new UsageError(`${sub} needs a group id`);
      return withAdmin(p, deps, async (admin, kafka) => {
        switch (sub) {
          case 'list':
          case 'ls':
            return list(admin, p, deps);
          case 'describe':
            return describe(admin, kafka, groups, p, deps);
          case 'reset-offsets':
            if (groups.length !== 1) throw new UsageError('reset-offsets takes one group id');
            return resetOffsets(admin, groups[0]!, rep.get('topic')!, p, deps);
          default:
            return remove(admin, groups, p, deps);
        }
      });
    },
  );
}

async function list(admin: Admin, p: ParsedArgs, deps: CliDeps): Promise<number> {
  // The client's default filter lists classic groups only; no type filter lists KIP-848
  // (consumer) groups too, as kafka-consumer-groups.sh does.
  const groups = [...(await admin.listGroups({ types: [] })).values()].sort((a, b) => a.id.localeCompare(b.id));
  const rows = groups.map((g) => ({ group: g.id, state: g.state, protocolType: g.protocolType, type: g.groupType }));
  if (p.booleans.has('json')) printJson(deps, rows);
  else deps.stdout(table(['GROUP', 'STATE', 'PROTOCOL-TYPE', 'TYPE'], rows.map((r) => [r.group, r.state, r.protocolType || '-', r.type || '-'])));
  return 0;
}

interface OffsetRow {
  topic: string;
  partition: number;
  committedOffset: number | null;
  logStartOffset: number;
  logEndOffset: number;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

/** Committed offsets of a group with the log start/end offsets of those partitions. */
export async function committedWithEnds(admin: Admin, group: string, topics?: { name: string; partitionIndexes: number[] }[]) {
  const [res] = await admin.listConsumerGroupOffsets({ groups: [topics ? { groupId: group, topics } : group] });
  const committed = (res?.topics ?? []).flatMap((t) => t.partitions.map((x) => ({ topic: t.name, partition: x.partitionIndex, offset: Number(x.committedOffset) })));
  const ends = await logOffsets(admin, committed.map((c) => [c.topic, c.partition] as const));
  return committed.map((c) => ({ ...c, ...ends.get(`${c.topic}:${c.partition}`)! }));
}

export async function logOffsets(admin: Admin, parts: readonly (readonly [string, number])[], timestamp?: bigint) {
  const byTopic = new Map<string, number[]>();
  for (const [t, i] of parts) byTopic.set(t, [...(byTopic.get(t) ?? []), i]);
  const ask = async (ts: bigint) =>
    byTopic.size === 0 ? [] : admin.listOffsets({ topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp: ts })) })) });
  const [lo, hi, at] = await Promise.all([ask(-2n), ask(-1n), timestamp === undefined ? Promise.resolve([]) : ask(timestamp)]);
  const out = new Map<string, { logStartOffset: number; logEndOffset: number; atTimestamp?: number }>();
  for (const t of lo) for (const x of t.partitions) out.set(`${t.name}:${x.partitionIndex}`, { logStartOffset: Number(x.offset), logEndOffset: 0 });
  for (const t of hi) for (const x of t.partitions) out.get(`${t.name}:${x.partitionIndex}`)!.logEndOffset = Number(x.offset);
  for (const t of at) for (const x of t.partitions) out.get(`${t.name}:${x.partitionIndex}`)!.atTimestamp = Number(x.offset);
  return out;
}

/** State, assignor and members of a group of either protocol (KIP-848 groups do not answer DescribeGroups). */
async function describeAny(admin: Admin, kafka: Kafka, id: string, consumerGroups: ReadonlySet<string>) {
  if (consumerGroups.has(id)) {
    const d = await describeConsumerGroup(admin, kafka, id);
    return { state: d.state, protocol: d.protocol ?? '', members: d.members.map((m) => ({ id: m.memberId, clientId: m.clientId, host: m.host, assignments: m.assignments })) };
  }
  const g = (await admin.describeGroups({ groups: [id] })).get(id);
  return {
    state: g?.state ?? 'DEAD',
    protocol: g?.protocol ?? '',
    members: [...(g?.members.values() ?? [])].map((m) => ({
      id: m.id,
      clientId: m.clientId,
      host: m.clientHost,
      assignments: [...(m.assignments ?? [])].map(([topic, a]) => ({ topic, partitions: [...a.partitions] })),
    })),
  };
}

async function describe(admin: Admin, kafka: Kafka, groups: string[], p: ParsedArgs, deps: CliDeps): Promise<number> {
  const listed = await admin.listGroups({ types: [] });
  const consumerGroups = new Set([...listed.values()].filter((g) => g.groupType === 'consumer').map((g) => g.id));
  const out = [];
  let missing = 0;
  for (const id of groups) {
    const g = await describeAny(admin, kafka, id, consumerGroups);
    const owner = new Map<string, { memberId: string; clientId: string; host: string }>();
    const assigned: [string, number][] = [];
    for (const m of g.members) {
      for (const a of m.assignments) {
        for (const partition of a.partitions) {
          owner.set(`${a.topic}:${partition}`, { memberId: m.id, clientId: m.clientId, host: m.host });
          assigned.push([a.topic, partition]);
        }
      }
    }
    const committed = await committedWithEnds(admin, id);
    // Assigned partitions with nothing committed yet still show, with an unknown lag (as Kafka).
    const extra = assigned.filter(([t, i]) => !committed.some((c) => c.topic === t && c.partition === i));
    const extraEnds = await logOffsets(admin, extra);
    const rows: OffsetRow[] = [
      ...committed.map((c) => ({ topic: c.topic, partition: c.partition, committedOffset: c.offset, logStartOffset: c.logStartOffset, logEndOffset: c.logEndOffset })),
      ...extra.map(([topic, partition]) => ({ topic, partition, committedOffset: null, ...extraEnds.get(`${topic}:${partition}`)! })),
    ]
      .map((r) => {
        const o = owner.get(`${r.topic}:${r.partition}`);
        return { ...r, lag: r.committedOffset === null ? null : Math.max(0, r.logEndOffset - r.committedOffset), memberId: o?.memberId ?? null, clientId: o?.clientId ?? null, host: o?.host ?? null };
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const state = g.state;
    if (/^dead$/i.test(state) && rows.length === 0) missing++;
    out.push({ group: id, state, protocol: g.protocol, members: g.members.length, totalLag: rows.reduce((s, r) => s + (r.lag ?? 0), 0), partitions: rows });
  }
  if (p.booleans.has('json')) printJson(deps, out);
  else
    for (const g of out) {
      deps.stdout(`GROUP        ${g.group}\nSTATE        ${g.state}\nMEMBERS      ${g.members}\nTOTAL-LAG    ${g.totalLag}\n\n`);
      deps.stdout(
        table(
          ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
          g.partitions.map((r) => [r.topic, r.partition, r.committedOffset, r.logEndOffset, r.lag, r.memberId, r.host, r.clientId]),
        ) + '\n',
      );
    }
  if (missing > 0) deps.stderr(`tributary group describe: ${missing === 1 ? 'a group does' : `${missing} groups do`} not exist (state DEAD, no offsets)\n`);
  return missing > 0 ? 1 : 0;
}

function parseTopicSpecs(specs: string[]): { name: string; partitions: number[] | null }[] {
  return specs.map((s) => {
    const [name, parts] = s.split(':') as [string, string | undefined];
    if (!name) throw new UsageError(`--topic needs a name, got '${s}'`);
    if (parts === undefined) return { name, partitions: null };
    const partitions = parts.split(',').map(Number);
    if (partitions.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`--topic partitions must be non-negative integers, got '${s}'`);
    return { name, partitions };
  });
}

async function resetOffsets(admin: Admin, group: string, topicSpecs: string[], p: ParsedArgs, deps: CliDeps): Promise<number> {
  const targets = ['to-earliest', 'to-latest'].filter((f) => p.booleans.has(f)).concat(['to-offset', 'to-datetime', 'shift-by'].filter((f) => p.flags.has(f)));
  if (targets.length !== 1) throw new UsageError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by');
  if ((topicSpecs.length > 0) === p.booleans.has('all-topics')) throw new UsageError('reset-offsets needs --topic T (repeatable) or --all-topics');
  const target = targets[0]!;
  const num = (flag: string): number => {
    const n = Number(p.flags.get(flag));
    if (!Number.isInteger(n)) throw new UsageError(`--${flag} must be an integer`);
    return n;
  };
  const toOffset = target === 'to-offset' ? num('to-offset') : 0;
  const shift = target === 'shift-by' ? num('shift-by') : 0;
  let datetime: bigint | undefined;
  if (target === 'to-datetime') {
    const v = p.flags.get('to-datetime')!;
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isNaN(ms)) throw new UsageError(`--to-datetime must be an ISO date or ms since the epoch, got '${v}'`);
    datetime = BigInt(ms);
  }

  const g = (await admin.describeGroups({ groups: [group] })).get(group);
  const state = g?.state ?? 'DEAD';
  if (p.booleans.has('execute') && (g?.members.size ?? 0) > 0) {
    deps.stderr(`tributary group reset-offsets: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${state}.\n`);
    return 1;
  }

  // Which partitions: the named ones (all partitions of a topic without :P), or every partition
  // the group has offsets for.
  const committed = await committedWithEnds(admin, group);
  let parts: [string, number][];
  if (p.booleans.has('all-topics')) parts = committed.map((c) => [c.topic, c.partition]);
  else {
    const specs = parseTopicSpecs(topicSpecs);
    const meta = await admin.metadata({ topics: specs.map((s) => s.name) });
    parts = specs.flatMap((s) => {
      const count = meta.topics.get(s.name)?.partitionsCount ?? 0;
      const bad = (s.partitions ?? []).find((i) => i >= count);
      if (bad !== undefined) throw new Error(`topic ${s.name} has no partition ${bad}`);
      return (s.partitions ?? [...Array(count).keys()]).map((i) => [s.name, i] as [string, number]);
    });
  }
  const ends = await logOffsets(admin, parts, datetime);
  const plan = parts.map(([topic, partition]) => {
    const e = ends.get(`${topic}:${partition}`)!;
    const current = committed.find((c) => c.topic === topic && c.partition === partition)?.offset ?? null;
    let next: number;
    switch (target) {
      case 'to-earliest':
        next = e.logStartOffset;
        break;
      case 'to-latest':
        next = e.logEndOffset;
        break;
      case 'to-offset':
        next = toOffset;
        break;
      case 'to-datetime':
        next = e.atTimestamp !== undefined && e.atTimestamp >= 0 ? e.atTimestamp : e.logEndOffset;
        break;
      default:
        next = (current ?? e.logEndOffset) + shift;
    }
    // As kafka-consumer-groups: a target outside the log is moved to its nearest end.
    next = Math.min(Math.max(next, e.logStartOffset), e.logEndOffset);
    return { topic, partition, currentOffset: current, newOffset: next };
  });
  const execute = p.booleans.has('execute');
  if (execute && plan.length > 0) {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const x of plan) byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), { partition: x.partition, offset: BigInt(x.newOffset) }]);
    await admin.alterConsumerGroupOffsets({ groupId: group, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) });
  }
  if (p.booleans.has('json')) printJson(deps, { group, executed: execute, partitions: plan });
  else {
    deps.stdout(table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], plan.map((x) => [group, x.topic, x.partition, x.currentOffset, x.newOffset])));
    if (!execute) deps.stdout('\nDry run: nothing committed. Add --execute to commit these offsets.\n');
  }
  return 0;
}

async function remove(admin: Admin, groups: string[], p: ParsedArgs, deps: CliDeps): Promise<number> {
  const rows: { group: string; error?: string }[] = [];
  for (const group of groups) {
    try {
      await admin.deleteGroups({ groups: [group] });
      rows.push({ group });
    } catch (e) {
      rows.push({ group, error: errorText(e) });
    }
  }
  if (p.booleans.has('json')) printJson(deps, rows);
  else deps.stdout(table(['GROUP', 'STATUS'], rows.map((r) => [r.group, r.error ?? 'OK'])));
  return rows.some((r) => r.error) ? 1 : 0;
}

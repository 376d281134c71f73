// `tributary consume TOPIC`: prints records (kafka-console-consumer / kcat habits). Starts from
// the group's committed offsets (with --group), or the end, or --from-beginning, --offset N or
// --timestamp T; stops at the end of the log as it was at start, after --num N records, or never
// with --follow (until SIGINT).
import type { ParsedArgs } from '../cli-args.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, UsageError, baseOptions, intOption, loadKafka, runClientCommand } from './common.js';

export const CONSUME_USAGE = 'consume TOPIC [--from-beginning|--offset N|--timestamp T] [--partition N] [--group G] [--num N] [--follow] [--format text|json|TEMPLATE]';

export function consumeHelp(): string {
  return commandHelpText({
    usage: CONSUME_USAGE,
    description:
      'Prints the records of TOPIC, one per line. With a start position, a group or --num it exits at the end of the log as it was when it started (or after --num records); --follow waits for new records until Ctrl-C, as does a bare `consume TOPIC`, which tails the topic from its end like kafka-console-consumer. Example: tributary consume orders --from-beginning --format "%k %v"',
    options: [
      ['--from-beginning', 'Start at the log start offset'],
      ['--offset N', 'Start at offset N (negative: N from the end)'],
      ['--timestamp T', 'Start at the first record at or after T (ms since epoch or an ISO date)'],
      ['--partition N', 'Read only partition N (repeat the command for others)'],
      ['--group G', 'Consume as group G and commit what was printed; without a position flag, start at its committed offsets (else the end; with --from-beginning, the start)'],
      ['-n, --num N', 'Exit after N records'],
      ['-f, --follow', 'Do not stop at the end: wait for new records'],
      ['--format F', 'text (the value), json (one object per line) or a template: %t topic, %p partition, %o offset, %k key, %v value, %h headers, %T timestamp, \\n \\t'],
      ['--isolation read_committed', 'Skip aborted transactional records (default read_uncommitted)'],
      BOOTSTRAP_HELP,
      ...SECURITY_HELP,
    ],
    notes: ['Exit codes: 0 ok, 1 error (from the cluster or the connection), 2 usage.'],
  });
}

export async function runConsumeCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const norm = args.map((a) => ({ '-n': '--num', '-f': '--follow', '-o': '--offset', '-p': '--partition', '-g': '--group' })[a] ?? a);
  return runClientCommand(
    'consume',
    CONSUME_USAGE,
    norm,
    deps,
    { values: ['offset', 'timestamp', 'partition', 'group', 'num', 'format', 'isolation'], booleans: ['from-beginning', 'follow'] },
    (p) => consume(p, deps),
  );
}

interface Printable {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null | undefined;
  value: Buffer | null | undefined;
  headers: Map<Buffer, Buffer>;
}

const str = (b: Buffer | null | undefined): string | null => (b === null || b === undefined ? null : b.toString('utf8'));

export function formatter(format: string): (m: Printable) => string {
  if (format === 'text') return (m) => str(m.value) ?? '';
  if (format === 'json')
    return (m) =>
      JSON.stringify({
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        timestamp: Number(m.timestamp),
        key: str(m.key),
        value: str(m.value),
        headers: Object.fromEntries([...m.headers].map(([k, v]) => [k.toString(), v.toString()])),
      });
  const template = format.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  return (m) =>
    template.replace(/%[tpokvhT%]/g, (t) => {
      switch (t) {
        case '%t':
          return m.topic;
        case '%p':
          return String(m.partition);
        case '%o':
          return String(m.offset);
        case '%k':
          return str(m.key) ?? '';
        case '%v':
          return str(m.value) ?? '';
        case '%h':
          return [...m.headers].map(([k, v]) => `${k}=${v}`).join(',');
        case '%T':
          return String(m.timestamp);
        default:
          return '%';
      }
    });
}

function parseTimestamp(v: string): bigint {
  if (/^\d+$/.test(v)) return BigInt(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--timestamp must be milliseconds since the epoch or an ISO date, got '${v}'`);
  return BigInt(t);
}

async function consume(p: ParsedArgs, deps: CliDeps): Promise<number> {
  const topic = p.positional[0];
  if (!topic || p.positional.length > 1) throw new UsageError('consume needs exactly one topic');
  const positions = ['from-beginning', 'offset', 'timestamp'].filter((f) => p.booleans.has(f) || p.flags.has(f));
  if (positions.length > 1) throw new UsageError(`--${positions.join(' and --')} cannot be combined`);
  const offsetArg = p.flags.get('offset');
  if (offsetArg !== undefined && !/^-?\d+$/.test(offsetArg)) throw new UsageError('--offset must be an integer');
  const ts = p.flags.has('timestamp') ? parseTimestamp(p.flags.get('timestamp')!) : undefined;
  const onlyPartition = p.flags.has('partition') ? intOption(p, 'partition', 0) : undefined;
  const limit = p.flags.has('num') ? intOption(p, 'num', 0, 1) : Infinity;
  // Bare `consume TOPIC` tails the topic from its end like kafka-console-consumer; any start
  // position, a group or --num makes it a read that ends (kcat -e).
  const follow = p.booleans.has('follow') || (positions.length === 0 && !p.flags.has('group') && !p.flags.has('num'));
  const print = formatter(p.flags.get('format') ?? 'text');
  const isolation = p.flags.get('isolation') ?? 'read_uncommitted';
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new UsageError('--isolation must be read_committed or read_uncommitted');
  const group = p.flags.get('group');

  const kafka = await loadKafka();
  const consumer = new kafka.Consumer({
    ...baseOptions(p, deps.env, 'tributary-cli-consumer'),
    // Without --group the CLI still needs a group for the client's stream; like
    // kafka-console-consumer it uses a throwaway one and commits nothing.
    groupId: group ?? `tributary-cli-${process.pid}-${Date.now()}`,
  });
  try {
    const meta = await consumer.metadata({ topics: [topic] });
    const count = meta.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = [...Array(count).keys()].filter((i) => onlyPartition === undefined || i === onlyPartition);
    if (onlyPartition !== undefined && partitions.length === 0) throw new Error(`topic ${topic} has no partition ${onlyPartition}`);
    const perTopic = { [topic]: partitions };
    const earliest = (await consumer.listOffsets({ topics: [topic], partitions: perTopic, timestamp: -2n })).get(topic) ?? [];
    const latest = (await consumer.listOffsets({ topics: [topic], partitions: perTopic, timestamp: -1n })).get(topic) ?? [];
    // Where each partition starts, worked out here so every mode is a manual assignment and the
    // end of the log is known (the client's arrays are indexed by partition number).
    const start = new Map<number, bigint>();
    let committed: bigint[] = [];
    if (group && positions.length === 0) {
      committed = (await consumer.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? [];
    }
    const byTime = ts !== undefined ? ((await consumer.listOffsets({ topics: [topic], partitions: perTopic, timestamp: ts })).get(topic) ?? []) : [];
    for (const i of partitions) {
      const lo = earliest[i] ?? 0n;
      const hi = latest[i] ?? 0n;
      let s: bigint;
      if (p.booleans.has('from-beginning')) s = lo;
      else if (offsetArg !== undefined) {
        const n = BigInt(offsetArg);
        s = n < 0n ? hi + n : n;
      } else if (ts !== undefined) s = byTime[i] !== undefined && byTime[i]! >= 0n ? byTime[i]! : hi;
      else if (committed[i] !== undefined && committed[i]! >= 0n) s = committed[i]!;
      else s = hi;
      start.set(i, s < lo ? lo : s > hi ? hi : s);
    }
    const remaining = new Set(partitions.filter((i) => start.get(i)! < (latest[i] ?? 0n)));
    if (!follow && remaining.size === 0) return 0;
    if (limit === 0) return 0;

    let printed = 0;
    let stopped = false;
    /** Prints a record unless the command is done; true when printed. */
    const emit = (m: Printable): boolean => {
      if (stopped || printed >= limit) return false;
      deps.stdout(print(m) + '\n');
      printed++;
      if (m.offset + 1n >= (latest[m.partition] ?? 0n)) remaining.delete(m.partition);
      if (printed >= limit || (!follow && remaining.size === 0)) stopped = true;
      return true;
    };
    // A transaction marker can be the last offset below the high watermark: reaching it ends the
    // partition too, though no record is printed for it.
    const reached = (partition: number, nextOffset: bigint): void => {
      if (nextOffset >= (latest[partition] ?? 0n)) remaining.delete(partition);
      if (!follow && remaining.size === 0) stopped = true;
    };
    const unsubscribe = deps.onSignal(() => {
      stopped = true;
      wake?.();
    });
    let wake: (() => void) | null = null;
    let failure: unknown = null;
    try {
      if (group) {
        // A group member: the client joins, heartbeats and commits what was printed.
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'manual',
          offsets: partitions.map((partition) => ({ topic, partition, offset: start.get(partition)! })),
          autocommit: false,
          maxWaitTime: 500,
          isolationLevel: isolation === 'read_committed' ? 1 : 0,
        });
        // What was printed is committed once a second and at the end (as the console consumer's
        // auto-commit), not one OffsetCommit per record.
        const pending = new Map<number, bigint>();
        const commitPending = async () => {
          if (pending.size === 0) return;
          const offsets = [...pending].map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: -1 }));
          pending.clear();
          await consumer.commit({ offsets });
        };
        const timer = setInterval(() => void commitPending().catch((e: unknown) => (failure = e)), 1000);
        await new Promise<void>((resolve) => {
          wake = resolve;
          stream.on('error', (e) => {
            failure = e;
            resolve();
          });
          stream.on('data', (m) => {
            if (stopped || !partitions.includes(m.partition) || m.offset < (start.get(m.partition) ?? 0n)) return;
            if (emit(m as unknown as Printable)) pending.set(m.partition, m.offset + 1n);
            if (stopped) resolve();
          });
          stream.once('close', resolve);
        });
        clearInterval(timer);
        await commitPending();
        await new Promise<void>((resolve) => stream.close(() => resolve()));
      } else {
        await fetchLoop(consumer, topic, meta.topics.get(topic)!.id, partitions, start, isolation === 'read_committed', emit, reached, () => stopped, (w) => (wake = w));
      }
    } catch (e) {
      failure = e;
    } finally {
      unsubscribe();
    }
    if (failure) throw failure;
    return 0;
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}

/**
 * Without a group the CLI reads like `kcat -C`: plain Fetch requests to each partition's leader,
 * no group membership (so no rebalance delay and nothing left behind on the cluster).
 */
async function fetchLoop(
  consumer: import('@platformatic/kafka').Consumer<Buffer, Buffer, Buffer, Buffer>,
  topic: string,
  topicId: string,
  partitions: number[],
  start: Map<number, bigint>,
  readCommitted: boolean,
  emit: (m: Printable) => boolean,
  reached: (partition: number, nextOffset: bigint) => void,
  stopped: () => boolean,
  onWake: (wake: () => void) => void,
): Promise<void> {
  const next = new Map(start);
  // read_committed: producers whose open transaction was aborted, until their abort marker.
  const aborted = new Set<bigint>();
  onWake(() => undefined);
  while (!stopped()) {
    const meta = await consumer.metadata({ topics: [topic] });
    const leaders = new Map<number, number[]>();
    for (const i of partitions) {
      const leader = meta.topics.get(topic)!.partitions[i]!.leader;
      leaders.set(leader, [...(leaders.get(leader) ?? []), i]);
    }
    for (const [node, parts] of leaders) {
      if (stopped()) break;
      const res = await consumer.fetch({
        node,
        maxWaitTime: 500,
        isolationLevel: readCommitted ? 1 : 0,
        topics: [{ topicId, partitions: parts.map((partition) => ({ partition, fetchOffset: next.get(partition)!, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 })) }],
      });
      for (const t of res.responses) {
        for (const part of t.partitions) {
          if (part.errorCode !== 0) throw new Error(`Fetch ${topic}[${part.partitionIndex}] failed with error code ${part.errorCode}`);
          const abortedStarts = [...part.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
          for (const batch of part.records ?? []) {
            if (readCommitted) {
              while (abortedStarts.length > 0 && abortedStarts[0]!.firstOffset <= batch.firstOffset + BigInt(batch.lastOffsetDelta)) aborted.add(abortedStarts.shift()!.producerId);
            }
            const isControl = (batch.attributes & 0x20) !== 0;
            const isTransactional = (batch.attributes & 0x10) !== 0;
            if (isControl) {
              aborted.delete(batch.producerId);
            } else if (!(readCommitted && isTransactional && aborted.has(batch.producerId))) {
              for (const r of batch.records) {
                const offset = batch.firstOffset + BigInt(r.offsetDelta);
                if (offset < next.get(part.partitionIndex)!) continue;
                emit({
                  topic,
                  partition: part.partitionIndex,
                  offset,
                  timestamp: batch.firstTimestamp + r.timestampDelta,
                  key: r.key,
                  value: r.value,
                  headers: new Map(r.headers.filter((h): h is [Buffer, Buffer] => h[0] !== null).map(([k, v]) => [k, v ?? Buffer.alloc(0)])),
                });
                if (stopped()) return;
              }
            }
            const after = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
            if (after > next.get(part.partitionIndex)!) next.set(part.partitionIndex, after);
            reached(part.partitionIndex, next.get(part.partitionIndex)!);
          }
        }
      }
    }
  }
}

// `tributary produce TOPIC`: one record per stdin line (kafka-console-producer habits):
// `--key-separator` splits key and value, `-H k=v` adds headers, `--format json` reads
// {"key","value","headers","partition"} objects. Records are sent in bounded batches as they are
// read, so a large input never sits in memory.
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { ParsedArgs } from '../cli-args.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { BOOTSTRAP_HELP, SECURITY_HELP, UsageError, baseOptions, intOption, keyValue, loadKafka, printJson, runClientCommand } from './common.js';

export const PRODUCE_USAGE = 'produce TOPIC [--key-separator SEP] [-H key=value ...] [--format text|json] [options]';

const BATCH = 500;

export function produceHelp(): string {
  return commandHelpText({
    usage: PRODUCE_USAGE,
    description:
      "Reads records from stdin, one per line, and produces them to TOPIC. Example: printf 'k1:hello\\nk2:world\\n' | tributary produce orders --key-separator :",
    options: [
      ['--key-separator SEP', 'Split each line at the first SEP into key and value (no SEP in a line: no key)'],
      ['-H, --header key=value', 'A header on every record (repeatable)'],
      ['--format text|json', 'json: each line is {"key","value","headers","partition"}; a value that is not a string is sent as its JSON'],
      ['--partition N', 'Send every record to partition N (default: by key hash)'],
      ['--acks all|1|0', 'Acknowledgements to wait for (default all)'],
      ['--compression TYPE', 'none|gzip|snappy|lz4|zstd (default none)'],
      BOOTSTRAP_HELP,
      ...SECURITY_HELP,
      ['--json', 'Print the result (count, offsets per partition) as JSON'],
    ],
    notes: ['Exit codes: 0 every record acknowledged, 1 an error (from the cluster or a malformed JSON line), 2 usage.'],
  });
}

export interface ProduceDeps extends CliDeps {
  stdin?: Readable;
}

export async function runProduceCommand(args: readonly string[], deps: ProduceDeps): Promise<number> {
  return runClientCommand(
    'produce',
    PRODUCE_USAGE,
    args,
    deps,
    { values: ['key-separator', 'format', 'partition', 'acks', 'compression'], booleans: [], repeated: ['header'] },
    (p, rep) => produce(p, rep.get('header')!, deps),
  );
}

export function parseAcks(v: string | undefined): number {
  if (v === undefined || v === 'all' || v === '-1') return -1;
  if (v === '1' || v === '0') return Number(v);
  throw new UsageError('--acks must be all, 1 or 0');
}

export function parseCompression(v: string | undefined): 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' {
  const c = v ?? 'none';
  if (c === 'none' || c === 'gzip' || c === 'snappy' || c === 'lz4' || c === 'zstd') return c;
  throw new UsageError('--compression must be none, gzip, snappy, lz4 or zstd');
}

interface OutRecord {
  key?: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
  partition?: number;
}

function toBuffer(v: unknown): Buffer {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
}

async function produce(p: ParsedArgs, headerArgs: string[], deps: ProduceDeps): Promise<number> {
  const topic = p.positional[0];
  if (!topic || p.positional.length > 1) throw new UsageError('produce needs exactly one topic');
  const format = p.flags.get('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
  const sep = p.flags.get('key-separator');
  if (sep === '') throw new UsageError('--key-separator must not be empty');
  const fixedPartition = p.flags.has('partition') ? intOption(p, 'partition', 0) : undefined;
  const headers = headerArgs.map((h) => keyValue(h, '--header'));
  const acks = parseAcks(p.flags.get('acks'));
  const compression = parseCompression(p.flags.get('compression'));

  const parseLine = (line: string, n: number): OutRecord => {
    const hs = new Map<Buffer, Buffer>(headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
    if (format === 'json') {
      let o: { key?: unknown; value?: unknown; headers?: Record<string, unknown>; partition?: unknown };
      try {
        o = JSON.parse(line);
      } catch (e) {
        throw new Error(`line ${n}: not JSON (${(e as Error).message})`);
      }
      if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`line ${n}: expected an object with key, value, headers`);
      for (const [k, v] of Object.entries(o.headers ?? {})) hs.set(Buffer.from(k), toBuffer(v));
      if (o.partition !== undefined && !(Number.isInteger(o.partition) && (o.partition as number) >= 0)) throw new Error(`line ${n}: partition must be a non-negative integer`);
      return {
        key: o.key === undefined || o.key === null ? undefined : toBuffer(o.key),
        value: o.value === undefined || o.value === null ? Buffer.alloc(0) : toBuffer(o.value),
        headers: hs,
        partition: (o.partition as number | undefined) ?? fixedPartition,
      };
    }
    const at = sep === undefined ? -1 : line.indexOf(sep);
    if (at < 0) return { value: Buffer.from(line), headers: hs, partition: fixedPartition };
    return { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + sep!.length)), headers: hs, partition: fixedPartition };
  };

  const kafka = await loadKafka();
  const producer = new kafka.Producer({ ...baseOptions(p, deps.env, 'tributary-cli-producer'), acks, compression, autocreateTopics: false });
  // Partition here, as the Java client does (murmur2 of the key, positive, modulo the partition
  // count; round robin without a key), so a key lands where Kafka's own tools would put it and
  // the per-partition offset ranges printed below are exact.
  const meta = await producer.metadata({ topics: [topic] });
  const partitionCount = meta.topics.get(topic)?.partitionsCount ?? 0;
  if (partitionCount === 0) throw new Error(`topic ${topic} has no partitions`);
  let roundRobin = 0;
  const pick = (r: OutRecord): number => {
    if (r.partition !== undefined) return r.partition;
    if (r.key) return (kafka.murmur2(r.key) & 0x7fffffff) % partitionCount;
    return roundRobin++ % partitionCount;
  };
  const ranges = new Map<number, { first: number; last: number; count: number }>();
  let total = 0;
  const flush = async (batch: OutRecord[]) => {
    if (batch.length === 0) return;
    for (const r of batch) r.partition = pick(r);
    const result = await producer.send({ messages: batch.map((r) => ({ topic, key: r.key, value: r.value, headers: r.headers, partition: r.partition })) });
    total += batch.length;
    for (const o of result.offsets ?? []) {
      // The client reports the base offset of each partition's batch; the count gives the rest.
      const count = batch.filter((r) => r.partition === o.partition).length;
      const base = Number(o.offset);
      const r = ranges.get(o.partition);
      const last = base + Math.max(count, 1) - 1;
      if (!r) ranges.set(o.partition, { first: base, last, count });
      else {
        r.last = Math.max(r.last, last);
        r.count += count;
      }
    }
  };
  try {
    const rl = readline.createInterface({ input: deps.stdin ?? process.stdin, crlfDelay: Infinity });
    let batch: OutRecord[] = [];
    let n = 0;
    for await (const line of rl) {
      n++;
      if (line === '' && format === 'json') continue;
      batch.push(parseLine(line, n));
      if (batch.length >= BATCH) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
  } finally {
    await producer.close().catch(() => undefined);
  }
  const partitions = [...ranges.entries()].sort((a, b) => a[0] - b[0]).map(([partition, r]) => ({ partition, firstOffset: r.first, lastOffset: r.last }));
  if (p.booleans.has('json')) printJson(deps, { topic, records: total, partitions });
  else deps.stdout(`Produced ${total} record${total === 1 ? '' : 's'} to ${topic}${partitions.length ? ` (${partitions.map((x) => `partition ${x.partition}: offsets ${x.firstOffset}-${x.lastOffset}`).join(', ')})` : ''}\n`);
  return 0;
}


// confluent-kafka-python from PyPI (pinned in test/compat/py/requirements-modern.txt; its wheel
// bundles a current librdkafka) against a spawned broker, beside Debian's 1.7/librdkafka 2.0.2
// lane: every codec with the compression proof, consumer groups over KIP-848
// (group.protocol=consumer: ConsumerGroupHeartbeat, broker-side assignment) and classic,
// transactions including send_offsets_to_transaction from a KIP-848 member, and the newer
// AdminClient calls (describe_topics, list_offsets, describe/list_consumer_groups). Runs in the
// venv built by test/compat/py/install-modern-ck.sh (.ci/run calls it). Python side:
// test/compat/py/ck_modern.py (on top of ck.py).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { expectStoredAs, type ExpectedRecord } from './support/proof.js';
import { CODEC_NAMES, type CodecName } from './support/segment-batches.js';
import { compressibleValue, hex, PY_DIR, runPy, uniqueTopic } from './support/tools.js';

const VENV = process.env.TRIBUTARY_CK_VENV ?? path.join(os.homedir(), '.cache', 'tributary', 'venv-ck');
const PY = path.join(VENV, 'bin', 'python');
const PINNED = /^confluent-kafka==(\S+)$/m.exec(fs.readFileSync(path.join(PY_DIR, 'requirements-modern.txt'), 'utf8'))![1]!;

type OpResult = Record<string, any> & { op: string; error?: string; trace?: string };
let broker: SpawnedBroker;

beforeAll(async () => {
  const r = spawnSync(PY, ['-c', 'import confluent_kafka; print(confluent_kafka.version())'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0 || r.stdout.trim() !== PINNED) {
    throw new Error(`confluent-kafka ${PINNED} is not installed in ${VENV} (${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}): run \`bash test/compat/py/install-modern-ck.sh\``);
  }
  broker = await spawnBroker({ overrides: { 'num.partitions': '2' } });
});

afterAll(async () => {
  await broker?.cleanup();
});

/** Runs ck_modern.py ops in one process; an op that raised fails here with its Python traceback. */
async function ck(...ops: Array<Record<string, unknown>>): Promise<OpResult[]> {
  const { results } = await runPy<{ results: OpResult[] }>('ck_modern.py', { bootstrap: broker.bootstrap, ops }, 55_000, PY);
  for (const r of results) expect(r.error, `${r.op}: ${r.error}\n${r.trace ?? ''}`).toBeUndefined();
  return results;
}

const T0 = Date.now() - 3_600_000;
const values = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);
const asMessages = (vs: string[]) => vs.map((v) => ({ value: hex(Buffer.from(v)) }));

describe(`confluent-kafka-python ${PINNED} (PyPI)`, () => {
  it('is the pinned client with a KIP-848-capable librdkafka', async () => {
    const [v] = await ck({ op: 'versions' });
    expect(v!.client).toBe(PINNED);
    const [major, minor] = (v!.librdkafka as string).split('.').map(Number);
    expect(major! * 100 + minor!, `librdkafka ${v!.librdkafka}`).toBeGreaterThanOrEqual(204); // group.protocol=consumer GA in 2.4+
  });

  it('every compression.type: produces, consumes byte-identical, stores that codec', async () => {
    const topics = Object.fromEntries(CODEC_NAMES.map((c) => [c, uniqueTopic(`ckm-${c}`)])) as Record<CodecName, string>;
    const sent = (codec: CodecName): ExpectedRecord[] =>
      Array.from({ length: 20 }, (_, i) => ({
        key: Buffer.concat([Buffer.from([0, 0xff, i]), Buffer.from(`key-${i}`)]),
        value: Buffer.from(compressibleValue(i, codec)),
        headers: [['trace', Buffer.from([1, 2, i])]],
        timestamp: T0 + i * 10,
      }));
    const wire = (m: ExpectedRecord) => ({ key: hex(m.key), value: hex(m.value), headers: m.headers!.map(([k, v]) => [k, hex(v)]), timestamp: m.timestamp });
    const results = await ck(
      ...CODEC_NAMES.flatMap((c) => [
        { op: 'produce', topic: topics[c], partition: 1, compression: c, messages: sent(c).map(wire), config: { 'batch.num.messages': 1000 } },
        { op: 'consume', topic: topics[c], partition: 1, offset: 'beginning' },
      ]),
    );
    for (const [i, codec] of CODEC_NAMES.entries()) {
      const [prod, cons] = [results[2 * i]!, results[2 * i + 1]!];
      expect((prod.reports as Array<{ error: unknown; offset: number }>).map((r) => [r.error, r.offset]), codec).toEqual(sent(codec).map((_, j) => [null, j]));
      expect([cons.eof, cons.errors], codec).toEqual([true, []]);
      expect((cons.messages as Array<Record<string, unknown>>).map((m) => [m.offset, m.key, m.value, m.headers, m.timestamp]), codec).toEqual(
        sent(codec).map((m, j) => [j, hex(m.key), hex(m.value), m.headers!.map(([k, v]) => [k, hex(v)]), m.timestamp]),
      );
      await expectStoredAs(broker.dataDir, topics[codec], 1, codec, sent(codec));
    }
  });

  it.each([
    ['consumer', 'CONSUMER'],
    ['classic', 'CLASSIC'],
  ])('group.protocol=%s: two members split 4 partitions, commit, and the AdminClient describes the group', async (protocol, type) => {
    const topic = uniqueTopic(`ckm-group-${protocol}`);
    const group = `${topic}-g`;
    const vs = values(40, 'g');
    const [, , consumed, described, listed] = await ck(
      { op: 'create_topics', topics: [{ name: topic, partitions: 4 }] },
      { op: 'produce', topic, messages: asMessages(vs), config: { partitioner: 'murmur2_random' } },
      { op: 'group_consume', topic, group, protocol, expected: 40, partitions: 4 },
      { op: 'describe_consumer_groups', groups: [group] },
      { op: 'list_consumer_groups' },
    );
    expect(consumed!.errors).toEqual([]);
    expect([consumed!.distinct, consumed!.duplicates]).toEqual([40, []]);
    const assignments = consumed!.assignments as number[][];
    expect(assignments.every((a) => a.length > 0), JSON.stringify(assignments)).toBe(true);
    expect(assignments.flat().sort()).toEqual([0, 1, 2, 3]);
    const committed = consumed!.committed as Record<string, number>;
    expect(Object.values(committed).reduce((a, b) => a + b, 0)).toBe(40);
    // Described while both members were in: Stable, each member holding what it consumed from.
    expect(consumed!.live).toMatchObject({ state: 'STABLE', type, members: [...assignments].sort() });
    // The members closed (left the group): Empty, with its type telling which protocol ran.
    expect(described!.groups[group]).toMatchObject({ state: 'EMPTY', type, simple: false, members: [] });
    if (protocol === 'consumer') expect(described!.groups[group].assignor).toBe('uniform');
    expect(listed!.groups[group]).toEqual({ state: 'EMPTY', type });
  });

  it('transactions: commit 5, abort 5, commit 3; read_committed sees only the committed ones', async () => {
    const topic = uniqueTopic('ckm-txn');
    const [, res] = await ck({ op: 'create_topics', topics: [{ name: topic, partitions: 1 }] }, { op: 'txn_commit_abort', topic });
    expect(res!.errors).toEqual([]);
    expect(res!.committed).toEqual([...values(5, 'c1'), ...values(3, 'c2')]);
    expect(res!.uncommitted).toEqual([...values(5, 'c1'), ...values(5, 'a1'), ...values(3, 'c2')]);
  });

  it.each(['consumer', 'classic'])('consume-transform-produce: send_offsets_to_transaction from a group.protocol=%s member', async (protocol) => {
    const topic = uniqueTopic(`ckm-etl-${protocol}`);
    const out = `${topic}-out`;
    const group = `${topic}-g`;
    const vs = values(12, 'in');
    const [, , res] = await ck(
      { op: 'create_topics', topics: [{ name: topic, partitions: 2 }, { name: out, partitions: 1 }] },
      { op: 'produce', topic, messages: asMessages(vs), config: { partitioner: 'murmur2_random' } },
      { op: 'txn_consume_produce', topic, out, group, protocol, expected: 12 },
    );
    expect(res!.errors).toEqual([]);
    expect(res!.moved).toBe(12);
    expect(res!.output).toEqual(vs.map((v) => `out-${v}`).sort());
    const committed = res!.committed as Record<string, number>;
    expect(Object.values(committed).reduce((a, b) => a + b, 0)).toBe(12);
  });

  it('AdminClient: describe_topics, describe_configs, list_offsets (earliest, latest, max_timestamp, by time), delete', async () => {
    const topic = uniqueTopic('ckm-admin');
    const msgs = [0, 1, 2, 3, 4].map((i) => ({ key: hex(Buffer.from(`k${i}`)), value: hex(Buffer.from(`v${i}`)), timestamp: T0 + (i === 2 ? 5000 : i * 100) }));
    const [created, , topicsDesc, configs, offsets, deleted, afterDelete] = await ck(
      { op: 'create_topics', topics: [{ name: topic, partitions: 3, config: { 'retention.ms': '654321' } }] },
      { op: 'produce', topic, partition: 0, messages: msgs },
      { op: 'describe_topics', topics: [topic, `${topic}-missing`] },
      { op: 'describe_configs', resources: [{ type: 'topic', name: topic }] },
      { op: 'list_offsets', topic, partition: 0, timestamp: T0 + 150 },
      { op: 'delete_topics', topics: [topic] },
      { op: 'describe_topics', topics: [topic] },
    );
    expect(created!.results).toEqual({ [topic]: null });
    expect(topicsDesc!.topics[topic]).toEqual({
      partitions: [0, 1, 2].map((id) => ({ id, leader: 1, replicas: [1], isr: [1] })),
      internal: false,
      hasTopicId: true,
    });
    expect(topicsDesc!.topics[`${topic}-missing`].error.name).toBe('UNKNOWN_TOPIC_OR_PART');
    expect(configs!.resources[`topic:${topic}`].configs['retention.ms']).toMatchObject({ value: '654321', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(offsets!.offsets.earliest.offset).toBe(0);
    expect(offsets!.offsets.latest.offset).toBe(5);
    // KIP-734: the record with the largest timestamp (offset 2), not the last one.
    expect(offsets!.offsets.max_timestamp).toEqual({ offset: 2, timestamp: T0 + 5000 });
    expect(offsets!.offsets.ts).toEqual({ offset: 2, timestamp: T0 + 5000 }); // first record with timestamp >= T0+150
    expect(deleted!.results).toEqual({ [topic]: null });
    expect(afterDelete!.topics[topic].error.name).toBe('UNKNOWN_TOPIC_OR_PART');
  });
});

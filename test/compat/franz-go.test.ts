// franz-go v1.22.3 / kadm v1.20.0 (Go module proxy, pinned in test/compat/franz-go/go.mod)
// against a spawned broker: the idempotent producer (franz-go's default) with every codec and a
// direct partition consumer, consumer groups over the classic protocol and KIP-848
// (ServerSideBalancer: ConsumerGroupHeartbeat v1), transactions (commit/abort seen through both
// isolation levels, and a GroupTransactSession consume-transform-produce loop), and kadm admin
// calls. Go side: test/compat/franz-go/*.go; it prints one JSON line and this file asserts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { buildFranzGoClient } from './support/franz-go.js';
import { expectStoredAs, type ExpectedRecord } from './support/proof.js';
import { CODEC_NAMES } from './support/segment-batches.js';
import { explain, run, uniqueTopic } from './support/tools.js';

let broker: SpawnedBroker;
let bin = '';

beforeAll(async () => {
  bin = buildFranzGoClient();
  broker = await spawnBroker();
}, 300_000);

afterAll(async () => {
  await broker?.cleanup();
});

type Result = Record<string, any>;

async function franz(params: Record<string, unknown>): Promise<Result> {
  const r = await run(bin, [JSON.stringify({ bootstrap: broker.bootstrap, ...params })], { timeoutMs: 55_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  expect(r.code === 0 && last.startsWith('{'), explain(`franz-go-compat ${params.op}`, r)).toBe(true);
  const out = JSON.parse(last) as { error?: string; result: Result };
  expect(out.error, `${params.op}: ${out.error}\n${r.stderr.slice(-3000)}`).toBeUndefined();
  return out.result;
}

interface GoRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
  timestamp: number;
  producerId: number;
  epoch: number;
}

const T0 = Date.now() - 3_600_000;

// Mirrors sample() in test/compat/franz-go/produce.go.
function expectedRecord(i: number, codec: string): ExpectedRecord {
  return {
    key: i === 3 ? null : Buffer.concat([Buffer.from([0, 0xff]), Buffer.from(`key-${i}`)]),
    value: Buffer.from(`${codec}-value-${i}-${'the quick brown fox jumps over the lazy dog '.repeat(8)}`),
    headers: [['trace', Buffer.from([1, 2, 3, i])]],
    timestamp: T0 + i * 10,
  };
}

const hexOf = (b: Buffer | null | undefined) => (b == null ? null : b.toString('hex'));

describe('franz-go', () => {
  it.each(CODEC_NAMES)('idempotent producer, codec %s: produces to 3 partitions, consumes by partition, stores that codec', async (codec) => {
    const topic = uniqueTopic(`franz-${codec}`);
    const count = 24;
    const res = await franz({ op: 'produce-consume', topic, codec, partitions: 3, count, timestamp: T0 });
    const produced = res.produced as GoRecord[];
    // Idempotent by default: the broker handed out a producer id, and every batch carries it.
    expect(new Set(produced.map((r) => r.producerId)).size).toBe(1);
    expect(produced[0]!.producerId).toBeGreaterThanOrEqual(0);

    const consumed = res.consumed as GoRecord[];
    for (const part of [0, 1, 2]) {
      const idx = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === part);
      const got = consumed.filter((r) => r.partition === part);
      expect(got.map((r) => r.offset)).toEqual(idx.map((_, j) => j));
      expect(got.map((r) => [r.key, r.value, r.headers, r.timestamp])).toEqual(
        idx.map((i) => {
          const e = expectedRecord(i, codec);
          return [hexOf(e.key), hexOf(e.value), e.headers!.map(([k, v]) => [k, hexOf(v)]), e.timestamp];
        }),
      );
      expect(got.every((r) => r.producerId === produced[0]!.producerId)).toBe(true);
    }
    const p1 = Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === 1);
    await expectStoredAs(broker.dataDir, topic, 1, codec, p1.map((i) => expectedRecord(i, codec)));
  });

  it.each(['classic', 'consumer'])('consumer group (group.protocol=%s): two members split 4 partitions, commit, and kadm reads the group back', async (protocol) => {
    const topic = uniqueTopic(`franz-group-${protocol}`);
    const res = await franz({ op: 'group', topic, group: `${topic}-g`, partitions: 4, count: 40, protocol });
    expect(res.distinct).toBe(40);
    expect(res.duplicates).toBeNull();
    // Each member got a share: the partitions really were split between them.
    expect((res.perMember as number[]).every((n) => n > 0)).toBe(true);
    expect(res.committed).toEqual({ '0': 10, '1': 10, '2': 10, '3': 10 });
    expect([res.state, res.members]).toEqual(['Stable', 2]);
    // ListGroups v5 reports which protocol the group runs: proof KIP-848 was really used.
    expect([res.listedGroupType, res.listedProtocolType]).toEqual([protocol, 'consumer']);
  });

  it('transactions: commit 5, abort 5, commit 3; read_committed sees 8, read_uncommitted 13, markers take offsets', async () => {
    const res = await franz({ op: 'txn', topic: uniqueTopic('franz-txn') });
    const c1 = [0, 1, 2, 3, 4].map((i) => `c1-${i}`);
    const a1 = [0, 1, 2, 3, 4].map((i) => `a1-${i}`);
    const c2 = [0, 1, 2].map((i) => `c2-${i}`);
    expect(res.committed).toEqual([...c1, ...c2]);
    expect(res.uncommitted).toEqual([...c1, ...a1, ...c2]);
    expect(res.endOffset).toBe(16);
  });

  it('GroupTransactSession: consume-transform-produce commits the group offsets inside the transaction', async () => {
    const topic = uniqueTopic('franz-etl');
    const res = await franz({ op: 'txn-session', topic, topic2: `${topic}-out`, group: `${topic}-g`, count: 12 });
    expect(res.moved).toBe(12);
    expect(res.committedTotal).toBe(12);
    expect([...(res.output as string[])].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `out-in-${i}`).sort());
  });

  it('kadm: create (configs, duplicate), list, describe configs, list offsets, delete', async () => {
    const topic = uniqueTopic('franz-admin');
    const res = await franz({ op: 'admin', topic, partitions: 3, configs: { 'retention.ms': '123456', 'cleanup.policy': 'compact' }, timestamp: T0 });
    expect([res.createErr, res.createPartitions]).toEqual([null, 3]);
    expect(res.duplicateErr).toMatch(/^TOPIC_ALREADY_EXISTS/);
    expect([res.listedErr, res.listedPartitions, res.hasTopicId]).toEqual([null, 3, true]);
    expect(res.configs['retention.ms']).toEqual({ value: '123456', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(res.configs['cleanup.policy']).toEqual({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(res.configs['segment.bytes']?.source).toBe('DEFAULT_CONFIG');
    expect(res.start).toEqual({ '0': 0, '1': 0, '2': 0 });
    expect(res.end).toEqual({ '0': 5, '1': 0, '2': 0 });
    // Records at T0, +100, ..., +400 on partition 0: the first at or after T0+250 is offset 3.
    expect(res.after250ms['0']).toBe(3);
    expect([res.deleteErr, res.listedAfterDelete]).toEqual([null, false]);
    expect(res.deleteAgainErr).toMatch(/^UNKNOWN_TOPIC_OR_PARTITION/);
  });
});

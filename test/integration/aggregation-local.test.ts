// The aggregation stage inside an in-process broker with a local source topic: contributions
// produced by a real client, results on the output topic, dead letters, threshold suppression
// and release, corrections, withdrawals, late data, status, pause/resume/delete and recovery
// from the changelog across a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changelogTopic } from '../../src/aggregation/changelog.js';
import { AggregationProcessor } from '../../src/aggregation/processor.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { countCalls } from '../helpers/wait.js';
import { assertNoDuplicateVersions, contributionKey, latest, produce, readHistory, spendDefinition, waitFor, type Contribution } from '../aggregation/helpers.js';
import { kafkajs } from '../helpers/clients.js';

let tb: TestBroker;
const OVERRIDES = { 'tributary.aggregation.status.interval.ms': '200', 'tributary.aggregation.retry.backoff.ms': '100', 'log.cleaner.enable': 'false' };

beforeAll(async () => {
  tb = await startTestBroker(OVERRIDES);
  await tb.broker.createTopic('contributions', 2, 1, {});
});
afterAll(async () => {
  await tb?.cleanup();
});

const contrib = (partner: string, category: string, month: string, sum: number, count: number): Contribution => ({ partner, category, month, sum, count });
const send = (cs: (Contribution | { key: string; value: null } | { key: string | null; value: string })[]) =>
  produce(
    tb.bootstrap,
    'contributions',
    cs.map((c) => ('partner' in c ? { key: contributionKey(c), value: c } : c)),
  );

async function output(): Promise<Map<string, any>> {
  const m = new Map<string, any>();
  for (const [k, r] of latest(await readHistory(tb.broker, 'global-spend'))) m.set(k, r.value);
  return m;
}

describe('definitions from tributary.aggregations.file', () => {
  it('are stored at startup and run', async () => {
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-agg-file-'));
    const file = path.join(dir, 'aggregations.json');
    await fs.writeFile(file, JSON.stringify({ aggregations: [spendDefinition({ name: 'from-file', output: { topic: 'file-out' } })] }));
    const b = await startTestBroker({ ...OVERRIDES, 'tributary.aggregations.file': file });
    try {
      await waitFor('running', () => b.broker.aggregations!.status('from-file')?.state === 'running');
      expect(b.broker.aggregations!.definitions().map((d) => d.definition.output.topic)).toEqual(['file-out']);
    } finally {
      await b.cleanup();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('aggregation stage, local source', () => {
  it('rejects invalid definitions with every reason', async () => {
    const res = await tb.broker.aggregations!.define({ name: 'x', sources: [] });
    expect(res.ok).toBe(false);
  });

  it('publishes groups at the threshold, suppresses the others, dead-letters bad input', async () => {
    const res = await tb.broker.aggregations!.define(spendDefinition({ minContributors: 2 }));
    expect(res.ok).toBe(true);
    await send([
      contrib('alpha', 'food', '2024-01', 100, 4),
      contrib('beta', 'food', '2024-01', 60, 2),
      contrib('alpha', 'travel', '2024-01', 500, 1), // one contributor: suppressed
      { key: 'bad-1', value: '{not json' },
      { key: 'bad-2', value: JSON.stringify({ partner: 'beta', category: 'fuel', month: '2024-01', sum: 5, count: -2 }) },
      { key: 'bad-3', value: JSON.stringify({ partner: 'beta', category: 'fuel', month: '2024-01', sum: '5', count: 2 }) },
      { key: 'bad-4', value: JSON.stringify({ partner: 'beta', month: '2024-01', sum: 5, count: 2 }) },
    ]);
    const out = await waitFor('food result', async () => ((await output()).get('food|2024-01') ? output() : null));
    expect(out.get('food|2024-01')).toMatchObject({ group: { category: 'food', month: '2024-01' }, contributors: 2, measures: { sum: 160, count: 6 }, derived: { avg: 160 / 6 }, version: 1 });
    expect(typeof out.get('food|2024-01').updatedAt).toBe('string');
    expect(out.has('travel|2024-01')).toBe(false);

    const dlq = await waitFor('dead letters', async () => {
      const h = await readHistory(tb.broker, 'spend.dead-letter').catch(() => []);
      return h.length === 4 ? h : null;
    });
    const reasons = Object.fromEntries(dlq.map((r) => [r.key, r.headers['tributary.dlq.reason.code']]));
    expect(reasons).toEqual({ 'bad-1': 'unparseable', 'bad-2': 'negative-count', 'bad-3': 'wrong-type', 'bad-4': 'missing-field' });
    for (const r of dlq) {
      expect(r.headers['tributary.dlq.topic']).toBe('contributions');
      expect(Number(r.headers['tributary.dlq.offset'])).toBeGreaterThanOrEqual(0);
      expect(r.headers['tributary.dlq.reason']!.length).toBeGreaterThan(5);
    }

    const st = await waitFor('status', () => {
      const s = tb.broker.aggregations!.status('spend')!;
      return s.recordsIn === 7 && s.sources[0]!.lag === 0 ? s : null;
    });
    expect(st).toMatchObject({ state: 'running', recordsRejected: 4, groupsPublished: 1, groupsSuppressed: 1, recordsOut: 1 });
    const metrics = tb.broker.aggregations!.metrics();
    expect(metrics.find((m) => m.name === 'tributary_aggregation_records_rejected_total')?.value).toBe(4);
  });

  it('releases a suppressed group at the threshold; corrections replace; tombstones withdraw; late data updates', async () => {
    await send([contrib('gamma', 'travel', '2024-01', 300, 3)]);
    await waitFor('travel released', async () => (await output()).get('travel|2024-01')?.contributors === 2);
    expect((await output()).get('travel|2024-01')).toMatchObject({ measures: { sum: 800, count: 4 }, version: 1 });

    await send([contrib('alpha', 'food', '2024-01', 40, 4)]); // correction
    await waitFor('correction', async () => (await output()).get('food|2024-01')?.measures.sum === 100);
    expect((await output()).get('food|2024-01')).toMatchObject({ contributors: 2, measures: { sum: 100, count: 6 }, version: 2 });

    await send([{ key: contributionKey({ partner: 'gamma', category: 'travel', month: '2024-01' }), value: null }]); // withdrawal
    await waitFor('withdrawn below the threshold', async () => (await output()).get('travel|2024-01') === null);

    await send([contrib('delta', 'food', '2023-12', 10, 1), contrib('alpha', 'food', '2023-12', 30, 1)]); // late month
    await waitFor('late data', async () => (await output()).get('food|2023-12')?.contributors === 2);
    assertNoDuplicateVersions(await readHistory(tb.broker, 'global-spend'));
  });

  it('a restart rebuilds state from the changelog, without re-reading input or re-emitting', async () => {
    const before = await readHistory(tb.broker, 'global-spend');
    const statusBefore = tb.broker.aggregations!.status('spend')!;
    tb = await tb.restart();
    const st = await waitFor('recovered', () => {
      const s = tb.broker.aggregations!.status('spend');
      return s?.state === 'running' && s.sources[0]!.lag === 0 ? s : null;
    });
    expect(st.recordsIn).toBe(statusBefore.recordsIn); // counters persisted, input not re-read
    expect(st.groupsPublished).toBe(statusBefore.groupsPublished);
    expect((await readHistory(tb.broker, 'global-spend')).length).toBe(before.length);
    await send([contrib('beta', 'food', '2024-01', 0, 0)]);
    await waitFor('update after restart', async () => (await output()).get('food|2024-01')?.measures.sum === 40);
    expect((await output()).get('food|2024-01')).toMatchObject({ measures: { sum: 40, count: 4 }, version: 3 });
    assertNoDuplicateVersions(await readHistory(tb.broker, 'global-spend'));
  });

  it("clients cannot write to or delete the stage's changelog and status topics", async () => {
    const kafka = kafkajs(tb.bootstrap, { clientId: 'intruder', retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    try {
      const endBefore = tb.broker.partition(changelogTopic('spend'), 0)!.log.logEndOffset;
      for (const topic of [changelogTopic('spend'), '__tributary_aggregation_status']) {
        await expect(producer.send({ topic, acks: 1, messages: [{ key: 'x', value: 'forged' }] })).rejects.toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION' });
      }
      expect(tb.broker.partition(changelogTopic('spend'), 0)!.log.logEndOffset).toBe(endBefore);
      await expect(admin.deleteTopics({ topics: ['__tributary_aggregation_status'], timeout: 2000 })).rejects.toThrow();
      expect(tb.broker.topics.get('__tributary_aggregation_status')).toBeDefined();
      // Visible to clients (not flagged internal), and the definitions topic stays writable.
      const md = await admin.fetchTopicMetadata({ topics: [changelogTopic('spend')] });
      expect(md.topics[0]!.partitions).toHaveLength(1);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('re-emits output lost between the changelog write and the output write', async () => {
    // Simulate the crash window: cut the output log back to before the last emission.
    const history = await readHistory(tb.broker, 'global-spend');
    const lastOffset = history[history.length - 1]!.offset;
    const stopAt = (await tb.broker.partition('global-spend', 0)!.log).logEndOffset;
    expect(stopAt).toBe(lastOffset + 1);
    await tb.broker.partition('global-spend', 0)!.log.truncateTo(lastOffset);
    tb = await tb.restart();
    await waitFor('re-emitted', async () => (await readHistory(tb.broker, 'global-spend')).length === history.length);
    const after = await readHistory(tb.broker, 'global-spend');
    expect(after[after.length - 1]!.value).toEqual(history[history.length - 1]!.value);
    expect(after[after.length - 1]!.version).toBe(history[history.length - 1]!.version);
    assertNoDuplicateVersions(after);
  });

  it('pause, resume, update the threshold, delete', async () => {
    const m = tb.broker.aggregations!;
    expect(await m.setTargetState('spend', 'PAUSED')).toBe(true);
    await waitFor('paused', () => m.status('spend')!.state === 'paused');
    const inWhilePaused = m.status('spend')!.recordsIn;
    // Proof that the paused processor had the record and went round its loop without folding it:
    // its reader buffered new data (onData -> signal; nothing else signals a paused processor
    // here), and the loop then went back to waiting. Spies on the processor's methods.
    const spend = (self: { def: { name: string } }) => self.def.name === 'spend';
    const signals = countCalls(AggregationProcessor.prototype, 'signal', { count: 'calls', filter: spend });
    const turns = countCalls(AggregationProcessor.prototype, 'waitForSignal', { count: 'calls', filter: (self) => spend(self) && signals.count > 0 });
    try {
      await send([contrib('epsilon', 'fuel', '2024-02', 5, 1)]);
      await signals.reach(1, "spend's reader to buffer the new record");
      await turns.reach(1, "spend's paused loop to turn after the record arrived");
    } finally {
      signals.restore();
      turns.restore();
    }
    expect(m.status('spend')!.recordsIn).toBe(inWhilePaused); // nothing folded while paused
    await m.setTargetState('spend', 'RUNNING');
    await waitFor('resumed', () => m.status('spend')!.recordsIn === inWhilePaused + 1);

    // Lowering the threshold publishes the single-contributor group.
    expect((await m.define(spendDefinition({ minContributors: 1 }))).ok).toBe(true);
    await waitFor('threshold lowered', async () => (await output()).get('fuel|2024-02')?.contributors === 1);
    // Changing the measures is refused.
    const bad = await m.define(spendDefinition({ measures: [{ name: 'n', op: 'count' }], derived: [] }));
    expect(bad.ok).toBe(false);

    expect(await m.remove('spend')).toBe(true);
    await waitFor('deleted', () => !m.status('spend') && !tb.broker.topics.get(changelogTopic('spend')));
    expect(tb.broker.topics.get('global-spend')).toBeDefined(); // the output stays
  });
});

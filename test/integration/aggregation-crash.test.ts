// Exactly-once under crashes: the shared broker runs as a child process and is killed with
// SIGKILL several times while contributions stream in from two partner clusters (in-process
// brokers), one of which also goes down and comes back. Afterwards the output equals a direct
// computation over the latest contribution per key, every input record was counted exactly once
// (recordsIn equals the records produced), and the output history holds each (group, version) once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregationAdmin } from '../../src/aggregation/admin-client.js';
import { clientSettings } from '../../src/aggregation/kafka-client.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fetchAll } from '../helpers/fetch-all.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { assertNoDuplicateVersions, contributionKey, produce, spendDefinition, waitFor, type Contribution, type OutputRecord } from '../aggregation/helpers.js';
import { rng } from '../protocol/records/random-data.js';

let shared: SpawnedBroker;
let alpha: TestBroker;
let beta: TestBroker;

const SHARED_OVERRIDES = {
  'tributary.aggregation.status.interval.ms': '200',
  'tributary.aggregation.retry.backoff.ms': '100',
  'tributary.aggregation.retry.backoff.max.ms': '500',
  // Small steps: many commit points for the kills to land between.
  'tributary.aggregation.max.records.per.step': '7',
  // Keep the whole output history (no compaction) to check it for duplicate versions.
  'log.cleaner.enable': 'false',
};

beforeAll(async () => {
  [shared, alpha, beta] = await Promise.all([spawnBroker({ overrides: SHARED_OVERRIDES }), startTestBroker(), startTestBroker()]);
  await alpha.broker.createTopic('contributions', 2, 1, {});
  await beta.broker.createTopic('contributions', 2, 1, {});
});
afterAll(async () => {
  await Promise.all([shared?.cleanup(), alpha?.cleanup(), beta?.cleanup()]);
});

async function withAdmin<T>(fn: (a: AggregationAdmin) => Promise<T>): Promise<T> {
  const admin = await AggregationAdmin.connect(clientSettings({ bootstrap: [shared.bootstrap] }, 'crash-test'));
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

describe('exactly-once under kill -9 and partner outages', () => {
  it('totals stay exact, every record is counted once, no duplicate versions', async () => {
    await withAdmin(async (admin) => {
      const def = spendDefinition({
        minContributors: 1,
        sources: [
          { name: 'alpha', topic: 'contributions', cluster: { bootstrap: [alpha.bootstrap] } },
          { name: 'beta', topic: 'contributions', cluster: { bootstrap: [beta.bootstrap] } },
        ],
      });
      const offset = await admin.putDefinition('spend', def);
      await admin.waitForStatus('spend', (s) => !!s && s.definitionOffset >= offset, 15_000);
    });

    const r = rng(42);
    const latestByKey = new Map<string, Contribution>();
    let produced = 0;
    let malformed = 0;
    const partners = { alpha: ['a1', 'a2', 'a3'], beta: ['b1', 'b2'] };
    const sendBatch = async (cluster: 'alpha' | 'beta') => {
      const batch: Contribution[] = [];
      for (let i = 0; i < 12; i++) {
        const partner = partners[cluster][Math.floor(r() * partners[cluster].length)]!;
        const x: Contribution = { partner, category: ['food', 'fuel', 'rent'][Math.floor(r() * 3)]!, month: `2024-0${1 + Math.floor(r() * 4)}`, sum: Math.round(r() * 100000) / 100, count: 1 + Math.floor(r() * 20) };
        batch.push(x);
      }
      // One malformed record per batch: it must reach the dead-letter topic exactly once.
      const bad = { key: `bad-${cluster}-${produced}`, value: JSON.stringify({ partner: 'x', category: 'food', month: '2024-01', sum: 1, count: -1 }) };
      await produce((cluster === 'alpha' ? alpha : beta).bootstrap, 'contributions', [...batch.map((x) => ({ key: contributionKey(x), value: x })), bad]);
      for (const x of batch) latestByKey.set(contributionKey(x), x);
      produced += batch.length + 1;
      malformed++;
    };

    const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));
    const recordsIn = () => withAdmin(async (a) => (await a.statuses()).get('spend')?.recordsIn ?? 0);
    for (let round = 0; round < 3; round++) {
      // Stream into both partners; once the shared broker is visibly folding, kill it mid-catch-up.
      const before = await recordsIn();
      const stream = (async () => {
        for (let i = 0; i < 6; i++) {
          await sendBatch('alpha');
          await sendBatch('beta');
        }
      })();
      await waitFor('progress', async () => (await recordsIn()) > before, { timeoutMs: 20_000, intervalMs: 20 });
      await pause(Math.floor(r() * 100));
      shared = await shared.restart({ signal: 'SIGKILL' });
      await stream;
      if (round === 1) {
        // beta goes down while the shared broker recovers; alpha keeps streaming.
        const dir = beta.dataDir;
        const port = beta.port;
        await beta.stop();
        for (let i = 0; i < 3; i++) await sendBatch('alpha');
        await pause(800);
        beta = await startTestBroker({}, dir, port);
        await sendBatch('beta');
      }
    }
    for (let i = 0; i < 3; i++) await sendBatch('beta');

    const status = await withAdmin((admin) =>
      admin.waitForStatus('spend', (s) => !!s && s.recordsIn === produced && s.sources.every((x) => x.lag === 0), 40_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}; produced ${produced}, status ${JSON.stringify((await admin.statuses()).get('spend'))}`);
      }),
    );
    expect(status!.recordsIn).toBe(produced); // each input record folded exactly once
    expect(status!.recordsRejected).toBe(malformed);
    const letters = await fetchAll(shared.bootstrap, 'spend.dead-letter', 0);
    const origins = letters.map((l) => `${l.headers['tributary.dlq.source']}/${l.headers['tributary.dlq.partition']}/${l.headers['tributary.dlq.offset']}`);
    expect(new Set(origins).size).toBe(origins.length); // no dead letter written twice
    expect(letters).toHaveLength(malformed);
    expect(letters.every((l) => l.headers['tributary.dlq.reason.code'] === 'negative-count')).toBe(true);

    // Direct computation from the latest contribution per key.
    const expected = new Map<string, { sum: number; count: number; partners: Set<string> }>();
    for (const x of latestByKey.values()) {
      const k = `${x.category}|${x.month}`;
      const e = expected.get(k) ?? { sum: 0, count: 0, partners: new Set<string>() };
      e.sum += x.sum;
      e.count += x.count;
      e.partners.add(x.partner);
      expected.set(k, e);
    }
    const history: OutputRecord[] = (await fetchAll(shared.bootstrap, 'global-spend', 0)).map((f) => ({
      offset: Number(f.offset),
      key: f.key!,
      value: f.value === null ? null : (JSON.parse(f.value) as Record<string, any>),
      version: Number(f.headers['tributary.version']),
      headers: f.headers,
    }));
    assertNoDuplicateVersions(history);
    const final = new Map(history.map((h) => [h.key, h.value]));
    expect([...final.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, e] of expected) {
      const v = final.get(k)!;
      expect(v.contributors).toBe(e.partners.size);
      expect(v.measures.count).toBe(e.count);
      expect(v.measures.sum).toBeCloseTo(e.sum, 6);
    }
  });
});

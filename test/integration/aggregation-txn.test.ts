// Transactional input is read read_committed, from a local source (the Fetch path's reader, LSO
// and aborted-transaction list) and from a remote one (@platformatic/kafka Fetch, isolation level
// 1): aborted contributions never count, and records behind an open transaction wait for it.
import { type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregationProcessor } from '../../src/aggregation/processor.js';
import { LocalSourceReader } from '../../src/aggregation/sources/local-source.js';
import { RemoteSourceReader } from '../../src/aggregation/sources/remote-source.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { countCalls } from '../helpers/wait.js';
import { contributionKey, latest, readHistory, spendDefinition, waitFor, type Contribution } from '../aggregation/helpers.js';
import { kafkajs } from '../helpers/clients.js';

let shared: TestBroker;
let partner: TestBroker;
const TXN_OVERRIDES = { 'transaction.state.log.num.partitions': '2', 'tributary.aggregation.status.interval.ms': '200' };

beforeAll(async () => {
  [shared, partner] = await Promise.all([startTestBroker(TXN_OVERRIDES), startTestBroker(TXN_OVERRIDES)]);
  await shared.broker.createTopic('tx-in', 1, 1, {});
  await partner.broker.createTopic('tx-remote', 1, 1, {});
  const defs = [
    spendDefinition({ name: 'tx-local', sources: [{ name: 'local', topic: 'tx-in' }], output: { topic: 'tx-local-out' } }),
    spendDefinition({ name: 'tx-remote', sources: [{ name: 'remote', topic: 'tx-remote', cluster: { bootstrap: [partner.bootstrap] } }], output: { topic: 'tx-remote-out' } }),
  ];
  for (const d of defs) expect((await shared.broker.aggregations!.define(d)).ok).toBe(true);
});
afterAll(async () => {
  await Promise.all([shared?.cleanup(), partner?.cleanup()]);
});

/**
 * Waits until two polls of the aggregation's source reader have completed from now, and then for two
 * more turns of the processor's loop (each turn takes what is buffered and steps it before waiting
 * again). Spies on the classes' methods; a rename fails here loudly.
 */
async function processedAfterNewPolls(target: 'local' | 'remote', aggregation: string): Promise<void> {
  const reader = target === 'local' ? LocalSourceReader.prototype : RemoteSourceReader.prototype;
  const polls = countCalls(reader, 'poll', { filter: (self) => self.name === target });
  const turns = countCalls(AggregationProcessor.prototype, 'waitForSignal', { count: 'calls', filter: (self) => self.def.name === aggregation });
  try {
    await polls.more(2, `two polls of the ${target} source`);
    await turns.more(2, `two turns of ${aggregation}'s loop after those polls`);
  } finally {
    polls.restore();
    turns.restore();
  }
}

const c = (partner: string, category: string, sum: number, count: number): Contribution => ({ partner, category, month: '2024-01', sum, count });
const msg = (x: Contribution) => ({ key: contributionKey(x), value: JSON.stringify(x) });

for (const target of ['local', 'remote'] as const) {
  describe(`read_committed input, ${target} source`, () => {
    it('counts committed transactions only and waits for open ones', async () => {
      const tb = target === 'local' ? shared : partner;
      const topic = target === 'local' ? 'tx-in' : 'tx-remote';
      const name = `tx-${target}`;
      const outTopic = `${name}-out`;
      const kafka = kafkajs(tb.bootstrap, { clientId: `agg-${target}`, retry: { retries: 8, initialRetryTime: 50 } });
      const producer: Producer = kafka.producer({ transactionalId: `agg-${target}`, maxInFlightRequests: 1, idempotent: true });
      const plain = kafka.producer();
      await producer.connect();
      await plain.connect();
      try {
        let t = await producer.transaction();
        await t.send({ topic, messages: [msg(c('alpha', 'food', 10, 1))] });
        await t.commit();
        t = await producer.transaction();
        await t.send({ topic, messages: [msg(c('alpha', 'food', 999, 9)), msg(c('beta', 'food', 5, 1))] });
        await t.abort();
        const open = await producer.transaction();
        await open.send({ topic, messages: [msg(c('gamma', 'food', 7, 1))] });
        await plain.send({ topic, messages: [msg(c('delta', 'fuel', 1, 1))] }); // behind the open transaction

        const out = async () => new Map([...latest(await readHistory(shared.broker, outTopic))].map(([k, r]) => [k, r.value]));
        await waitFor('committed food', async () => (await out()).get('food|2024-01')?.measures.sum === 10);
        // Proof that the stage looked past the open transaction before asserting it saw nothing
        // there: two source polls that started after delta's append completed, then the processor
        // went idle twice (so anything those polls returned has been stepped and written).
        await processedAfterNewPolls(target, name);
        expect((await out()).has('fuel|2024-01')).toBe(false); // not past the last stable offset
        expect(shared.broker.aggregations!.status(name)!.sources[0]!.lag).toBe(0); // lag counts to the LSO

        await open.commit();
        await waitFor('after commit', async () => (await out()).get('fuel|2024-01')?.contributors === 1);
        expect((await out()).get('food|2024-01')).toMatchObject({ contributors: 2, measures: { sum: 17, count: 2 } });
        const history = await readHistory(shared.broker, outTopic);
        expect(history.some((h) => JSON.stringify(h.value).includes('999'))).toBe(false); // the aborted value never showed
      } finally {
        await producer.disconnect();
        await plain.disconnect();
      }
    });
  });
}

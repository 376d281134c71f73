// Transactions and tiered storage: each uploaded segment's `.indexes` object carries the aborted
// transactions whose markers it holds and the producer snapshot of its roll, and read_committed
// consumers reading offsets that now live only in the store still skip the aborted records.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../storage/log/producer-state/producer-snapshot.js';
import { ABORTED_TXN_ENTRY_SIZE } from '../../storage/log/txn-index.js';
import { decodeIndexes } from '../../storage/tier/segment-indexes.js';
import { startTestBroker } from '../helpers/broker.js';
import { FAST_TIER, TOPIC_CONFIGS, kafkaClient, kafkajsConsume, produceRange, waitTiered, withAdmin } from '../storage/tier/broker-scenario.js';

describe('tiered storage with transactions', () => {
  it('uploads aborted-transaction entries and producer snapshots; read_committed skips aborted remote data', async () => {
    const tb = await startTestBroker(FAST_TIER);
    const topic = 'tier-txn';
    try {
      await withAdmin(tb.bootstrap, (a) =>
        a.createTopics({ topics: [{ topic, configEntries: Object.entries({ ...TOPIC_CONFIGS, 'remote.storage.enable': 'true' }).map(([name, value]) => ({ name, value })) }] }),
      );
      const producer = kafkaClient(tb.bootstrap).producer({ transactionalId: 'tier-txn-producer', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const value = (tag: string, i: number) => `${tag}-${i}-${'x'.repeat(200)}`;
      const runTxn = async (tag: string, commit: boolean) => {
        const txn = await producer.transaction();
        for (let i = 0; i < 60; i += 20) {
          await txn.send({ topic, messages: Array.from({ length: 20 }, (_, j) => ({ key: `${tag}-${i + j}`, value: value(tag, i + j), partition: 0 })) });
        }
        if (commit) await txn.commit();
        else await txn.abort();
      };
      await runTxn('a', true);
      await runTxn('b', false);
      await runTxn('c', true);
      await producer.disconnect();
      // Non-transactional data after the transactions rolls their segments and moves the LSO on.
      await produceRange(tb.bootstrap, topic, 0, 400);
      const st = await waitTiered(tb, topic, 4);
      const log = tb.broker.logManager.getLog(topic, 0)!;
      const producerId = log.producers.txnIndex.entriesWithMarkerIn(0, Number.MAX_SAFE_INTEGER)[0]?.producerId;
      expect(producerId).toBeGreaterThanOrEqual(0);

      // The store's objects (the default local-directory store): every .indexes object decodes.
      const dir = path.join(tb.dataDir, 'tier', `${topic}-${tb.broker.topics.get(topic)!.id}`, '0');
      const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.indexes')).sort();
      expect(names.length).toBe(st.remoteSegments);
      const aborted: { producerId: number; firstOffset: number; lastOffset: number; base: number }[] = [];
      let snapshotsWithProducer = 0;
      for (const n of names) {
        const base = Number(n.slice(0, 20));
        const ix = decodeIndexes(await fs.readFile(path.join(dir, n)));
        expect(ix.txnIndex.length % ABORTED_TXN_ENTRY_SIZE).toBe(0);
        for (let p = 0; p < ix.txnIndex.length; p += ABORTED_TXN_ENTRY_SIZE) {
          aborted.push({
            producerId: Number(ix.txnIndex.readBigInt64BE(p + 2)),
            firstOffset: Number(ix.txnIndex.readBigInt64BE(p + 10)),
            lastOffset: Number(ix.txnIndex.readBigInt64BE(p + 18)),
            base,
          });
        }
        if (ix.producerSnapshot.length > 0) {
          const snap = decodeSnapshot(ix.producerSnapshot);
          if (snap.producers.some((e) => e.producerId === producerId)) snapshotsWithProducer++;
        }
      }
      // Exactly one abort (transaction b: offsets 61..120 after a's 60 records and commit marker),
      // recorded with the segment that holds its marker.
      expect(aborted).toHaveLength(1);
      expect(aborted[0]).toMatchObject({ producerId, firstOffset: 61, lastOffset: 121 });
      const holder = names.map((n) => Number(n.slice(0, 20))).filter((b) => b <= 121).pop();
      expect(aborted[0]!.base).toBe(holder);
      expect(snapshotsWithProducer).toBeGreaterThan(0);
      expect(log.localLogStartOffset).toBeGreaterThan(182); // the transactions live only in the store now

      // read_committed from offset 0: a's and c's records, never b's.
      const seen = (await kafkajsConsume(tb.bootstrap, topic, 520)).map((m) => m.key);
      expect(seen.filter((k) => k.startsWith('b-'))).toEqual([]);
      expect(seen.filter((k) => k.startsWith('a-'))).toHaveLength(60);
      expect(seen.filter((k) => k.startsWith('c-'))).toHaveLength(60);
      expect(seen.filter((k) => k.startsWith('key-'))).toHaveLength(400);
    } finally {
      await tb.stop();
      await tb.cleanup();
    }
  }, 60_000);
});

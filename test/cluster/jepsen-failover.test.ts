// Jepsen-style failover check (issue 13; jepsen-workload.ts has the workload, jepsen-checker.ts
// the rules): three broker processes over a real etcd, RF 3, min.insync.replicas=2, acks=all
// producers (idempotent and not) recording every acknowledged record; the leader of the busiest
// partition is kill -9'd and restarted 20 times; then a read_committed consumer reads everything:
// no acknowledged record lost or moved, no duplicate from the idempotent producer, no reordering
// within a partition; and a transactional producer's transactions (committed and aborted) across
// the same kills: read_committed never shows aborted data and shows every committed transaction
// whole. scripts/jepsen-soak.ts runs the same for more cycles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETCD_BIN } from '../helpers/etcd.js';
import { check, summarize } from './jepsen-checker.js';
import { runWorkload } from './jepsen-workload.js';
import { divergence } from './replica-divergence.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';

const CYCLES = Number(process.env.JEPSEN_CYCLES ?? 20);

describe('the checker', () => {
  it('flags a lost, a moved, a duplicated and a reordered record, and aborted data shown', () => {
    const acks = [
      { producer: 'idem', seq: 0, value: 'idem-0', partition: 0, offset: 0 },
      { producer: 'idem', seq: 1, value: 'idem-1', partition: 0, offset: 1 },
      { producer: 'idem', seq: 2, value: 'idem-2', partition: 0, offset: 2 },
      { producer: 'idem', seq: 3, value: 'idem-3', partition: 1, offset: 0 },
      { producer: 'idem', seq: 5, value: 'idem-5', partition: 0, offset: 5 },
    ];
    const reads = [
      { partition: 0, offset: 0, value: 'idem-0' },
      { partition: 0, offset: 1, value: 'idem-2' }, // idem-2 before idem-1 (reordered)...
      { partition: 0, offset: 2, value: 'plain-9' }, // ...not where it was acknowledged (moved)...
      { partition: 0, offset: 3, value: 'idem-2' }, // ...and twice (duplicate)
      { partition: 0, offset: 4, value: 'idem-1' }, // idem-1 moved; idem-5 lost
      { partition: 1, offset: 0, value: 'idem-3' },
    ];
    const ok = check({ acks: acks.filter((a) => a.partition === 1), idempotent: new Set(['idem']), reads: reads.filter((r) => r.partition === 1) });
    expect(ok.ok).toBe(true);
    const r = check({
      acks,
      idempotent: new Set(['idem']),
      reads,
      txns: [{ id: 't0', values: ['txa-t0-0', 'txa-t0-1'], outcome: 'aborted' }, { id: 't1', values: ['txc-t1-0', 'txc-t1-1'], outcome: 'committed' }],
      txnReads: [{ partition: 0, offset: 0, value: 'txa-t0-0' }, { partition: 0, offset: 3, value: 'txc-t1-0' }],
    });
    expect(r.ok).toBe(false);
    expect(r.lost.map((a) => a.value)).toEqual(['idem-5']);
    expect(r.moved.map((m) => m.ack.value)).toEqual(['idem-1', 'idem-2']);
    expect(r.duplicates).toEqual([{ value: 'idem-2', count: 2, at: ['0:1', '0:3'] }]);
    expect(r.reordered).toEqual([{ partition: 0, producer: 'idem', before: 'idem-2', after: 'idem-1' }]);
    expect(r.abortedVisible).toEqual(['txa-t0-0']);
    expect(r.committedMissing).toEqual(['txc-t1-1']);
    expect(r.partialTxns).toEqual(['t0', 't1']);
  });
});

describe('the replica comparison', () => {
  it('flags a follower that skipped a batch or holds another one, and passes identical copies', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jepsen-divergence-'));
    try {
      const batch = (offset: number, value: string) => buildRecordBatch({ baseOffset: offset, baseTimestamp: 1, records: [{ key: null, value: Buffer.from(value) }] });
      const write = (id: number, values: [number, string][]) => {
        const dir = path.join(root, `b${id}`, 't-0');
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, '00000000000000000000.log'), Buffer.concat(values.map(([o, v]) => batch(o, v))));
      };
      write(1, [[0, 'a'], [1, 'b'], [2, 'c']]);
      write(2, [[0, 'a'], [1, 'b'], [2, 'c']]);
      write(3, [[0, 'a'], [2, 'c']]); // skipped offset 1, yet ends where the others do
      write(4, [[0, 'a'], [1, 'x'], [2, 'c']]); // another record at offset 1
      const dirs = (ids: number[]) => new Map(ids.map((id) => [id, path.join(root, `b${id}`)]));
      expect(divergence(dirs([1, 2]), 't', 0)).toEqual([]);
      expect(divergence(dirs([1, 3]), 't', 0)).toEqual([expect.stringContaining('broker 1 has [1..1')]);
      expect(divergence(dirs([1, 4]), 't', 0)).toHaveLength(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!fs.existsSync(ETCD_BIN))(`kill -9 the busiest leader ${CYCLES} times (3 processes over etcd)`, () => {
  it('loses no acknowledged record, duplicates nothing with idempotence, reorders nothing, shows no aborted transaction', async () => {
    const report = await runWorkload({ cycles: CYCLES, transactions: true });
    console.log(JSON.stringify({ cycles: report.cycles, acked: report.acked, failedSends: report.failedSends, reads: report.reads, durationMs: report.durationMs }));
    expect(report.cycles).toHaveLength(CYCLES);
    // Every kill moved leadership and the producers went on.
    expect(report.acked.byProducer.idem).toBeGreaterThan(CYCLES);
    expect(report.acked.byProducer.plain).toBeGreaterThan(CYCLES);
    expect(report.reads).toBeGreaterThanOrEqual(report.acked.total);
    // Transactions ran through the kills, both outcomes, and the read_uncommitted pass did see the
    // aborted records (so the read_committed check had something to hide).
    expect(report.txns.committed).toBeGreaterThan(CYCLES);
    expect(report.txns.aborted).toBeGreaterThan(0);
    expect(report.abortedSeenUncommitted).toBeGreaterThan(0);
    // The replicas agree batch for batch (a follower that skipped a batch is a loss waiting for an election).
    expect(report.divergence, report.divergence.join('\n')).toEqual([]);
    expect(report.result.ok, `${summarize(report.result)}; read_uncommitted: ${report.committedMissingUncommitted.join('; ')}`).toBe(true);
  }, 600_000);
});

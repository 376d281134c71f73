// Replaying an internal topic with transactions in it (used by every replay in read-internal.ts;
// only __consumer_offsets holds them): transactional offset commits are held per producer until their
// marker; COMMIT releases them to the group at the marker's position, ABORT drops them. Those
// still open at the end of the log are handed to the transaction coordinator as pending.
//
// Which value of a key wins is decided by log offset, not by marker position (Kafka's
// OffsetMetadataManager.replayEndTransactionMarker keeps whichever record has the higher offset):
// a held record is superseded by any later-written record of its key — a plain commit or
// tombstone right away, another producer's transactional one once that one is committed — and a
// superseded record is not released at its COMMIT marker.
import { decodeControlRecord, type DecodedBatch } from '../../../protocol/records/record-codec.js';
import type { HeldRecord } from './record-log.js';

export interface ReplayRecord {
  key: Buffer;
  value: Buffer | null;
}

export class TxnOffsetsReplay {
  private readonly open = new Map<number, HeldRecord[]>();

  /** Feeds one decoded batch; plain batches pass straight to `onRecord`. */
  accept(batch: DecodedBatch, onRecord: (r: ReplayRecord) => void): void {
    if (batch.control) {
      const held = this.open.get(batch.producerId);
      this.open.delete(batch.producerId);
      const marker = batch.records.length > 0 ? decodeControlRecord(batch.records[0]!) : null;
      if (!held || marker?.type !== 'COMMIT') return;
      for (const r of held) {
        if (r.superseded) continue;
        this.supersede(r.key, r.offset);
        onRecord({ key: r.key, value: r.value });
      }
      return;
    }
    if (batch.transactional) {
      let held = this.open.get(batch.producerId);
      if (!held) this.open.set(batch.producerId, (held = []));
      for (const rec of batch.records) if (rec.key) held.push({ key: rec.key, value: rec.value, offset: rec.offset, superseded: false });
      return;
    }
    for (const rec of batch.records) {
      if (!rec.key) continue;
      this.supersede(rec.key, rec.offset);
      onRecord({ key: rec.key, value: rec.value });
    }
  }

  /** A record of `key` at `offset` takes effect: held records of that key written before it lose. */
  private supersede(key: Buffer, offset: number): void {
    for (const held of this.open.values()) for (const r of held) if (r.offset < offset && !r.superseded && r.key.equals(key)) r.superseded = true;
  }

  /** Transactions without a marker yet: producer id → their records, in log order. */
  openTransactions(): Map<number, HeldRecord[]> {
    return this.open;
  }
}

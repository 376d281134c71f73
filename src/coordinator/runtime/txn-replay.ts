// Replaying an internal topic with transactions in it (used by every replay in read-internal.ts;
// only __consumer_offsets holds them): transactional offset commits are held per producer until their
// marker; COMMIT releases them to the group at the marker's position, ABORT drops them. Those
// still open at the end of the log are handed to the transaction coordinator as pending.
import { decodeControlRecord, type DecodedBatch } from '../../../protocol/records/record-codec.js';

export interface ReplayRecord {
  key: Buffer;
  value: Buffer | null;
}

export class TxnOffsetsReplay {
  private readonly open = new Map<number, ReplayRecord[]>();

  /** Feeds one decoded batch; plain batches pass straight to `onRecord`. */
  accept(batch: DecodedBatch, onRecord: (r: ReplayRecord) => void): void {
    if (batch.control) {
      const held = this.open.get(batch.producerId);
      this.open.delete(batch.producerId);
      const marker = batch.records.length > 0 ? decodeControlRecord(batch.records[0]!) : null;
      if (held && marker?.type === 'COMMIT') for (const r of held) onRecord(r);
      return;
    }
    if (batch.transactional) {
      let held = this.open.get(batch.producerId);
      if (!held) this.open.set(batch.producerId, (held = []));
      for (const rec of batch.records) if (rec.key) held.push({ key: rec.key, value: rec.value });
      return;
    }
    for (const rec of batch.records) if (rec.key) onRecord({ key: rec.key, value: rec.value });
  }

  /** Transactions without a marker yet: producer id → their records, in log order. */
  openTransactions(): Map<number, ReplayRecord[]> {
    return this.open;
  }
}

// AppendWaiters.watchSince: a fetch registers its watch only after a read that fell short of
// min.bytes, so an append notified during that read must still wake it (the watch starts dirty).
import { describe, expect, it } from 'vitest';
import { AppendWaiters } from '../../src/cluster/append-waiters.js';

describe('AppendWaiters.watchSince', () => {
  it('starts dirty when a notification happened since seq (a wait returns at once), clean otherwise', async () => {
    const w = new AppendWaiters();
    const parts = [{ topic: 't', partition: 0 }];

    const seq = w.seq;
    w.notify('other', 3); // an append anywhere while the fetch was reading
    const dirty = w.watchSince(parts, seq);
    expect(dirty.dirty).toBe(true);
    expect(await dirty.wait(60_000)).toBe(true);
    dirty.close();

    const clean = w.watchSince(parts, w.seq);
    expect(clean.dirty).toBe(false);
    const woken = clean.wait(60_000);
    w.notify('t', 0);
    expect(await woken).toBe(true);
    clean.close();
    expect(w.watchesOpened).toBe(2);
  });
});

// Child process for the kill -9 test: appends forever (a few appends in flight at a time) and
// prints `ACK <i> <baseOffset> <lastOffset>` once an append's `written` promise has resolved.
// stdout to a pipe is synchronous on Linux, so a printed ack was really acknowledged before a kill.
import { logConfig } from '../../../storage/log/log-config.js';
import { PartitionLog } from '../../../storage/log/partition-log.js';
import { buildTestBatch, produceRequest } from './batches.js';

const dir = process.argv[2]!;
const log = await PartitionLog.open(dir, 'crash', 0, logConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 1024 }), {
  hadCleanShutdown: false,
});
let i = 0;
const inFlight = new Set<Promise<void>>();
for (;;) {
  while (inFlight.size < 8) {
    const n = i++;
    const { records, batches } = produceRequest(buildTestBatch({ count: 3, valueSize: 50, fill: n & 0xff, timestamp: n }));
    const r = log.append(records, batches, 1);
    const p: Promise<void> = r.written.then(() => {
      process.stdout.write(`ACK ${n} ${r.baseOffset} ${r.lastOffset}\n`);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.race(inFlight);
}

// Heap allocation sampling in a broker under a benchmark (`--import` this file, with
// TRIBUTARY_ALLOC_PROFILE=<file>): the first SIGUSR2 starts V8's sampling heap profiler counting
// objects the garbage collector has already freed too (so it sees all allocation, not only what
// survived), the second stops it and writes the profile to the file (then the line
// `ALLOC_PROFILE written` on stderr). Every later pair does the same again.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const file = process.env.TRIBUTARY_ALLOC_PROFILE;
const interval = Number(process.env.TRIBUTARY_ALLOC_SAMPLING_BYTES ?? 128);
let session = null;
if (file) {
  process.on('SIGUSR2', () => {
    if (session === null) {
      session = new Session();
      session.connect();
      session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return;
    }
    const s = session;
    session = null;
    s.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) writeFileSync(file, JSON.stringify(r.profile));
      s.disconnect();
      process.stderr.write(err ? `ALLOC_PROFILE failed ${err.message}\n` : 'ALLOC_PROFILE written\n');
    });
  });
}

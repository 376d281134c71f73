// Prints every batch of one partition directory of a stopped broker (a diagnostic for the Streams
// broker-kill case, whose failed runs keep the data dir): offsets, producer id/epoch, transactional
// or control (COMMIT/ABORT), and per record the key and value — __consumer_offsets records decoded
// (offset commits as group topic-partition = offset).
//   npx tsx test/compat/streams/dump-partition.ts <data dir>/<topic>-<partition> [grep]
import fs from 'node:fs';
import path from 'node:path';
import { decodeControlRecord, decodeRecordBatches, type DecodedBatch } from '../../../protocol/records/record-codec.js';
import { decodeOffsetCommitValue, decodeOffsetsRecordKey } from '../../../src/coordinator/common/offsets-records.js';

const dir = process.argv[2]!;
const filter = process.argv[3];
const offsetsTopic = path.basename(dir).startsWith('__consumer_offsets');
for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
  let buf = fs.readFileSync(path.join(dir, f));
  // A torn tail (kill -9 mid-write) ends the file.
  let batches: DecodedBatch[];
  for (;;) {
    try {
      batches = decodeRecordBatches(buf, { verifyCrc: false });
      break;
    } catch {
      buf = buf.subarray(0, buf.length - 1);
      if (buf.length === 0) { batches = []; break; }
    }
  }
  for (const b of batches) {
    const head = `${b.baseOffset}-${b.baseOffset + b.lastOffsetDelta} pid=${b.producerId} ep=${b.producerEpoch} seq=${b.baseSequence}${b.transactional ? ' TXN' : ''}`;
    if (b.control) {
      const m = decodeControlRecord(b.records[0]!);
      console.log(`${head} CONTROL ${m?.type} coordEpoch=${m?.coordinatorEpoch}`);
      continue;
    }
    for (const r of b.records) {
      let text: string;
      if (offsetsTopic && r.key) {
        const k = decodeOffsetsRecordKey(r.key);
        if (k?.type === 'offset') text = `${k.group} ${k.topic}-${k.partition} = ${r.value ? decodeOffsetCommitValue(r.value).offset : 'TOMBSTONE'}`;
        else text = `${k?.type ?? 'other'} ${k && 'group' in k ? k.group : ''}`;
      } else {
        text = `${r.key?.toString('utf8').replace(/[^\x20-\x7e]/g, '.') ?? 'null'} => ${r.value?.toString('utf8').replace(/[^\x20-\x7e]/g, '.') ?? 'null'}`;
      }
      const line = `${head} @${r.offset} ts=${r.timestamp} ${text}`;
      if (!filter || line.includes(filter)) console.log(line);
    }
  }
}

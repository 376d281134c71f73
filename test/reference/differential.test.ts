// Differential test: the same scripted Java client sessions (test/compat/java/*Session.java,
// kafka-clients 4.1) run against Apache Kafka 4.1 itself (test/helpers/kafka-reference.ts, a
// single KRaft node resolved from Maven Central) and against a spawned Tributary, and what the
// clients observed must match: error classes, offsets, high watermarks and LSOs, timestamps,
// ListOffsets answers, topic config descriptions (value, source, isDefault, type), group and
// transaction states. The sessions print counts and flags instead of ids, hosts and wall-clock
// times, so no other normalising is needed. Each difference that stays is listed, with its reason,
// in known-differences.ts (and README.md's compatibility notes); anything else fails here.
//
// Costs one Kafka JVM start (10-40 s on a busy 2-core machine, ~330 MB RSS) per run of this file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaReference, type KafkaReference } from '../helpers/kafka-reference.js';
import { javaClasspath, runJava } from '../helpers/java-client.js';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { diffTranscripts, type Difference } from './transcript-diff.js';

const SESSIONS: { name: string; main: string; args: string[] }[] = [
  { name: 'AdminSession', main: 'AdminSession', args: [] },
  { name: 'ProducerSession', main: 'ProducerSession', args: [] },
  { name: 'FetchSession', main: 'FetchSession', args: [] },
  { name: 'CompactionSession', main: 'CompactionSession', args: [] },
  { name: 'ConsumerSession classic', main: 'ConsumerSession', args: ['classic'] },
  { name: 'ConsumerSession consumer', main: 'ConsumerSession', args: ['consumer'] },
];

let kafka: KafkaReference;
let tributary: SpawnedBroker;
const seen = new Set<(typeof KNOWN_DIFFERENCES)[number]>();

beforeAll(async () => {
  javaClasspath(); // resolve + javac before the clocks of the tests start
  // Both cleaners look for work every 200 ms instead of 15 s, so CompactionSession waits briefly.
  [kafka, tributary] = await Promise.all([
    startKafkaReference({ properties: { 'log.cleaner.backoff.ms': '200' } }),
    spawnBroker({ overrides: { 'log.cleaner.backoff.ms': '200' } }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([kafka?.stop(), tributary?.cleanup()]);
}, 60_000);

describe('Java client sessions observe the same on Apache Kafka and on Tributary', () => {
  for (const s of SESSIONS) {
    it(s.name, async () => {
      // Both brokers start empty and each session names its own topics, so the same prefix keeps
      // topic names (which show in the transcripts) identical on both sides.
      const [onKafka, onTributary] = await Promise.all([
        runJava(s.main, [kafka.bootstrap, 'diff', ...s.args], 120_000),
        runJava(s.main, [tributary.bootstrap, 'diff', ...s.args], 120_000),
      ]);
      expect(onKafka.length).toBeGreaterThan(2);
      const unexplained: Difference[] = [];
      for (const d of diffTranscripts(onKafka, onTributary)) {
        const known = KNOWN_DIFFERENCES.find((k) => k.session.test(s.name) && k.path.test(d.path));
        if (known) seen.add(known);
        else unexplained.push(d);
      }
      expect(unexplained, `differences from Apache Kafka ${kafka.version} not in known-differences.ts`).toEqual([]);
    }, 240_000);
  }

  it('every listed known difference still occurs (drop the entry once Tributary matches Kafka)', () => {
    // Entries for sessions of other files (differential-security.test.ts) are checked there.
    const stale = KNOWN_DIFFERENCES.filter((k) => !seen.has(k) && SESSIONS.some((s) => k.session.test(s.name))).map((k) => `${k.session} ${k.path}`);
    expect(stale).toEqual([]);
  });
});

// Differential test for ACLs and SCRAM users: test/compat/java/AclScramSession.java (AdminClient
// CreateAcls/DescribeAcls/DeleteAcls with filters and pattern types, what a non-super user may do
// then, Alter/DescribeUserScramCredentials incl. their errors, SCRAM logins) against Apache Kafka
// 4.1 and against a spawned Tributary with the same security settings: an authorizer
// (StandardAuthorizer), `super.users` = the session's admin (and ANONYMOUS, the principal of the
// PLAINTEXT controller/inter-broker listener Kafka needs), and a SASL_PLAINTEXT listener with PLAIN
// users and SCRAM-SHA-256/512. Differences that stay are in known-differences.ts with their reason.
//
// Settings: security-setup.ts. Its own Kafka JVM (the authorizer would change what the other
// sessions observe). test/compat/java-acl-scram.test.ts runs the same session on Tributary alone.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaReference, type KafkaReference } from '../helpers/kafka-reference.js';
import { javaClasspath, runJava } from '../helpers/java-client.js';
import type { SpawnedBroker } from '../helpers/spawned-broker.js';
import { PLAIN_USERS, SECURITY, startSecuredTributary } from './security-setup.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { diffTranscripts, type Difference } from './transcript-diff.js';

const SESSION = 'AclScramSession';

let kafka: KafkaReference;
let tributary: SpawnedBroker;
let tributarySasl: string;

beforeAll(async () => {
  javaClasspath();
  [kafka, tributary] = await Promise.all([
    startKafkaReference({ properties: SECURITY, sasl: { plainUsers: PLAIN_USERS } }),
    startSecuredTributary().then((t) => {
      tributarySasl = t.sasl;
      return t.broker;
    }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([kafka?.stop(), tributary?.cleanup()]);
}, 60_000);

describe('ACL and SCRAM admin sessions observe the same on Apache Kafka and on Tributary', () => {
  it(SESSION, async () => {
    const [onKafka, onTributary] = await Promise.all([
      runJava(SESSION, [kafka.saslBootstrap!, 'diff'], 180_000),
      runJava(SESSION, [tributarySasl, 'diff'], 180_000),
    ]);
    // TRIBUTARY_REF_TRANSCRIPTS=<dir> keeps both transcripts (to read what Kafka answered).
    const keep = process.env.TRIBUTARY_REF_TRANSCRIPTS;
    if (keep) {
      fs.mkdirSync(keep, { recursive: true });
      fs.writeFileSync(path.join(keep, `${SESSION}.kafka.json`), JSON.stringify(onKafka, null, 1));
      fs.writeFileSync(path.join(keep, `${SESSION}.tributary.json`), JSON.stringify(onTributary, null, 1));
    }
    // Proof the session ran as a super user on Kafka: its ACLs were created and read back.
    expect(JSON.stringify(onKafka.find((s) => s.step === 'createAcls'))).toContain('"ok":10');
    const seen = new Set<(typeof KNOWN_DIFFERENCES)[number]>();
    const unexplained: Difference[] = [];
    for (const d of diffTranscripts(onKafka, onTributary)) {
      const known = KNOWN_DIFFERENCES.find((k) => k.session.test(SESSION) && k.path.test(d.path));
      if (known) seen.add(known);
      else unexplained.push(d);
    }
    expect(unexplained, `differences from Apache Kafka ${kafka.version} not in known-differences.ts`).toEqual([]);
    const stale = KNOWN_DIFFERENCES.filter((k) => k.session.test(SESSION) && !seen.has(k)).map((k) => `${k.path}`);
    expect(stale, 'listed differences that no longer occur').toEqual([]);
  }, 240_000);
});

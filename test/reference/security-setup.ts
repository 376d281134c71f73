// The security settings the ACL/SCRAM sessions run with, the same on Apache Kafka and Tributary:
// StandardAuthorizer, `super.users` = the session's admin (and ANONYMOUS, the principal of the
// PLAINTEXT controller/inter-broker listener Kafka needs), a SASL_PLAINTEXT listener with PLAIN
// users and SCRAM-SHA-256/512.
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { waitFor } from '../helpers/wait.js';

export const PLAIN_USERS = { admin: 'admin-secret', alice: 'alice-secret' };

export const SECURITY: Record<string, string> = {
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users': 'User:admin;User:ANONYMOUS',
};

/** A spawned Tributary with SECURITY and a SASL_PLAINTEXT listener; `sasl` is its bootstrap. */
export async function startSecuredTributary(): Promise<{ broker: SpawnedBroker; sasl: string }> {
  const broker = await spawnBroker({
    // Often starts beside a Kafka JVM on a shared 2-core machine.
    startTimeoutMs: 120_000,
    overrides: {
      ...SECURITY,
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(PLAIN_USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ')};`,
    },
  });
  // One "listening" line per listener, all logged before "broker started".
  await waitFor(() => broker.logs().includes('broker started'), "the 'broker started' log line", 10_000);
  for (const line of broker.logs().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const o = JSON.parse(line);
    const f = { ...o, ...(o.fields ?? {}) };
    if (f.listener === 'SASL_PLAINTEXT') return { broker, sasl: `127.0.0.1:${f.port}` };
  }
  await broker.cleanup();
  throw new Error(`no SASL_PLAINTEXT listener in the logs:\n${broker.logs().slice(-4000)}`);
}

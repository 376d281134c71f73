// The Java AdminClient (kafka-clients 4.1) on ACLs and SCRAM users against a spawned Tributary with
// an authorizer and a SASL_PLAINTEXT listener (test/reference/security-setup.ts): the session
// test/reference/differential-security.test.ts compares with Apache Kafka, here on Tributary alone
// (no JVM broker), asserting what Kafka 4.1 answered to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaClasspath, runJava, stepOf } from '../helpers/java-client.js';
import type { SpawnedBroker } from '../helpers/spawned-broker.js';
import { startSecuredTributary } from '../reference/security-setup.js';

let broker: SpawnedBroker;
let sasl: string;

beforeAll(async () => {
  javaClasspath();
  ({ broker, sasl } = await startSecuredTributary());
}, 240_000);

afterAll(async () => {
  await broker?.cleanup();
});

const ok = (value: unknown) => ({ result: { ok: value } });
const err = (error: string) => ({ result: { error } });
const each = (m: Record<string, unknown>) => ok(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'string' ? { error: v } : { ok: v }])));

describe('kafka-clients 4.1 AdminClient: ACLs and SCRAM users on Tributary', () => {
  it('answers the ACL/SCRAM session as Apache Kafka 4.1 does', async () => {
    const s = await runJava('AclScramSession', [sasl, 'acl'], 180_000);
    const expectStep = (name: string, fields: Record<string, unknown>) => expect(stepOf(s, name), name).toEqual({ step: name, ...fields });
    expectStep('createAcls', ok(10));
    expectStep('createAcls.again', ok(true));
    expectStep('createAcls.invalid.clusterWrongName', err('InvalidRequestException'));
    expectStep('createAcls.invalid.principalNoType', err('InvalidRequestException'));
    expectStep('createAcls.invalid.emptyName', err('InvalidRequestException'));
    expectStep('createAcls.invalid.wildcardPrefixed', ok(true));
    expectStep('describeAcls.matchOtherTopic', ok(['TOPIC:LITERAL:* User:bob@* ALL ALLOW']));
    expectStep('describeAcls.prefixed', ok(['TOPIC:PREFIXED:* User:alice@* READ ALLOW', 'TOPIC:PREFIXED:acl- User:alice@* DESCRIBE ALLOW']));
    expectStep('describeAcls.deny', ok([
      'TOPIC:LITERAL:acl-acl User:alice@10.0.0.1 WRITE DENY',
      'TOPIC:LITERAL:acl-hidden User:alice@127.0.0.1 DESCRIBE DENY',
    ]));
    expectStep('alice.listTopics', ok(['acl-acl']));
    expectStep('alice.createTopic', err('TopicAuthorizationException'));
    expectStep('alice.describeAcls', err('ClusterAuthorizationException'));
    expectStep('alice.describeHidden', err('TopicAuthorizationException'));
    expectStep('alice.describeTopicOperations', ok(['DESCRIBE', 'READ']));
    expectStep('alice.describeClusterOperations', ok([]));
    expectStep('alice.describeGroupOperations', err('GroupIdNotFoundException'));
    expectStep('alice.describeOtherGroup', err('GroupAuthorizationException'));
    expectStep('alice.otherGroupOffsets', err('GroupAuthorizationException'));
    expectStep('alice.alterScram', err('ClusterAuthorizationException'));
    expectStep('deleteAcls.twoFilters', ok([
      { ok: ['GROUP:LITERAL:acl-g User:alice@* READ ALLOW'] },
      { ok: ['TOPIC:LITERAL:acl-acl User:alice@* IDEMPOTENT_WRITE ALLOW', 'TOPIC:LITERAL:acl-acl User:alice@* READ ALLOW', 'TOPIC:PREFIXED:acl- User:alice@* DESCRIBE ALLOW'] },
    ]));
    expectStep('describeAcls.afterDeleteAll', ok([]));

    expectStep('scram.describeAll', ok({ 'acl-bob': ['SCRAM_SHA_256/8192', 'SCRAM_SHA_512/10000'], 'acl-carol': ['SCRAM_SHA_512/4096'] }));
    expectStep('scram.describeUnknown', ok({ 'acl-carol': { ok: ['SCRAM_SHA_512/4096'] }, 'acl-nobody': { error: 'ResourceNotFoundException' } }));
    expectStep('scram.describeDuplicate', each({ 'acl-carol': 'DuplicateResourceException' }));
    expectStep('scram.iterationsBounds', each({ 'acl-max': true, 'acl-min': true }));
    expectStep('scram.iterationsTooLow', each({ 'acl-low': 'UnacceptableCredentialException' }));
    expectStep('scram.iterationsTooHigh', each({ 'acl-high': 'UnacceptableCredentialException' }));
    expectStep('scram.emptyUser', each({ '': 'UnacceptableCredentialException' }));
    expectStep('scram.emptyPassword', each({ 'acl-nopw': 'UnacceptableCredentialException' }));
    // An upsert and a deletion of one user in one request: Kafka checks the deletion first.
    expectStep('scram.duplicateUser', each({ 'acl-dup': 'ResourceNotFoundException' }));
    expectStep('scram.duplicateUserWithOther', each({ 'acl-dup2': 'DuplicateResourceException', 'acl-ok': true }));
    expectStep('scram.deleteUnknownUser', each({ 'acl-nobody': 'ResourceNotFoundException' }));
    expectStep('scram.deleteUnknownMechanism', each({ 'acl-carol': 'ResourceNotFoundException' }));
    expectStep('login.bob256', ok(true));
    expectStep('login.carolWrongMechanism', err('SaslAuthenticationException'));
    expectStep('login.carolWrongPassword', err('SaslAuthenticationException'));
    expectStep('bob.createTopicDenied', err('TopicAuthorizationException'));
    expectStep('bob.createTopicAllowed', ok(['acl-bobs']));
    expectStep('login.bob256AfterDelete', err('SaslAuthenticationException'));
    expectStep('scram.describeGone', ok({ 'acl-bob': { error: 'ResourceNotFoundException' } }));
    expectStep('login.carolOldPassword', err('SaslAuthenticationException'));
    expectStep('login.carolNewPassword', ok(true));
  }, 240_000);
});


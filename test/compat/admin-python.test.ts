// The admin surface from the Debian Python clients against a spawned broker:
// confluent-kafka-python 1.7 (librdkafka 2.0.2: AlterConfigs, DescribeConfigs with sources and
// synonyms, on TOPIC and BROKER resources) and kafka-python 2.0.2 (alter_configs /
// describe_configs). Neither version has incremental_alter_configs or delete_records; those are
// covered by the kafkajs / @platformatic/kafka integration tests. Dynamic broker configs must
// survive a crash (SIGKILL) of the broker process.
//
// The Python side is embedded below and reuses test/compat/py/common.py (one JSON argument in,
// one JSON line out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBroker, type SpawnedBroker } from '../helpers/spawned-broker.js';
import { explain, PY_DIR, PYTHON, requirePythonModule, run, uniqueTopic } from './support/tools.js';

const SCRIPT = String.raw`
import sys
sys.path.insert(0, sys.argv[2])
from common import main

TIMEOUT = 15.0


def ck_admin(params):
    from confluent_kafka.admin import AdminClient
    return AdminClient({'bootstrap.servers': params['bootstrap']})


def ck_resource(r):
    from confluent_kafka.admin import ConfigResource
    return ConfigResource(r['type'], r['name'], set_config=r.get('set'))


def ck_alter(params, op):
    from confluent_kafka import KafkaException
    admin = ck_admin(params)
    fs = admin.alter_configs([ck_resource(r) for r in op['resources']], request_timeout=TIMEOUT,
                             validate_only=op.get('validateOnly', False))
    out = []
    for res, f in fs.items():
        try:
            f.result(TIMEOUT)
            out.append({'name': res.name, 'error': None})
        except KafkaException as e:
            err = e.args[0]
            out.append({'name': res.name, 'error': err.name(), 'str': err.str()})
    return {'results': out}


def ck_describe(params, op):
    from confluent_kafka.admin import ConfigSource
    admin = ck_admin(params)
    res = ck_resource(op['resource'])
    entries = admin.describe_configs([res], request_timeout=TIMEOUT)[res].result(TIMEOUT)
    keys = op.get('keys')
    return {'configs': {name: {'value': e.value, 'source': ConfigSource(e.source).name,
                               'synonyms': [[s.name, s.value, ConfigSource(s.source).name] for s in e.synonyms.values()]}
                        for name, e in entries.items() if keys is None or name in keys}}


def ck_create_topic(params, op):
    from confluent_kafka.admin import NewTopic
    admin = ck_admin(params)
    admin.create_topics([NewTopic(op['topic'], 1, 1)], request_timeout=TIMEOUT)[op['topic']].result(TIMEOUT)
    return {}


def kp_alter_describe(params, op):
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=params['bootstrap'], request_timeout_ms=15000)
    try:
        altered = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, op['topic'], configs=op['set'])])
        alter_errors = [[r[0], r[2]] for r in altered.resources]  # error code, resource type
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, op['topic'])])
        configs = {}
        for resp in described:
            for res in resp.resources:
                for entry in res[4]:
                    configs[entry[0]] = entry[1]
        return {'alterErrors': alter_errors, 'configs': configs}
    finally:
        admin.close()


main({'ck_alter': ck_alter, 'ck_describe': ck_describe, 'ck_create_topic': ck_create_topic,
      'kp_alter_describe': kp_alter_describe})
`;

type OpResult = Record<string, any> & { op: string; error?: string; trace?: string };

let broker: SpawnedBroker;

beforeAll(async () => {
  requirePythonModule('confluent_kafka', 'python3-confluent-kafka');
  requirePythonModule('kafka', 'python3-kafka');
  broker = await spawnBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

async function py(...ops: Record<string, unknown>[]): Promise<OpResult[]> {
  const params = JSON.stringify({ bootstrap: broker.bootstrap, ops });
  const r = await run(PYTHON, ['-c', SCRIPT, params, PY_DIR], { timeoutMs: 45_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(explain('python admin ops', r));
  const { results } = JSON.parse(last) as { results: OpResult[] };
  for (const res of results) expect(res.error, `${res.op}: ${res.error}\n${res.trace ?? ''}`).toBeUndefined();
  return results;
}

const TOPIC = 2;
const BROKER = 4;

describe('confluent-kafka-python AdminClient', () => {
  it('alters topic configs (replacing the set) and reads them back with sources', async () => {
    const topic = uniqueTopic('ck-alter');
    const [, first, afterFirst, second, afterSecond, bad] = await py(
      { op: 'ck_create_topic', topic },
      { op: 'ck_alter', resources: [{ type: TOPIC, name: topic, set: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } }] },
      { op: 'ck_describe', resource: { type: TOPIC, name: topic }, keys: ['retention.ms', 'cleanup.policy', 'segment.bytes'] },
      { op: 'ck_alter', resources: [{ type: TOPIC, name: topic, set: { 'segment.bytes': '2097152' } }] },
      { op: 'ck_describe', resource: { type: TOPIC, name: topic }, keys: ['retention.ms', 'cleanup.policy', 'segment.bytes'] },
      { op: 'ck_alter', resources: [{ type: TOPIC, name: topic, set: { 'retention.ms': 'soon' } }, { type: TOPIC, name: `${topic}-missing`, set: { 'retention.ms': '1' } }] },
    );
    expect(first!.results).toEqual([{ name: topic, error: null }]);
    expect(afterFirst!.configs['retention.ms']).toMatchObject({ value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(afterFirst!.configs['cleanup.policy']).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(second!.results).toEqual([{ name: topic, error: null }]);
    // AlterConfigs is replace-all: the earlier overrides are gone.
    expect(afterSecond!.configs['retention.ms']).toMatchObject({ value: '604800000', source: 'DEFAULT_CONFIG' });
    expect(afterSecond!.configs['cleanup.policy']).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
    expect(afterSecond!.configs['segment.bytes']).toMatchObject({ value: '2097152', source: 'DYNAMIC_TOPIC_CONFIG' });
    const errors = Object.fromEntries((bad!.results as { name: string; error: string }[]).map((r) => [r.name, r.error]));
    expect(errors).toEqual({ [topic]: 'INVALID_CONFIG', [`${topic}-missing`]: 'UNKNOWN_TOPIC_OR_PART' });
  });

  it('sets a dynamic per-broker config that survives a broker crash', async () => {
    const [altered, described, readOnly] = await py(
      { op: 'ck_alter', resources: [{ type: BROKER, name: '1', set: { 'log.retention.ms': '43200000' } }] },
      { op: 'ck_describe', resource: { type: BROKER, name: '1' }, keys: ['log.retention.ms'] },
      { op: 'ck_alter', resources: [{ type: BROKER, name: '1', set: { 'log.dirs': '/elsewhere' } }] },
    );
    expect(altered!.results).toEqual([{ name: '1', error: null }]);
    expect(described!.configs['log.retention.ms']).toMatchObject({ value: '43200000', source: 'DYNAMIC_BROKER_CONFIG' });
    expect(described!.configs['log.retention.ms'].synonyms[0]).toEqual(['log.retention.ms', '43200000', 'DYNAMIC_BROKER_CONFIG']);
    expect(readOnly!.results[0]).toMatchObject({ error: 'INVALID_REQUEST' });
    expect(readOnly!.results[0].str).toContain('Cannot update these configs dynamically');

    broker = await broker.restart({ signal: 'SIGKILL' });
    const topic = uniqueTopic('ck-after-crash');
    const [, brokerCfg, topicCfg] = await py(
      { op: 'ck_create_topic', topic },
      { op: 'ck_describe', resource: { type: BROKER, name: '1' }, keys: ['log.retention.ms'] },
      { op: 'ck_describe', resource: { type: TOPIC, name: topic }, keys: ['retention.ms'] },
    );
    expect(brokerCfg!.configs['log.retention.ms']).toMatchObject({ value: '43200000', source: 'DYNAMIC_BROKER_CONFIG' });
    // A topic without its own retention.ms inherits the dynamic broker value.
    expect(topicCfg!.configs['retention.ms']).toMatchObject({ value: '43200000', source: 'DYNAMIC_BROKER_CONFIG' });
  });
});

describe('kafka-python KafkaAdminClient', () => {
  it('alters and describes topic configs', async () => {
    const topic = uniqueTopic('kp-alter');
    const [, res] = await py({ op: 'ck_create_topic', topic }, { op: 'kp_alter_describe', topic, set: { 'max.message.bytes': '500000' } });
    expect(res!.alterErrors).toEqual([[0, 2]]);
    expect(res!.configs['max.message.bytes']).toBe('500000');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadBrokerConfig } from '../../src/config/broker-config.js';
import { ConfigSource, LONG_MAX } from '../../src/config/definitions.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-config-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeProps(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

function expectConfigError(fn: () => unknown, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  for (const p of parts) expect((caught as Error).message).toContain(p);
}

describe('loadBrokerConfig defaults', () => {
  const config = loadBrokerConfig();

  it('has the documented defaults', () => {
    expect(config.get('node.id')).toBe(1);
    expect(config.nodeId).toBe(1);
    expect(config.get('num.partitions')).toBe(1);
    expect(config.get('default.replication.factor')).toBe(1);
    expect(config.get('auto.create.topics.enable')).toBe(true);
    expect(config.get('message.max.bytes')).toBe(1048588);
    expect(config.get('socket.request.max.bytes')).toBe(104857600);
    expect(config.get('connections.max.idle.ms')).toBe(600000);
    expect(config.get('queued.max.requests')).toBe(500);
    expect(config.get('log.retention.ms')).toBeNull();
    expect(config.get('log.retention.hours')).toBe(168);
    expect(config.get('log.flush.interval.messages')).toBe(LONG_MAX);
    expect(config.get('log.cleanup.policy')).toEqual(['delete']);
    expect(config.get('tributary.max.inflight.requests.per.connection')).toBe(100);
    expect(config.get('tributary.max.unsent.response.bytes')).toBe(64 * 1024 * 1024);
    expect(config.logDirs).toEqual(['./tributary-data']);
    expect(config.clusterId).toBeNull();
    expect(config.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    expect(config.advertisedListeners).toEqual(config.listeners);
    expect(config.source('num.partitions')).toBe('DEFAULT_CONFIG');
    expect(config.warnings).toEqual([]);
  });

  it('does not read process.env unless given it', () => {
    process.env.TRIBUTARY_NUM_PARTITIONS = '9';
    try {
      expect(loadBrokerConfig().get('num.partitions')).toBe(1);
      expect(loadBrokerConfig({ env: process.env }).get('num.partitions')).toBe(9);
    } finally {
      delete process.env.TRIBUTARY_NUM_PARTITIONS;
    }
  });
});

describe('precedence: overrides > env > file > defaults', () => {
  const file = writeProps('prec.properties', 'num.partitions=2\ndefault.replication.factor=2\nlog.roll.hours=2\nqueued.max.requests=2\n');

  it('applies each layer over the one below', () => {
    const config = loadBrokerConfig({
      file,
      env: { TRIBUTARY_DEFAULT_REPLICATION_FACTOR: '3', TRIBUTARY_NUM_PARTITIONS: '3', TRIBUTARY_LOG_ROLL_HOURS: '3' },
      overrides: ['num.partitions=4'],
    });
    expect(config.get('num.partitions')).toBe(4);
    expect(config.origin('num.partitions')).toBe('override');
    expect(config.get('default.replication.factor')).toBe(3);
    expect(config.origin('default.replication.factor')).toBe('env');
    expect(config.get('queued.max.requests')).toBe(2);
    expect(config.origin('queued.max.requests')).toBe('file');
    expect(config.get('log.roll.hours')).toBe(3);
    expect(config.get('message.max.bytes')).toBe(1048588);
    // All static sources are STATIC_BROKER_CONFIG to DescribeConfigs.
    for (const k of ['num.partitions', 'default.replication.factor', 'queued.max.requests'] as const) {
      expect(config.source(k)).toBe('STATIC_BROKER_CONFIG');
    }
    expect(config.source('message.max.bytes')).toBe('DEFAULT_CONFIG');
  });

  it('an override value may contain = and later overrides win', () => {
    const config = loadBrokerConfig({ overrides: ['cluster.id=abc=def', 'num.partitions=2', 'num.partitions=5'] });
    expect(config.get('cluster.id')).toBe('abc=def');
    expect(config.get('num.partitions')).toBe(5);
  });

  it('programmatic props sit between env and overrides', () => {
    const config = loadBrokerConfig({
      env: { TRIBUTARY_NUM_PARTITIONS: '3' },
      props: { 'num.partitions': 6, 'auto.create.topics.enable': false },
    });
    expect(config.get('num.partitions')).toBe(6);
    expect(config.get('auto.create.topics.enable')).toBe(false);
    expect(loadBrokerConfig({ props: { 'num.partitions': 6 }, overrides: ['num.partitions=7'] }).get('num.partitions')).toBe(7);
  });

  it('a missing file is a ConfigError naming the file', () => {
    expectConfigError(() => loadBrokerConfig({ file: path.join(tmp, 'nope.properties') }), 'nope.properties');
  });
});

describe('environment form', () => {
  it('maps TRIBUTARY_ and KAFKA_ names with the docker-image rule, TRIBUTARY_ winning', () => {
    const config = loadBrokerConfig({
      env: {
        TRIBUTARY_LOG_DIRS: '/a,/b',
        KAFKA_NUM_PARTITIONS: '7',
        KAFKA_LOG_RETENTION_MS: '1000',
        TRIBUTARY_LOG_RETENTION_MS: '2000',
        KAFKA_OPTS: '-Xmx1g', // JVM option for Kafka scripts: skipped silently
        KAFKA_HEAP_OPTS: '-Xmx1g',
        PATH: '/usr/bin',
      },
    });
    expect(config.logDirs).toEqual(['/a', '/b']);
    expect(config.get('num.partitions')).toBe(7);
    expect(config.get('log.retention.ms')).toBe(2000);
    expect(config.warnings).toEqual([]);
  });

  it('TRIBUTARY_LOG_LEVEL is an alias of tributary.log.level', () => {
    expect(loadBrokerConfig({ env: { TRIBUTARY_LOG_LEVEL: 'debug' } }).get('tributary.log.level')).toBe('debug');
    expectConfigError(() => loadBrokerConfig({ env: { TRIBUTARY_LOG_LEVEL: 'loud' } }), 'tributary.log.level', 'loud', 'TRIBUTARY_LOG_LEVEL');
  });

  it('bad env values name the key and the variable', () => {
    expectConfigError(() => loadBrokerConfig({ env: { TRIBUTARY_NUM_PARTITIONS: 'x' } }), 'num.partitions', 'TRIBUTARY_NUM_PARTITIONS');
  });

  it('unknown env keys warn', () => {
    const warnings: string[] = [];
    loadBrokerConfig({ env: { TRIBUTARY_NO_SUCH_THING: '1' }, warn: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no.such.thing');
  });
});

describe('unknown keys', () => {
  it('warn instead of failing, via warn() and config.warnings', () => {
    const file = writeProps('unknown.properties', 'num.partitions=2\nzookeeper.connect=localhost:2181\n');
    const warnings: string[] = [];
    const config = loadBrokerConfig({ file, overrides: ['retention.ms=5'], warn: (w) => warnings.push(w) });
    expect(config.get('num.partitions')).toBe(2);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('zookeeper.connect');
    expect(warnings[0]).toContain('unknown.properties:2');
    // A topic-level key given to the broker gets a hint at its broker synonym.
    expect(warnings[1]).toContain('log.retention.ms');
    expect(config.warnings).toEqual(warnings);
  });

  it('suggest the closest known key for a typo, and nothing for a foreign key', () => {
    const warnings: string[] = [];
    loadBrokerConfig({ overrides: ['num.partition=3', 'auto.create.topic.enable=false', 'zookeeper.connect=z:2181'], warn: (w) => warnings.push(w) });
    expect(warnings[0]).toContain("did you mean 'num.partitions'?");
    expect(warnings[1]).toContain("did you mean 'auto.create.topics.enable'?");
    expect(warnings[2]).not.toContain('did you mean');
  });
});

describe('bad values throw ConfigError naming key, value and expectation', () => {
  it.each([
    ['num.partitions=abc', ['num.partitions', 'abc', 'Not a number of type INT']],
    ['num.partitions=0', ['num.partitions', 'Value must be at least 1']],
    ['num.partitions=2147483648', ['num.partitions', 'INT']],
    ['num.partitions=1.5', ['num.partitions', 'INT']],
    ['log.segment.bytes=10', ['log.segment.bytes', '10', 'at least 14']],
    ['auto.create.topics.enable=yes', ['auto.create.topics.enable', 'true or false']],
    ['log.retention.ms=-2', ['log.retention.ms', 'at least -1']],
    ['log.retention.bytes=9223372036854775808', ['log.retention.bytes', 'LONG']],
    ['log.cleaner.min.cleanable.ratio=1.5', ['log.cleaner.min.cleanable.ratio', 'no more than 1']],
    ['log.message.timestamp.type=Now', ['log.message.timestamp.type', 'CreateTime, LogAppendTime']],
    ['log.cleanup.policy=shred', ['log.cleanup.policy', 'shred']],
    ['log.cleanup.policy=delete,delete', ['log.cleanup.policy', 'duplicate']],
    ['compression.type=brotli', ['compression.type', 'brotli', 'uncompressed, zstd, lz4, snappy, gzip, producer']],
    ['listeners=localhost:9092', ['listeners', 'localhost:9092', 'NAME://host:port']],
    ['listeners=PLAINTEXT://127.0.0.1:99999', ['listeners', '99999']],
    ['listeners=FOO://127.0.0.1:9092', ['listeners', 'FOO', 'listener.security.protocol.map']],
    ['listeners=PLAINTEXT://a:1,PLAINTEXT://b:2', ['listeners', 'PLAINTEXT']],
    ['listener.security.protocol.map=PLAINTEXT:TLS', ['listener.security.protocol.map', 'TLS']],
    ['advertised.listeners=PLAINTEXT://0.0.0.0:9092', ['advertised.listeners', '0.0.0.0']],
    ['advertised.listeners=OTHER://h:1', ['advertised.listeners', 'OTHER']],
    ['log.dirs=/a,/a', ['log.dirs', 'duplicates']],
    ['inter.broker.listener.name=NOPE', ['inter.broker.listener.name', 'NOPE']],
  ])('%s', (override, parts) => {
    expectConfigError(() => loadBrokerConfig({ overrides: [override] }), ...parts);
  });

  it('file values report file and line', () => {
    const file = writeProps('bad.properties', '# header\nnum.partitions=abc\n');
    expectConfigError(() => loadBrokerConfig({ file }), 'num.partitions', 'abc', 'bad.properties:2');
  });

  it('an override without = is a ConfigError', () => {
    expectConfigError(() => loadBrokerConfig({ overrides: ['num.partitions'] }), 'num.partitions', 'key=value');
  });

  it('checks compaction lag bounds across keys', () => {
    expectConfigError(
      () => loadBrokerConfig({ overrides: ['log.cleaner.min.compaction.lag.ms=10', 'log.cleaner.max.compaction.lag.ms=5'] }),
      'log.cleaner.min.compaction.lag.ms',
    );
  });
});

describe('value parsing rules', () => {
  it('trims values, parses booleans case-insensitively, splits lists on commas', () => {
    const config = loadBrokerConfig({
      overrides: ['num.partitions=  3 ', 'delete.topic.enable=FALSE', 'log.dirs= /x , /y ', 'log.cleanup.policy=compact, delete'],
    });
    expect(config.get('num.partitions')).toBe(3);
    expect(config.get('delete.topic.enable')).toBe(false);
    expect(config.logDirs).toEqual(['/x', '/y']);
    expect(config.get('log.cleanup.policy')).toEqual(['compact', 'delete']);
  });

  it('clamps Long.MAX_VALUE to LONG_MAX and renders it back as Long.MAX_VALUE', () => {
    const config = loadBrokerConfig({ overrides: ['log.flush.interval.ms=9223372036854775807'] });
    expect(config.get('log.flush.interval.ms')).toBe(LONG_MAX);
    expect(config.valueString('log.flush.interval.ms')).toBe('9223372036854775807');
  });

  it('log.dir is used only when log.dirs is unset', () => {
    expect(loadBrokerConfig({ overrides: ['log.dir=/one'] }).logDirs).toEqual(['/one']);
    expect(loadBrokerConfig({ overrides: ['log.dir=/one', 'log.dirs=/two,/three'] }).logDirs).toEqual(['/two', '/three']);
  });
});

describe('identity and listeners', () => {
  it('broker.id is an alias of node.id and must agree with it', () => {
    expect(loadBrokerConfig({ overrides: ['broker.id=5'] }).nodeId).toBe(5);
    expect(loadBrokerConfig({ overrides: ['broker.id=5', 'node.id=5'] }).nodeId).toBe(5);
    expectConfigError(() => loadBrokerConfig({ overrides: ['broker.id=5', 'node.id=6'] }), 'node.id', 'broker.id');
  });

  it('parses several listeners with IPv6, empty host and port 0', () => {
    const config = loadBrokerConfig({
      overrides: [
        'listeners=PLAINTEXT://[::1]:0,internal://:9093,EXTERNAL://10.0.0.1:9094',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL',
      ],
    });
    expect(config.listeners).toEqual([
      { name: 'PLAINTEXT', host: '::1', port: 0, securityProtocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '', port: 9093, securityProtocol: 'PLAINTEXT' },
      { name: 'EXTERNAL', host: '10.0.0.1', port: 9094, securityProtocol: 'SASL_SSL' },
    ]);
    // Advertised defaults to the listeners; the empty host becomes the machine's host name.
    expect(config.advertisedListeners[1]).toEqual({ name: 'INTERNAL', host: os.hostname(), port: 9093, securityProtocol: 'PLAINTEXT' });
    expect(config.advertisedListeners[2]!.host).toBe('10.0.0.1');
  });

  it('a 0.0.0.0 listener advertises the host name, with a warning', () => {
    const config = loadBrokerConfig({ overrides: ['listeners=PLAINTEXT://0.0.0.0:9092'] });
    expect(config.listeners[0]!.host).toBe('0.0.0.0');
    expect(config.advertisedListeners[0]!.host).toBe(os.hostname());
    expect(config.warnings.some((w) => w.includes('0.0.0.0') && w.includes('advertised.listeners'))).toBe(true);
  });

  it('explicit advertised.listeners win', () => {
    const config = loadBrokerConfig({ overrides: ['listeners=PLAINTEXT://0.0.0.0:9092', 'advertised.listeners=PLAINTEXT://broker.example:19092'] });
    expect(config.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host: 'broker.example', port: 19092, securityProtocol: 'PLAINTEXT' }]);
    expect(config.warnings).toEqual([]);
  });
});

describe('entries() for DescribeConfigs', () => {
  const config = loadBrokerConfig({ overrides: ['num.partitions=3', 'log.retention.minutes=30'] });

  it('lists every key once with metadata', () => {
    const entries = config.entries();
    const names = entries.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const k of ['node.id', 'listeners', 'log.dirs', 'log.retention.ms', 'tributary.max.unsent.response.bytes']) expect(names).toContain(k);
    const np = entries.find((e) => e.name === 'num.partitions')!;
    expect(np).toMatchObject({
      value: '3',
      source: 'STATIC_BROKER_CONFIG',
      sourceId: ConfigSource.STATIC_BROKER_CONFIG,
      isDefault: false,
      readOnly: true,
      sensitive: false,
      type: 'int',
      configType: 3,
    });
    expect(np.doc.length).toBeGreaterThan(10);
    const mmb = entries.find((e) => e.name === 'message.max.bytes')!;
    expect(mmb).toMatchObject({ value: '1048588', source: 'DEFAULT_CONFIG', sourceId: 5, isDefault: true, readOnly: false, configType: 3 });
    expect(entries.find((e) => e.name === 'log.retention.ms')).toMatchObject({ value: null, configType: 5 });
    expect(entries.find((e) => e.name === 'log.cleanup.policy')).toMatchObject({ value: 'delete', configType: 7 });
    expect(entries.find((e) => e.name === 'auto.create.topics.enable')).toMatchObject({ value: 'true', configType: 1 });
    expect(entries.find((e) => e.name === 'log.cleaner.min.cleanable.ratio')).toMatchObject({ value: '0.5', configType: 6 });
  });

  it('reports synonyms grouped by source, as Kafka does for broker keys', () => {
    expect(config.entry('log.retention.minutes').synonyms).toEqual([
      { name: 'log.retention.minutes', value: '30', source: 'STATIC_BROKER_CONFIG', sourceId: 4 },
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG', sourceId: 5 },
    ]);
    expect(config.entry('num.partitions').synonyms).toEqual([
      { name: 'num.partitions', value: '3', source: 'STATIC_BROKER_CONFIG', sourceId: 4 },
      { name: 'num.partitions', value: '1', source: 'DEFAULT_CONFIG', sourceId: 5 },
    ]);
  });
});

describe('dynamic updates', () => {
  it('applies cluster-wide and per-broker layers over static values', () => {
    const config = loadBrokerConfig({ overrides: ['log.retention.ms=1000'] });
    config.alterDynamic('cluster', { 'log.retention.ms': '2000' });
    expect(config.get('log.retention.ms')).toBe(2000);
    expect(config.source('log.retention.ms')).toBe('DYNAMIC_DEFAULT_BROKER_CONFIG');
    config.alterDynamic('broker', { 'log.retention.ms': '3000' });
    expect(config.source('log.retention.ms')).toBe('DYNAMIC_BROKER_CONFIG');
    expect(config.entry('log.retention.ms').synonyms.map((s) => [s.source, s.value])).toEqual([
      ['DYNAMIC_BROKER_CONFIG', '3000'],
      ['DYNAMIC_DEFAULT_BROKER_CONFIG', '2000'],
      ['STATIC_BROKER_CONFIG', '1000'],
      ['DEFAULT_CONFIG', '168'], // log.retention.hours: a lower-priority synonym, after the name itself
    ]);
    config.alterDynamic('broker', { 'log.retention.ms': null });
    expect(config.get('log.retention.ms')).toBe(2000);
  });

  it('rejects read-only, per-broker-as-cluster, unknown and invalid changes atomically', () => {
    const config = loadBrokerConfig();
    expect(config.validateDynamic('broker', { 'num.partitions': '3' })[0]!.error).toContain('read-only');
    expect(config.validateDynamic('cluster', { listeners: 'PLAINTEXT://127.0.0.1:1' })[0]!.error).toContain('per-broker');
    expect(config.validateDynamic('broker', { 'no.such': '1' })[0]!.error).toContain('no.such');
    expect(() => config.alterDynamic('cluster', { 'message.max.bytes': '5', 'log.segment.bytes': '1' })).toThrow(ConfigError);
    expect(config.get('message.max.bytes')).toBe(1048588);
  });
});

describe('log.message.format.version (deprecated in Kafka 3.x)', () => {
  it('accepts Kafka version strings with a warning that it is ignored', () => {
    const warnings: string[] = [];
    const config = loadBrokerConfig({ overrides: ['log.message.format.version=0.10.0'], warn: (w) => warnings.push(w) });
    expect(config.get('log.message.format.version')).toBe('0.10.0');
    expect(warnings).toEqual([expect.stringContaining('log.message.format.version with value 0.10.0 is ignored')]);
  });

  it('refuses other strings, naming the key', () => {
    expectConfigError(() => loadBrokerConfig({ overrides: ['log.message.format.version=0.7.1'] }), 'log.message.format.version', 'not a valid version');
  });

  it('defaults to 3.0-IV1 without warning', () => {
    const config = loadBrokerConfig({});
    expect(config.get('log.message.format.version')).toBe('3.0-IV1');
    expect(config.warnings).toEqual([]);
  });
});

describe('config/server.properties shipped with the package', () => {
  it('loads without warnings and starts from the documented defaults', () => {
    const warnings: string[] = [];
    const file = new URL('../../config/server.properties', import.meta.url).pathname;
    const config = loadBrokerConfig({ file, warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(config.logDirs).toEqual(['./tributary-data']);
    expect(config.get('listeners')).toEqual(['PLAINTEXT://127.0.0.1:9092']);
    // Every commented-out key is a real key with the value the comment claims as default.
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^#([a-z][a-z0-9.]*)=(.*)$/gm)) {
      const [, key, value] = m;
      if (key === 'advertised.listeners' || key!.startsWith('log.flush.interval.')) continue; // examples, not defaults
      const withIt = loadBrokerConfig({ file, overrides: [`${key}=${value}`], warn: (w) => warnings.push(w) });
      expect(withIt.get(key as 'node.id'), key).toEqual(config.get(key as 'node.id'));
    }
    expect(warnings).toEqual([]);
  });
});

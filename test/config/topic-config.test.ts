import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { BROKER_KEYS, LONG_MAX, TOPIC_KEY_NAMES, TOPIC_SYNONYMS, isBrokerKey } from '../../src/config/definitions.js';
import { ConfigError } from '../../src/config/errors.js';
import { INVALID_CONFIG, resolveTopicConfig, toLogConfig, validateTopicConfigs } from '../../src/config/topic-config.js';

const broker = (...overrides: string[]) => loadBrokerConfig({ overrides });

describe('retention precedence ms > minutes > hours', () => {
  it.each([
    [[], 168 * 3_600_000, 'DEFAULT_CONFIG'],
    [['log.retention.hours=2'], 2 * 3_600_000, 'STATIC_BROKER_CONFIG'],
    [['log.retention.hours=2', 'log.retention.minutes=3'], 3 * 60_000, 'STATIC_BROKER_CONFIG'],
    [['log.retention.hours=2', 'log.retention.minutes=3', 'log.retention.ms=4'], 4, 'STATIC_BROKER_CONFIG'],
    [['log.retention.ms=4', 'log.retention.hours=2'], 4, 'STATIC_BROKER_CONFIG'],
    [['log.retention.hours=-1'], -1, 'STATIC_BROKER_CONFIG'],
    [['log.retention.minutes=-1'], -1, 'STATIC_BROKER_CONFIG'],
  ] as const)('%j → %d', (overrides, ms, source) => {
    const resolved = resolveTopicConfig(broker(...overrides), {});
    expect(resolved.get('retention.ms')).toBe(ms);
    expect(resolved.entry('retention.ms').source).toBe(source);
  });

  it('segment.ms comes from log.roll.ms, else log.roll.hours', () => {
    expect(resolveTopicConfig(broker(), {}).get('segment.ms')).toBe(168 * 3_600_000);
    expect(resolveTopicConfig(broker('log.roll.hours=1'), {}).get('segment.ms')).toBe(3_600_000);
    expect(resolveTopicConfig(broker('log.roll.hours=1', 'log.roll.ms=500'), {}).get('segment.ms')).toBe(500);
  });

  it('flush.ms falls back to log.flush.scheduler.interval.ms', () => {
    expect(resolveTopicConfig(broker(), {}).get('flush.ms')).toBe(LONG_MAX);
    expect(resolveTopicConfig(broker('log.flush.scheduler.interval.ms=700'), {}).get('flush.ms')).toBe(700);
    expect(resolveTopicConfig(broker('log.flush.scheduler.interval.ms=700', 'log.flush.interval.ms=50'), {}).get('flush.ms')).toBe(50);
  });
});

describe('resolveTopicConfig sources and synonyms', () => {
  const config = broker('log.segment.bytes=1000', 'log.retention.hours=24');

  it('topic overrides win and are listed first as DYNAMIC_TOPIC_CONFIG', () => {
    const resolved = resolveTopicConfig(config, { 'segment.bytes': '2000', 'cleanup.policy': 'compact,delete' });
    expect(resolved.get('segment.bytes')).toBe(2000);
    expect(resolved.get('cleanup.policy')).toEqual(['compact', 'delete']);
    const e = resolved.entry('segment.bytes');
    expect(e).toMatchObject({ value: '2000', source: 'DYNAMIC_TOPIC_CONFIG', sourceId: 1, isDefault: false, readOnly: false, configType: 3 });
    expect(e.synonyms).toEqual([
      { name: 'segment.bytes', value: '2000', source: 'DYNAMIC_TOPIC_CONFIG', sourceId: 1 },
      { name: 'log.segment.bytes', value: '1000', source: 'STATIC_BROKER_CONFIG', sourceId: 4 },
      { name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG', sourceId: 5 },
    ]);
    expect(resolved.overrides).toEqual({ 'segment.bytes': '2000', 'cleanup.policy': 'compact,delete' });
  });

  it('without an override the broker synonym supplies value and source', () => {
    const resolved = resolveTopicConfig(config, {});
    expect(resolved.entry('segment.bytes')).toMatchObject({ value: '1000', source: 'STATIC_BROKER_CONFIG', sourceId: 4 });
    const retention = resolved.entry('retention.ms');
    expect(retention).toMatchObject({ value: String(24 * 3_600_000), source: 'STATIC_BROKER_CONFIG', configType: 5 });
    // Synonym values are the broker's own (hours), in Kafka's order: by source, then ms/minutes/hours.
    expect(retention.synonyms).toEqual([
      { name: 'log.retention.hours', value: '24', source: 'STATIC_BROKER_CONFIG', sourceId: 4 },
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG', sourceId: 5 },
    ]);
    expect(resolved.entry('max.message.bytes')).toMatchObject({ value: '1048588', source: 'DEFAULT_CONFIG', isDefault: true });
    expect(resolved.entry('max.message.bytes').synonyms).toEqual([{ name: 'message.max.bytes', value: '1048588', source: 'DEFAULT_CONFIG', sourceId: 5 }]);
  });

  it('dynamic cluster defaults report DYNAMIC_DEFAULT_BROKER_CONFIG', () => {
    const c = broker('log.retention.ms=100');
    c.alterDynamic('cluster', { 'log.retention.ms': '200' });
    const e = resolveTopicConfig(c, {}).entry('retention.ms');
    expect(e).toMatchObject({ value: '200', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG', sourceId: 3 });
    expect(e.synonyms.map((s) => s.source)).toEqual(['DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG']);
  });

  it('keys without broker synonyms use their own default with no synonyms', () => {
    const e = resolveTopicConfig(config, {}).entry('remote.storage.enable');
    expect(e).toMatchObject({ value: 'false', source: 'DEFAULT_CONFIG', synonyms: [], configType: 1 });
  });

  it('lists every topic key, ignores unknown overrides, throws on bad override values', () => {
    const resolved = resolveTopicConfig(config, { 'no.such.key': 'x' });
    expect(resolved.entries().map((e) => e.name)).toEqual(TOPIC_KEY_NAMES);
    expect(resolved.overrides).toEqual({});
    expect(() => resolveTopicConfig(config, { 'segment.bytes': 'big' })).toThrow(ConfigError);
  });

  it('every synonym names a real broker key of a compatible type', () => {
    for (const [, synonyms] of Object.entries(TOPIC_SYNONYMS)) {
      for (const s of synonyms!) expect(isBrokerKey(s.name)).toBe(true);
    }
    expect(BROKER_KEYS['log.segment.bytes'].default).toBe(1073741824);
  });
});

describe('validateTopicConfigs', () => {
  it('accepts valid values and null (delete) for known keys', () => {
    expect(
      validateTopicConfigs({
        'cleanup.policy': 'compact,delete',
        'retention.ms': '-1',
        'message.timestamp.type': 'LogAppendTime',
        'compression.type': 'zstd',
        'min.cleanable.dirty.ratio': '0.1',
        'segment.bytes': null,
      }),
    ).toEqual([]);
  });

  it('reports unknown keys and bad values as INVALID_CONFIG with Kafka-style messages', () => {
    const errors = validateTopicConfigs({
      'retention.mss': '1',
      'segment.bytes': '10',
      'cleanup.policy': 'forever',
      'message.timestamp.type': 'Now',
      'compression.type': 'brotli',
      'unclean.leader.election.enable': 'maybe',
    });
    expect(errors.map((e) => e.key)).toEqual([
      'retention.mss',
      'segment.bytes',
      'cleanup.policy',
      'message.timestamp.type',
      'compression.type',
      'unclean.leader.election.enable',
    ]);
    expect(errors.every((e) => e.errorCode === INVALID_CONFIG && INVALID_CONFIG === 40)).toBe(true);
    expect(errors[0]!.error).toBe('Unknown topic config name: retention.mss');
    expect(errors[1]!.error).toBe('Invalid value 10 for configuration segment.bytes: Value must be at least 14');
    expect(errors[3]!.error).toContain('CreateTime, LogAppendTime');
  });

  it('cross-checks min/max compaction lag', () => {
    const errors = validateTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toContain('min.compaction.lag.ms');
  });
});

describe('toLogConfig', () => {
  it('maps the storage fields from the resolved values', () => {
    const resolved = resolveTopicConfig(broker('log.index.interval.bytes=100', 'log.segment.delete.delay.ms=5'), {
      'segment.bytes': '4096',
      'retention.bytes': '1000000',
      'message.timestamp.type': 'LogAppendTime',
      'flush.messages': '10',
    });
    expect(toLogConfig(resolved)).toEqual({
      segmentBytes: 4096,
      segmentMs: 168 * 3_600_000,
      segmentJitterMs: 0,
      retentionMs: 168 * 3_600_000,
      retentionBytes: 1000000,
      indexIntervalBytes: 100,
      segmentIndexBytes: 10485760,
      flushMessages: 10,
      flushMs: LONG_MAX,
      fileDeleteDelayMs: 5,
      messageTimestampType: 'LogAppendTime',
      cleanupPolicy: ['delete'],
      deleteRetentionMs: 86400000,
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: LONG_MAX,
      // Tiered storage: off by default; -2 means "use retention.ms / retention.bytes" (Kafka's rule).
      remoteStorageEnable: false,
      remoteLogCopyDisable: false,
      localRetentionMs: -2,
      localRetentionBytes: -2,
    });
  });
});

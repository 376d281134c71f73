import { describe, expect, it } from 'vitest';
import { BROKER_KEY_NAMES } from '../../src/config/definitions.js';
import { configFromEnv, envSuffixToKey, keyToEnvName } from '../../src/config/env.js';

describe('environment variable names', () => {
  it('encodes . as _, _ as __ and - as ___ (Kafka docker-image rule)', () => {
    expect(keyToEnvName('log.dirs')).toBe('TRIBUTARY_LOG_DIRS');
    expect(keyToEnvName('a_b.c-d', 'KAFKA_')).toBe('KAFKA_A__B_C___D');
    expect(envSuffixToKey('A__B_C___D')).toBe('a_b.c-d');
  });

  it('round-trips every broker key', () => {
    for (const key of BROKER_KEY_NAMES) expect(envSuffixToKey(keyToEnvName(key).slice('TRIBUTARY_'.length))).toBe(key);
  });

  it('orders KAFKA_ entries before TRIBUTARY_ ones so ours win, and skips script variables', () => {
    const entries = configFromEnv({
      TRIBUTARY_NUM_PARTITIONS: '2',
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_JVM_PERFORMANCE_OPTS: '-server',
      KAFKA_HOME: '/opt/kafka',
      TRIBUTARY_LOG_LEVEL: 'warn',
      TRIBUTARY_: 'ignored',
      OTHER: 'x',
    });
    expect(entries.map((e) => [e.key, e.value, e.envName])).toEqual([
      ['num.partitions', '1', 'KAFKA_NUM_PARTITIONS'],
      ['num.partitions', '2', 'TRIBUTARY_NUM_PARTITIONS'],
      ['tributary.log.level', 'warn', 'TRIBUTARY_LOG_LEVEL'],
    ]);
  });
});

/** The committed codecs must be exactly what the generator produces (same check as --check). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPECS_DIR, generateAll, repoRoot } from '../../../protocol/generator/generate.js';
import { kebab } from '../../../protocol/generator/emit-tables.js';
import { loadAllSpecs, stripComments } from '../../../protocol/generator/spec-loader.js';

describe('generator', () => {
  it('committed output matches a fresh generation', () => {
    const files = generateAll(DEFAULT_SPECS_DIR);
    expect(files.size).toBeGreaterThan(100);
    const differing = [...files].filter(([path, text]) => {
      const abs = join(repoRoot, path);
      return !existsSync(abs) || readFileSync(abs, 'utf8') !== text;
    });
    expect(differing.map(([p]) => p)).toEqual([]);
    // Deterministic: a second run yields identical text.
    expect([...generateAll(DEFAULT_SPECS_DIR)]).toEqual([...files]);
  });

  it('keeps the versions Kafka 4.0 removed (KIP-896) with their fields, from tributary/removed-versions.json', () => {
    const specs = new Map(loadAllSpecs(DEFAULT_SPECS_DIR).map((s) => [s.name, s]));
    expect(specs.get('ProduceRequest')!.valid).toEqual({ lo: 0, hi: 13 });
    expect(specs.get('FetchResponse')!.valid.lo).toBe(0);
    const partitions = specs.get('ListOffsetsRequest')!.structs.find((s) => s.specName === 'ListOffsetsPartition')!;
    expect(partitions.fields.map((f) => f.specName)).toEqual(['PartitionIndex', 'CurrentLeaderEpoch', 'Timestamp', 'MaxNumOffsets']);
    // The retired ZooKeeper-era inter-broker APIs (no valid versions left) are not generated.
    expect(specs.has('LeaderAndIsrRequest')).toBe(false);
  });

  it('strips // comments but not // inside strings', () => {
    const text = '{ "a": "http://x", // note\n "b": 1 }';
    expect(JSON.parse(stripComments(text))).toEqual({ a: 'http://x', b: 1 });
  });

  it('names modules in kebab case', () => {
    expect(kebab('ApiVersions')).toBe('api-versions');
    expect(kebab('DescribeConfigs')).toBe('describe-configs');
    expect(kebab('LeaderAndIsr')).toBe('leader-and-isr');
    expect(kebab('KRaftVersionRecord')).toBe('kraft-version-record');
  });
});

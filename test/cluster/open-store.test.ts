// `tributary.metadata.store` values and what a broker sees when etcd cannot be reached at start.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MetadataStoreConfigError, openMetadataStore, parseMetadataStoreUrl } from '../../src/cluster/metadata-store/open-store.js';

describe('tributary.metadata.store', () => {
  it('parses memory and etcd URLs (several endpoints, etcd:// or http://)', () => {
    expect(parseMetadataStoreUrl('')).toEqual({ kind: 'memory' });
    expect(parseMetadataStoreUrl('memory')).toEqual({ kind: 'memory' });
    expect(parseMetadataStoreUrl('etcd://127.0.0.1:2379')).toEqual({ kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] });
    expect(parseMetadataStoreUrl('etcd://a.example:2379, b.example:2380,etcd://[::1]:2381')).toEqual({
      kind: 'etcd',
      endpoints: ['http://a.example:2379', 'http://b.example:2380', 'http://[::1]:2381'],
    });
    expect(parseMetadataStoreUrl('http://h:1/')).toEqual({ kind: 'etcd', endpoints: ['http://h:1'] });
  });

  it('refuses malformed values with a message naming the key', () => {
    for (const bad of ['zk://h:2181', 'etcd://', 'etcd://host', 'etcd://h:0', 'etcd://h:70000', 'etcd://h:1,,h:2']) {
      expect(() => parseMetadataStoreUrl(bad)).toThrow(MetadataStoreConfigError);
      expect(() => parseMetadataStoreUrl(bad)).toThrow(/tributary\.metadata\.store/);
    }
  });

  it('says clearly when etcd cannot be reached at start', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const started = Date.now();
    await expect(openMetadataStore(`etcd://127.0.0.1:${port}`, { connectTimeoutMs: 1_000 })).rejects.toThrow(
      new RegExp(`cannot reach etcd at http://127\\.0\\.0\\.1:${port}`),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

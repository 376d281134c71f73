// `meta.properties` in every log dir ties the directory to one cluster and node, as in Kafka:
// starting a broker on a directory that belongs to another cluster or node is refused.
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../storage/log/log-files.js';
import { randomUuid } from './uuid.js';

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
}

function parse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf('=');
    if (i > 0) out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

/** Reads (or initialises) meta.properties in each dir and checks they agree with each other and the config. */
export async function ensureMetaProperties(logDirs: string[], nodeId: number, configuredClusterId: string | null): Promise<MetaProperties> {
  let clusterId = configuredClusterId && configuredClusterId.length > 0 ? configuredClusterId : null;
  const found: { dir: string; props: Record<string, string> }[] = [];
  const existing = new Map<string, string>();
  for (const dir of logDirs) {
    await fs.mkdir(dir, { recursive: true });
    try {
      const text = await fs.readFile(path.join(dir, 'meta.properties'), 'utf8');
      existing.set(dir, text);
      found.push({ dir, props: parse(text) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  for (const { dir, props } of found) {
    if (props['node.id'] !== undefined && Number(props['node.id']) !== nodeId) {
      throw new Error(`log dir ${dir} belongs to node.id ${props['node.id']}, but this broker is node.id ${nodeId}`);
    }
    const cid = props['cluster.id'];
    if (cid) {
      if (clusterId !== null && cid !== clusterId) {
        throw new Error(`log dir ${dir} belongs to cluster ${cid}, but this broker is configured for cluster ${clusterId}`);
      }
      clusterId = cid;
    }
  }
  clusterId ??= randomUuid();
  const text = `#Written by tributary\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`;
  for (const dir of logDirs) {
    // Written only when new or different: a restart on a full disk must not need free space here.
    if (existing.get(dir) === text) continue;
    await writeFileAtomic(path.join(dir, 'meta.properties'), text, dir);
  }
  return { clusterId, nodeId };
}

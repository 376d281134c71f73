// SCRAM credentials of this broker (Describe/AlterUserScramCredentials), one JSON file in the first
// data directory. Only salt, StoredKey, ServerKey and iterations are kept, never a password. The
// file is written atomically (temp file, fsync, rename) with mode 0600, one write at a time.
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile } from '../metadata/json-file.js';
import type { ScramCredential, ScramMechanismName } from './scram.js';
import { KeyRevisions, type MirroredStore, type SectionWriter } from '../cluster/security-metadata.js';
import type { SectionChange, SectionEntry } from '../cluster/metadata-store/types.js';

export const SCRAM_FILE = '__tributary_scram_credentials.json';

interface StoredEntry {
  user: string;
  mechanism: ScramMechanismName;
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export interface ScramChange {
  user: string;
  mechanism: ScramMechanismName;
  /** null deletes the credential. */
  credential: ScramCredential | null;
}

export class ScramCredentialStore implements MirroredStore {
  private readonly byKey = new Map<string, ScramCredential>();
  private chain: Promise<void> = Promise.resolve();
  /** Cluster mode: credentials live in the metadata store (src/cluster/security-metadata.ts), hashed as here. */
  private cluster: SectionWriter | null = null;
  private readonly revisions = new KeyRevisions();

  constructor(readonly file: string) {}

  static inLogDir(dir: string): ScramCredentialStore {
    return new ScramCredentialStore(path.join(dir, SCRAM_FILE));
  }

  async load(): Promise<void> {
    const doc = await readJsonFile<{ version: number; credentials: StoredEntry[] }>(this.file);
    if (doc === null) return;
    if (doc.version !== 1 || !Array.isArray(doc.credentials)) throw new Error(`${this.file}: unsupported format`);
    this.byKey.clear();
    for (const e of doc.credentials) this.byKey.set(key(e.user, e.mechanism), decode(e));
  }

  useCluster(writer: SectionWriter, entries: readonly SectionEntry[]): void {
    this.cluster = writer;
    this.byKey.clear();
    this.revisions.clear();
    for (const e of entries) this.applyRemote(e, e.revision);
  }

  applyRemote(change: SectionChange, revision: number): void {
    if (!this.revisions.advance(change.key, revision)) return;
    if (change.value === null) this.byKey.delete(change.key);
    else this.byKey.set(change.key, decode(JSON.parse(change.value) as StoredEntry));
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.byKey.get(key(user, mechanism));
  }

  /** Users with at least one credential, and their mechanisms and iteration counts. */
  users(): Map<string, { mechanism: ScramMechanismName; iterations: number }[]> {
    const out = new Map<string, { mechanism: ScramMechanismName; iterations: number }[]>();
    for (const [k, c] of this.byKey) {
      const { user, mechanism } = splitKey(k);
      let list = out.get(user);
      if (!list) out.set(user, (list = []));
      list.push({ mechanism, iterations: c.iterations });
    }
    return out;
  }

  /** Applies all changes, then persists; in-memory state changes only if the write succeeds. */
  apply(changes: readonly ScramChange[]): Promise<void> {
    const cluster = this.cluster;
    if (cluster) {
      const out: SectionChange[] = changes.map((c) => ({
        key: key(c.user, c.mechanism),
        value: c.credential === null ? null : JSON.stringify(encode(c.user, c.mechanism, c.credential)),
      }));
      return cluster.write(out).then((rev) => {
        const last = new Map(out.map((c) => [c.key, c.value]));
        for (const [k, value] of last) this.applyRemote({ key: k, value }, rev);
      });
    }
    const run = this.chain.then(async () => {
      const next = new Map(this.byKey);
      for (const c of changes) {
        if (c.credential === null) next.delete(key(c.user, c.mechanism));
        else next.set(key(c.user, c.mechanism), c.credential);
      }
      await this.write(next);
      this.byKey.clear();
      for (const [k, v] of next) this.byKey.set(k, v);
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async write(entries: Map<string, ScramCredential>): Promise<void> {
    const credentials: StoredEntry[] = [...entries].map(([k, c]) => {
      const { user, mechanism } = splitKey(k);
      return encode(user, mechanism, c);
    });
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ version: 1, credentials }, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

// The mechanism never contains NUL, so splitting at the first one is safe whatever the user name holds.
const key = (user: string, mechanism: string) => `${mechanism}\u0000${user}`;
function splitKey(k: string): { user: string; mechanism: ScramMechanismName } {
  const i = k.indexOf('\u0000');
  return { mechanism: k.slice(0, i) as ScramMechanismName, user: k.slice(i + 1) };
}

function encode(user: string, mechanism: ScramMechanismName, c: ScramCredential): StoredEntry {
  return {
    user,
    mechanism,
    salt: c.salt.toString('base64'),
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
    iterations: c.iterations,
  };
}

function decode(e: StoredEntry): ScramCredential {
  return {
    salt: Buffer.from(e.salt, 'base64'),
    storedKey: Buffer.from(e.storedKey, 'base64'),
    serverKey: Buffer.from(e.serverKey, 'base64'),
    iterations: e.iterations,
  };
}

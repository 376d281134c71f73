// Delegation tokens (KIP-48) of this broker, or of the cluster (mirrored from the metadata store
// like ACLs and SCRAM credentials, src/cluster/security-metadata.ts). What is kept is Kafka's
// TokenInformation: id, owner, requester, renewers, issue / expiry / max timestamps. The HMAC is
// never stored: it is HMAC-SHA512(delegation.token.secret.key, tokenId), derived again by every
// broker, and so are the SCRAM credentials a client logs in with (user = token id, password =
// base64 of the HMAC, SCRAM extension tokenauth=true), as Kafka's DelegationTokenManager does.
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile } from '../metadata/json-file.js';
import { KeyRevisions, type MirroredStore, type SectionWriter } from '../cluster/security-metadata.js';
import type { SectionChange, SectionEntry } from '../cluster/metadata-store/types.js';
import { credentialFromSaltedPassword, scramMechanism, type ScramCredential, type ScramMechanismName } from './scram.js';

export const TOKEN_FILE = '__tributary_delegation_tokens.json';

export interface TokenInfo {
  tokenId: string;
  /** "User:alice" */
  owner: string;
  requester: string;
  renewers: string[];
  issueTimestamp: number;
  expiryTimestamp: number;
  maxTimestamp: number;
}

interface Derived {
  hmac: Buffer;
  credentials: Map<ScramMechanismName, ScramCredential>;
}

export class DelegationTokenStore implements MirroredStore {
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly derived = new Map<string, Derived>();
  private readonly byHmac = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private cluster: SectionWriter | null = null;
  private readonly revisions = new KeyRevisions();

  /** @param secret delegation.token.secret.key; null: tokens are disabled (nothing is derived). */
  constructor(
    readonly file: string,
    private readonly secret: string | null,
  ) {}

  static inLogDir(dir: string, secret: string | null): DelegationTokenStore {
    return new DelegationTokenStore(path.join(dir, TOKEN_FILE), secret);
  }

  get enabled(): boolean {
    return this.secret !== null && this.secret !== '';
  }

  async load(): Promise<void> {
    const doc = await readJsonFile<{ version: number; tokens: TokenInfo[] }>(this.file);
    if (doc === null) return;
    if (doc.version !== 1 || !Array.isArray(doc.tokens)) throw new Error(`${this.file}: unsupported format`);
    this.replaceAll(doc.tokens);
  }

  useCluster(writer: SectionWriter, entries: readonly SectionEntry[]): void {
    this.cluster = writer;
    this.revisions.clear();
    this.replaceAll([]);
    for (const e of entries) this.applyRemote(e, e.revision);
  }

  applyRemote(change: SectionChange, revision: number): void {
    if (!this.revisions.advance(change.key, revision)) return;
    if (change.value === null) this.forget(change.key);
    else this.remember(JSON.parse(change.value) as TokenInfo);
  }

  get(tokenId: string): TokenInfo | undefined {
    return this.tokens.get(tokenId);
  }

  /** The token an HMAC names (Renew / Expire name tokens by HMAC). */
  byHmacValue(hmac: Buffer): TokenInfo | undefined {
    const id = this.byHmac.get(hmac.toString('base64'));
    return id === undefined ? undefined : this.tokens.get(id);
  }

  hmacOf(tokenId: string): Buffer | undefined {
    return this.derived.get(tokenId)?.hmac;
  }

  /** The SCRAM credential of a token for a login with tokenauth=true. */
  scramCredential(tokenId: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.derived.get(tokenId)?.credentials.get(mechanism);
  }

  all(): TokenInfo[] {
    return [...this.tokens.values()];
  }

  /** Stores (or replaces) a token. */
  put(token: TokenInfo): Promise<void> {
    return this.write([{ key: token.tokenId, value: JSON.stringify(token) }], () => this.remember(token));
  }

  remove(tokenIds: readonly string[]): Promise<void> {
    if (tokenIds.length === 0) return Promise.resolve();
    return this.write(tokenIds.map((key) => ({ key, value: null })), () => tokenIds.forEach((id) => this.forget(id)));
  }

  private write(changes: SectionChange[], applyLocally: () => void): Promise<void> {
    const cluster = this.cluster;
    if (cluster) {
      return cluster.write(changes).then((rev) => {
        for (const c of changes) this.applyRemote(c, rev);
      });
    }
    const run = this.chain.then(async () => {
      const next = new Map(this.tokens);
      for (const c of changes) {
        if (c.value === null) next.delete(c.key);
        else next.set(c.key, JSON.parse(c.value) as TokenInfo);
      }
      await writePrivate(this.file, JSON.stringify({ version: 1, tokens: [...next.values()] }, null, 1));
      applyLocally();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private replaceAll(tokens: readonly TokenInfo[]): void {
    this.tokens.clear();
    this.derived.clear();
    this.byHmac.clear();
    for (const t of tokens) this.remember(t);
  }

  private remember(t: TokenInfo): void {
    this.tokens.set(t.tokenId, t);
    if (!this.enabled || this.derived.has(t.tokenId)) return;
    const hmac = tokenHmac(this.secret!, t.tokenId);
    this.derived.set(t.tokenId, { hmac, credentials: tokenCredentials(hmac) });
    this.byHmac.set(hmac.toString('base64'), t.tokenId);
  }

  private forget(tokenId: string): void {
    this.tokens.delete(tokenId);
    const d = this.derived.get(tokenId);
    if (d) this.byHmac.delete(d.hmac.toString('base64'));
    this.derived.delete(tokenId);
  }
}

/** Kafka's DelegationTokenManager.createHmac: HmacSHA512 keyed with the secret, over the token id. */
export function tokenHmac(secret: string, tokenId: string): Buffer {
  return createHmac('sha512', Buffer.from(secret, 'utf8')).update(tokenId, 'utf8').digest();
}

/** SCRAM credentials for password = base64(hmac), at each mechanism's minimum iterations (4096), as Kafka. */
function tokenCredentials(hmac: Buffer): Map<ScramMechanismName, ScramCredential> {
  const password = hmac.toString('base64');
  const out = new Map<ScramMechanismName, ScramCredential>();
  for (const name of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const m = scramMechanism(name)!;
    const salt = randomBytes(16);
    const iterations = m.minIterations;
    const salted = pbkdf2Sync(password, salt, iterations, m.hash === 'sha256' ? 32 : 64, m.hash);
    out.set(name, credentialFromSaltedPassword(m, salt, salted, iterations));
  }
  return out;
}

/** Temp file, fsync, rename, with mode 0600 (token metadata names principals; keep it private). */
async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

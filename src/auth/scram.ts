// SCRAM-SHA-256 / SCRAM-SHA-512 server (RFC 5802, RFC 7677), as Kafka's ScramSaslServer:
//
//   client-first  n,[a=authzid],n=<user>,r=<cnonce>[,ext]      -> server-first r=<cnonce+snonce>,s=<salt>,i=<iter>
//   client-final  c=<b64 gs2 header>,r=<nonce>[,ext],p=<proof>  -> server-final v=<server signature>
//
// Only salted keys are stored (StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey =
// HMAC(SaltedPassword, "Server Key")), never the password or the salted password.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslFailure, type SaslServerMechanism } from './sasl-mechanism.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramMechanismInfo {
  name: ScramMechanismName;
  /** Kafka's ScramMechanism type id used by Describe/AlterUserScramCredentials. */
  type: number;
  hash: 'sha256' | 'sha512';
  minIterations: number;
}

export const SCRAM_MECHANISMS: readonly ScramMechanismInfo[] = [
  { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', minIterations: 4096 },
  { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', minIterations: 4096 },
];
/** Kafka's ScramControlManager.MAX_ITERATIONS. */
export const SCRAM_MAX_ITERATIONS = 16384;

export function scramMechanism(nameOrType: string | number): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === nameOrType || m.type === nameOrType);
}

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

const hmac = (hash: string, key: Buffer, data: string | Buffer) => createHmac(hash, key).update(data).digest();

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSaltedPassword(m: ScramMechanismInfo, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m.hash, saltedPassword, 'Client Key');
  return {
    salt,
    storedKey: createHash(m.hash).update(clientKey).digest(),
    serverKey: hmac(m.hash, saltedPassword, 'Server Key'),
    iterations,
  };
}

/** RFC 5802 saslname: ',' and '=' travel as "=2C" and "=3D"; any other '=' is malformed. */
export function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

type State = 'first' | 'final' | 'complete' | 'failed';

const CLIENT_FIRST = /^([ny]),(?:a=([^,]*))?,(n=([^,]*),r=([\x21-\x2b\x2d-\x7e]+)(?:,(.*))?)$/s;
const CLIENT_FINAL = /^(c=([A-Za-z0-9+/=]*),r=([\x21-\x2b\x2d-\x7e]+)(?:,(?!p=)[^,]*)*),p=([A-Za-z0-9+/=]+)$/s;

export class ScramServer implements SaslServerMechanism {
  private state: State = 'first';
  user: string | null = null;
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private clientNonce = '';
  private credential: ScramCredential | null = null;
  /** With tokenauth=true: the token owner, who becomes the connection's principal. */
  principal: string | null = null;
  tokenAuthenticated = false;

  constructor(
    private readonly mechanism: ScramMechanismInfo,
    private readonly lookup: (user: string) => ScramCredential | undefined,
    /** A live delegation token's credential and owner, by token id (absent: tokens disabled). */
    private readonly tokenLookup?: (tokenId: string) => { credential: ScramCredential; owner: string } | undefined,
  ) {}

  get name(): string {
    return this.mechanism.name;
  }

  get complete(): boolean {
    return this.state === 'complete';
  }

  evaluate(token: Buffer): Buffer {
    try {
      if (this.state === 'first') return this.onClientFirst(token.toString('utf8'));
      if (this.state === 'final') return this.onClientFinal(token.toString('utf8'));
      throw new SaslFailure(`Unexpected challenge in Sasl server state ${this.state}`, false);
    } catch (err) {
      this.state = 'failed';
      this.credential = null;
      throw err;
    }
  }

  private onClientFirst(msg: string): Buffer {
    const m = CLIENT_FIRST.exec(msg);
    if (!m) throw new SaslFailure('Invalid SCRAM client first message format', false);
    const [, cbind, authzidRaw, bare, saslName, clientNonce, extensions] = m;
    const username = decodeSaslName(saslName!);
    if (username === null || username.length === 0) throw new SaslFailure('Invalid SCRAM user name', false);
    // Delegation tokens (KIP-48): user = token id, password = base64(HMAC), principal = owner.
    let credential: ScramCredential | undefined;
    if (extensions !== undefined && /(^|,)tokenauth=true(,|$)/i.test(extensions)) {
      const token = this.tokenLookup?.(username);
      if (!token) throw new SaslFailure(`Token Authentication failed: Invalid tokenId : ${username}`, false);
      credential = token.credential;
      this.principal = token.owner;
      this.tokenAuthenticated = true;
    } else credential = this.lookup(username);
    if (!credential) throw new SaslFailure('Authentication failed: Invalid user credentials', false);
    const authzid = authzidRaw === undefined ? '' : decodeSaslName(authzidRaw);
    if (authzid !== '' && authzid !== username && !this.tokenAuthenticated) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', true);
    }
    if (credential.iterations < this.mechanism.minIterations) {
      throw new SaslFailure(`Iterations ${credential.iterations} is less than the minimum ${this.mechanism.minIterations} for ${this.mechanism.name}`, false);
    }
    this.user = username;
    this.credential = credential;
    this.gs2Header = msg.slice(0, msg.length - bare!.length);
    this.clientFirstBare = bare!;
    this.clientNonce = clientNonce!;
    this.nonce = clientNonce + randomBytes(18).toString('base64url');
    void cbind;
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private onClientFinal(msg: string): Buffer {
    const m = CLIENT_FINAL.exec(msg);
    if (!m) throw new SaslFailure('Invalid SCRAM client final message format', false);
    const [, withoutProof, channel, nonce, proofB64] = m;
    // librdkafka 2.0.2 (kcat, confluent-kafka) sends its own nonce again in front of the combined
    // one; both forms still carry the server's fresh nonce, which is what binds the proof.
    if (nonce !== this.nonce && nonce !== this.clientNonce + this.nonce) {
      throw new SaslFailure('Invalid client nonce in the final client message.', false);
    }
    // No channel binding is offered, so c= must echo the gs2 header of the first message.
    if (Buffer.from(channel!, 'base64').toString('utf8') !== this.gs2Header) {
      throw new SaslFailure('Invalid channel binding in the final client message.', false);
    }
    const { hash } = this.mechanism;
    const credential = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(hash, credential.storedKey, authMessage);
    const proof = Buffer.from(proofB64!, 'base64');
    if (proof.length !== clientSignature.length) throw new SaslFailure('Invalid client credentials', false);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const computedStoredKey = createHash(hash).update(clientKey).digest();
    if (!timingSafeEqual(computedStoredKey, credential.storedKey)) throw new SaslFailure('Invalid client credentials', false);
    const serverSignature = hmac(hash, credential.serverKey, authMessage);
    this.credential = null;
    this.state = 'complete';
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }
}

// The client side of SCRAM-SHA-256/512 (RFC 5802), as Kafka's ScramSaslClient: what a broker
// sends when it logs in to another broker over SASL. Two round trips:
//   client-first  n,,n=<user>,r=<cnonce>                 <- r=<cnonce+snonce>,s=<salt>,i=<iter>
//   client-final  c=biws,r=<nonce>,p=<proof>             <- v=<server signature> (checked)
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_MAX_ITERATIONS, scramMechanism, type ScramMechanismName } from './scram.js';

const hmac = (hash: string, key: Buffer, data: string) => createHmac(hash, key).update(data).digest();
const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

export class ScramClient {
  private readonly hash: 'sha256' | 'sha512';
  private readonly nonce = randomBytes(24).toString('base64').replace(/[,=]/g, 'x');
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | null = null;

  constructor(mechanism: ScramMechanismName, user: string, private readonly password: string) {
    this.hash = scramMechanism(mechanism)!.hash;
    this.clientFirstBare = `n=${saslName(user)},r=${this.nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** The client-final message for the server-first one; throws on a malformed or hostile answer. */
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const attrs = parseAttrs(text);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (attrs.has('e')) throw new Error(`SCRAM server error: ${attrs.get('e')}`);
    if (!nonce || !nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new Error('SCRAM server nonce does not extend the client nonce');
    if (!salt || !Number.isInteger(iterations) || iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) throw new Error('SCRAM server-first message is malformed');
    const keyLen = this.hash === 'sha256' ? 32 : 64;
    const salted = pbkdf2Sync(this.password, Buffer.from(salt, 'base64'), iterations, keyLen, this.hash);
    const clientKey = hmac(this.hash, salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = hmac(this.hash, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(this.hash, hmac(this.hash, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Verifies the server-final message (the server proves it knows the credential too). */
  verify(serverFinal: Buffer): void {
    const attrs = parseAttrs(serverFinal.toString('utf8'));
    if (attrs.has('e')) throw new Error(`SCRAM server error: ${attrs.get('e')}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || v.length !== expected.length || !timingSafeEqual(v, expected)) throw new Error('SCRAM server signature does not verify');
  }
}

function parseAttrs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

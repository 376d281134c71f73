// A SCRAM-SHA-256 login with a delegation token over a raw connection, as Kafka's ScramLoginModule
// does it with tokenauth=true: user = token id, password = base64 of the HMAC, the extension
// `tokenauth=true` after the nonce of the client-first message.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { RawClient } from '../helpers/raw-client.js';

const H = (data: Buffer) => createHash('sha256').update(data).digest();
const HMAC = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Resolves with the authenticated connection, or the SaslAuthenticate error code. */
export async function tokenLogin(port: number, tokenId: string, password: string): Promise<RawClient | number> {
  const c = await RawClient.connect(port);
  const hs = await c.send(17, 1, { mechanism: 'SCRAM-SHA-256' });
  if (hs.errorCode !== 0) return (c.close(), hs.errorCode);
  const gs2 = 'n,,';
  const bare = `n=${tokenId},r=${randomBytes(12).toString('base64url')},tokenauth=true`;
  const first = await c.send(36, 2, { authBytes: Buffer.from(gs2 + bare) });
  if (first.errorCode !== 0) return (c.close(), first.errorCode);
  const serverFirst = first.authBytes.toString();
  const { r: nonce, s: salt, i } = Object.fromEntries(serverFirst.split(',').map((kv: string) => [kv[0], kv.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(salt!, 'base64'), Number(i), 32, 'sha256');
  const clientKey = HMAC(salted, 'Client Key');
  const withoutProof = `c=${Buffer.from(gs2).toString('base64')},r=${nonce}`;
  const signature = HMAC(H(clientKey), `${bare},${serverFirst},${withoutProof}`);
  const proof = Buffer.from(clientKey.map((b, k) => b ^ signature[k]!));
  const final = await c.send(36, 2, { authBytes: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`) });
  if (final.errorCode !== 0) return (c.close(), final.errorCode);
  return c;
}

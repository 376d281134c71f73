// SASL/PLAIN server (RFC 4616): one client message "[authzid] NUL authcid NUL passwd", checked
// against the `user_<name>` entries of the listener's PlainLoginModule JAAS config. Messages follow
// Kafka's PlainSaslServer.
import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslFailure, type SaslServerMechanism } from './sasl-mechanism.js';

export class PlainServer implements SaslServerMechanism {
  readonly name = 'PLAIN';
  complete = false;
  user: string | null = null;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new SaslFailure('PLAIN exchange already complete', false);
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslFailure(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`, true);
    const [authzid, username, password] = parts as [string, string, string];
    if (username.length === 0) throw new SaslFailure('Authentication failed: username not specified', true);
    if (password.length === 0) throw new SaslFailure('Authentication failed: password not specified', true);
    const expected = this.users.get(username);
    // Compare digests so the comparison neither leaks the length nor short-circuits.
    const ok = expected !== undefined && timingSafeEqual(digest(expected), digest(password));
    if (!ok) throw new SaslFailure('Authentication failed: Invalid username or password', true);
    if (authzid.length > 0 && authzid !== username) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', true);
    }
    this.complete = true;
    this.user = username;
    return Buffer.alloc(0);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

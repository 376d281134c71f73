// KafkaPrincipal serde of Kafka's DefaultKafkaPrincipalBuilder (KIP-590): how a forwarding broker
// names the client in an Envelope's RequestPrincipal. The bytes are "version-prefixed"
// (MessageUtil.toVersionPrefixedBytes): an int16 DefaultPrincipalData version, then the message
// (type, name, tokenAuthenticated), so a Java broker and this one read each other's envelopes.
import { decodeDefaultPrincipalData, encodeDefaultPrincipalData } from '../../protocol/generated/default-principal-data.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';

const PRINCIPAL_DATA_VERSION = 0;

export interface ForwardedPrincipal {
  /** "Type:name", as connections carry it (User:alice). */
  principal: string;
  /** Logged in with a delegation token on the forwarding broker. */
  tokenAuthenticated: boolean;
}

export class PrincipalDeserializationError extends Error {}

/** "User:alice" → the version-prefixed DefaultPrincipalData bytes. */
export function serializePrincipal(p: ForwardedPrincipal): Buffer {
  const colon = p.principal.indexOf(':');
  const type = colon < 0 ? 'User' : p.principal.slice(0, colon);
  const name = colon < 0 ? p.principal : p.principal.slice(colon + 1);
  const w = new Writer(32 + p.principal.length * 3);
  w.writeInt16(PRINCIPAL_DATA_VERSION);
  encodeDefaultPrincipalData(w, PRINCIPAL_DATA_VERSION, { type, name, tokenAuthenticated: p.tokenAuthenticated });
  return w.toBuffer();
}

/** The inverse; throws PrincipalDeserializationError on an unknown version or bad bytes (Kafka: PRINCIPAL_DESERIALIZATION_FAILURE). */
export function deserializePrincipal(bytes: Buffer): ForwardedPrincipal {
  try {
    const r = new Reader(bytes);
    const version = r.readInt16();
    if (version !== PRINCIPAL_DATA_VERSION) throw new Error(`Invalid principal data version ${version}`);
    const d = decodeDefaultPrincipalData(r, version);
    if (d.type === '') throw new Error('empty principal type');
    return { principal: `${d.type}:${d.name}`, tokenAuthenticated: d.tokenAuthenticated };
  } catch (err) {
    throw new PrincipalDeserializationError(`Failed to deserialize client principal from envelope: ${(err as Error).message}`);
  }
}

// The bytes an Envelope (KIP-590) carries: the client's request with its request header, and the
// controller's response with its response header, exactly as they would travel on a client
// connection (header v1/v2 and v0/v1 by the inner API's version). Decoding is bounded by the
// envelope's own byte field (the Reader checks every length against what is left).
import { API_CODECS, requestHeaderVersion, responseHeaderVersion } from '../../../protocol/generated/index.js';
import { Reader } from '../../../protocol/wire/reader.js';
import { Writer } from '../../../protocol/wire/writer.js';

export interface InnerHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Kafka's forwardable APIs (ApiKeys.forwardable): only these may ride in an Envelope. */
export const FORWARDABLE_APIS: ReadonlySet<number> = new Set([19, 20, 30, 31, 33, 37, 38, 39, 40, 43, 44, 45, 46, 49, 51, 57, 64]);

/** The inner request could not be parsed (Kafka answers UNSUPPORTED_VERSION in the envelope). */
export class InnerRequestError extends Error {}

export function encodeInnerRequest(h: InnerHeader, body: object): Buffer {
  const codec = API_CODECS.get(h.apiKey);
  if (!codec) throw new Error(`no codec for api ${h.apiKey}`);
  const w = new Writer(256);
  w.writeInt16(h.apiKey);
  w.writeInt16(h.apiVersion);
  w.writeInt32(h.correlationId);
  const hv = requestHeaderVersion(h.apiKey, h.apiVersion);
  if (hv >= 1) w.writeNullableString(h.clientId);
  if (hv >= 2) w.writeUnsignedVarint(0);
  codec.encodeRequest(w, h.apiVersion, body);
  return w.toBuffer();
}

/** Header and body of an inner request; `versionOk` decides which versions are served. */
export function decodeInnerRequest(bytes: Buffer, versionOk: (apiKey: number, version: number) => boolean): { header: InnerHeader; body: unknown } {
  if (bytes.length < 8) throw new InnerRequestError('Failed to parse request header from envelope: too short');
  const header: InnerHeader = { apiKey: bytes.readInt16BE(0), apiVersion: bytes.readInt16BE(2), correlationId: bytes.readInt32BE(4), clientId: null };
  const codec = API_CODECS.get(header.apiKey);
  if (!codec || !versionOk(header.apiKey, header.apiVersion)) {
    throw new InnerRequestError(`Failed to parse forwarded request: api ${header.apiKey} v${header.apiVersion} is not supported`);
  }
  try {
    const r = new Reader(bytes, 8);
    const hv = requestHeaderVersion(header.apiKey, header.apiVersion);
    if (hv >= 1) header.clientId = r.readNullableString();
    if (hv >= 2) r.skipTaggedFields();
    const body = codec.decodeRequest(r, header.apiVersion);
    return { header, body };
  } catch (err) {
    throw new InnerRequestError(`Failed to parse forwarded request with api ${header.apiKey} v${header.apiVersion}: ${(err as Error).message}`);
  }
}

export function encodeInnerResponse(h: InnerHeader, body: object): Buffer {
  const codec = API_CODECS.get(h.apiKey)!;
  const w = new Writer(256);
  w.writeInt32(h.correlationId);
  if (responseHeaderVersion(h.apiKey, h.apiVersion) >= 1) w.writeUnsignedVarint(0);
  codec.encodeResponse(w, h.apiVersion, body);
  return w.toBuffer();
}

/** The inner response body (throws on bytes that do not parse as `apiKey` v`version`). */
export function decodeInnerResponse<T>(bytes: Buffer, apiKey: number, version: number): T {
  const r = new Reader(bytes);
  r.readInt32();
  if (responseHeaderVersion(apiKey, version) >= 1) r.skipTaggedFields();
  return API_CODECS.get(apiKey)!.decodeResponse(r, version) as T;
}

/** ClientHostAddress: the raw 4 or 16 address bytes (Java's InetAddress.getAddress()). */
export function encodeClientAddress(ip: string): Buffer {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return Buffer.from(v4.slice(1).map(Number));
  // IPv6: expand "::" and an embedded IPv4 tail (::ffff:1.2.3.4 is two groups).
  const groupsOf = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [g];
      const b = encodeClientAddress(g);
      return [b.readUInt16BE(0).toString(16), b.readUInt16BE(2).toString(16)];
    });
  const [headPart = '', tailPart] = ip.split('%')[0]!.split('::');
  const head = groupsOf(headPart);
  const tail = tailPart === undefined ? [] : groupsOf(tailPart);
  const groups = [...head, ...new Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/** The inverse: null when the bytes are not an IPv4 or IPv6 address (Kafka: INVALID_REQUEST). */
export function decodeClientAddress(bytes: Buffer): string | null {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return null;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // ::ffff:a.b.c.d is the IPv4 client seen on a dual-stack socket: named as Kafka's ACL hosts name it.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return [...bytes.subarray(12)].join('.');
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

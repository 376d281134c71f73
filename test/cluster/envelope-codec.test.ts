// The bytes of an Envelope's fields, as Kafka writes them: the principal as
// DefaultKafkaPrincipalBuilder serializes it (int16 version, then DefaultPrincipalData v0), the
// client address as InetAddress.getAddress(), the inner request/response with their headers.
import { describe, expect, it } from 'vitest';
import { deserializePrincipal, PrincipalDeserializationError, serializePrincipal } from '../../src/auth/principal-serde.js';
import {
  decodeClientAddress,
  decodeInnerRequest,
  decodeInnerResponse,
  encodeClientAddress,
  encodeInnerRequest,
  encodeInnerResponse,
  InnerRequestError,
} from '../../src/cluster/controller/envelope-codec.js';

describe('principal serde', () => {
  it("writes Kafka's version-prefixed DefaultPrincipalData and reads it back", () => {
    const bytes = serializePrincipal({ principal: 'User:alice', tokenAuthenticated: false });
    // version 0 | compact "User" | compact "alice" | false | no tagged fields
    expect(bytes.toString('hex')).toBe('0000' + '05' + Buffer.from('User').toString('hex') + '06' + Buffer.from('alice').toString('hex') + '00' + '00');
    expect(deserializePrincipal(bytes)).toEqual({ principal: 'User:alice', tokenAuthenticated: false });
    // A name holding ':' keeps it (only the first ':' separates the type).
    expect(deserializePrincipal(serializePrincipal({ principal: 'User:CN=a:b', tokenAuthenticated: true }))).toEqual({ principal: 'User:CN=a:b', tokenAuthenticated: true });
  });

  it('refuses an unknown version or truncated bytes', () => {
    const bytes = serializePrincipal({ principal: 'User:alice', tokenAuthenticated: false });
    const v1 = Buffer.from(bytes);
    v1.writeInt16BE(1, 0);
    expect(() => deserializePrincipal(v1)).toThrow(PrincipalDeserializationError);
    expect(() => deserializePrincipal(bytes.subarray(0, 5))).toThrow(PrincipalDeserializationError);
    expect(() => deserializePrincipal(Buffer.alloc(0))).toThrow(PrincipalDeserializationError);
  });
});

describe('client address bytes', () => {
  it('IPv4 as 4 bytes, IPv6 as 16, an IPv4-mapped client named as IPv4, anything else refused', () => {
    expect([...encodeClientAddress('10.1.2.3')]).toEqual([10, 1, 2, 3]);
    expect(encodeClientAddress('::1')).toHaveLength(16);
    for (const ip of ['127.0.0.1', '::1', 'fe80::1', '2001:db8:0:1:2:3:4:5', '::']) expect(decodeClientAddress(encodeClientAddress(ip))).toBe(ip);
    expect(decodeClientAddress(encodeClientAddress('::ffff:10.1.2.3'))).toBe('10.1.2.3');
    expect(decodeClientAddress(Buffer.from([1, 2, 3]))).toBeNull();
    expect(decodeClientAddress(Buffer.alloc(0))).toBeNull();
  });
});

describe('inner request and response', () => {
  const header = { apiKey: 20, apiVersion: 6, correlationId: 9, clientId: 'app' };
  const body = { topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], topicNames: [], timeoutMs: 1000 };

  it('round-trip with their headers', () => {
    const bytes = encodeInnerRequest(header, body);
    const back = decodeInnerRequest(bytes, () => true);
    expect(back.header).toEqual(header);
    expect((back.body as any).topics[0].name).toBe('t');
    const res = { throttleTimeMs: 5, responses: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: 29, errorMessage: null }] };
    const out = encodeInnerResponse(header, res);
    expect(out.readInt32BE(0)).toBe(9);
    expect(decodeInnerResponse<any>(out, 20, 6)).toMatchObject(res);
  });

  it('refuses what does not parse: short, unserved version, truncated body', () => {
    const bytes = encodeInnerRequest(header, body);
    expect(() => decodeInnerRequest(bytes.subarray(0, 6), () => true)).toThrow(InnerRequestError);
    expect(() => decodeInnerRequest(bytes, () => false)).toThrow(InnerRequestError);
    expect(() => decodeInnerRequest(bytes.subarray(0, bytes.length - 3), () => true)).toThrow(InnerRequestError);
  });
});

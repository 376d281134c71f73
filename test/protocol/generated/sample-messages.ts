/**
 * Schema-driven sample messages for round-trip and fuzz tests.
 *
 * fillMessage builds a pseudo-random message for a version (deterministic per seed), also
 * setting fields the version does not carry so encoders are seen to skip them. expectDecoded
 * computes, independently of the generated code, what decoding its encoding must return:
 * fields absent from the version hold their defaults, tagged fields appear only when set and
 * tagged in that version, `undefined` fields are encoded as their defaults.
 */
import type { FieldSchema, MessageSchema } from '../../../protocol/generated/schema.js';
import { rng } from '../records/random-data.js';

export type Rng = () => number;

/** mulberry32, seeded: the records tests' PRNG. */
export { rng };

const inRange = (r: [number, number] | undefined | null, v: number): boolean => !!r && v >= r[0] && v <= r[1];
const int = (rand: Rng, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function randomString(rand: Rng): string {
  const alphabet = ['a', 'b', 'z', '-', '_', '.', '0', '9', 'é', '✓', '𝄞'];
  let s = '';
  const n = int(rand, 0, 12);
  for (let i = 0; i < n; i++) s += alphabet[int(rand, 0, rand() < 0.8 ? 6 : alphabet.length - 1)];
  return s;
}

function randomBytes(rand: Rng, max: number): Buffer {
  const b = Buffer.alloc(int(rand, 0, max));
  for (let i = 0; i < b.length; i++) b[i] = int(rand, 0, 255);
  return b;
}

const INT64_SAMPLES = [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53) + 1, 1700000000000];

function primitive(rand: Rng, type: string): unknown {
  switch (type) {
    case 'bool':
      return rand() < 0.5;
    case 'int8':
      return int(rand, -128, 127);
    case 'int16':
      return int(rand, -32768, 32767);
    case 'uint16':
      return int(rand, 0, 65535);
    case 'int32':
      return int(rand, -(2 ** 31), 2 ** 31 - 1);
    case 'uint32':
      return int(rand, 0, 2 ** 32 - 1);
    case 'int64':
      return rand() < 0.5 ? INT64_SAMPLES[int(rand, 0, INT64_SAMPLES.length - 1)] : int(rand, -(2 ** 40), 2 ** 40);
    case 'float64':
      return rand() < 0.2 ? 0 : (rand() - 0.5) * 1e9;
    case 'string':
      return randomString(rand);
    case 'uuid':
      return rand() < 0.1 ? ZERO_UUID : Buffer.from(Array.from({ length: 16 }, () => int(rand, 0, 255))).toString('base64url');
    case 'bytes':
      return randomBytes(rand, 20);
    case 'records':
      // Occasionally large enough to take Writer's by-reference chunk path.
      return randomBytes(rand, rand() < 0.05 ? 5000 : 40);
    default:
      throw new Error(`unknown primitive ${type}`);
  }
}

function fillValue(rand: Rng, f: FieldSchema, v: number, depth: number): unknown {
  if (inRange(f.nullable, v) && rand() < 0.2) return null;
  if (f.type.startsWith('[]')) {
    const n = depth > 4 ? 0 : int(rand, 0, 3);
    const el = f.type.slice(2);
    return Array.from({ length: n }, () => (f.fields ? fillStruct(rand, f.fields, v, depth + 1) : primitive(rand, el)));
  }
  if (f.fields) return fillStruct(rand, f.fields, v, depth + 1);
  return primitive(rand, f.type);
}

function fillStruct(rand: Rng, fields: FieldSchema[], v: number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const present = inRange(f.versions, v);
    if (f.tag !== undefined) {
      if (rand() < 0.5) o[f.name] = fillValue(rand, f, present ? v : f.versions[0], depth);
      continue;
    }
    // Absent fields are still set (usually) to check that encoders skip them.
    if (!present && rand() < 0.3) continue;
    o[f.name] = fillValue(rand, f, present ? v : f.versions[0], depth);
  }
  return o;
}

export function fillMessage(schema: MessageSchema, v: number, seed: number): Record<string, unknown> {
  return fillStruct(rng(seed * 7919 + v * 31 + schema.name.length), schema.fields, v, 0);
}

// ---- expected decode ----------------------------------------------------------------------------

function typeDefault(f: FieldSchema): unknown {
  if (f.default === null) return null;
  if (f.type.startsWith('[]')) return [];
  if (f.fields) return defaultStruct(f.fields);
  switch (f.type) {
    case 'bool':
      return f.default ?? false;
    case 'string':
      return f.default ?? '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return f.default ?? 0;
  }
}

function defaultStruct(fields: FieldSchema[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) if (f.tag === undefined) o[f.name] = typeDefault(f);
  return o;
}

/** What an encoder writes for `value` of field f in version v, as decode will return it. */
function expectValue(f: FieldSchema, v: number, value: unknown): unknown {
  if (value === undefined) value = typeDefault(f);
  if (value === null && !inRange(f.nullable, v) && f.type !== 'records') {
    // null where the version cannot carry it: the encoder writes the empty default.
    if (f.type.startsWith('[]')) return [];
    if (f.fields) return expectStruct(f.fields, v, {});
    return f.type === 'string' ? '' : Buffer.alloc(0);
  }
  if (value === null) return null;
  if (f.type.startsWith('[]')) {
    return (value as unknown[]).map((e) => (f.fields ? expectStruct(f.fields, v, e as Record<string, unknown>) : e));
  }
  if (f.fields) return expectStruct(f.fields, v, value as Record<string, unknown>);
  return value;
}

export function expectStruct(fields: FieldSchema[], v: number, msg: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const present = inRange(f.versions, v);
    if (f.tag !== undefined) {
      if (present && msg[f.name] !== undefined) o[f.name] = expectValue(f, v, msg[f.name]);
      continue;
    }
    o[f.name] = present ? expectValue(f, v, msg[f.name]) : typeDefault(f);
  }
  return o;
}

/** Every version of a schema, as a list. */
export function versionsOf(schema: MessageSchema): number[] {
  const out: number[] = [];
  for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) out.push(v);
  return out;
}

/**
 * Per-field code fragments for one concrete version: TypeScript types, default values,
 * read expressions/statements and write statements. emit-codec.ts assembles them into
 * straight-line functions per version family.
 */
import {
  inRange,
  type FieldDef,
  type MessageSpec,
  type PrimitiveType,
  type StructDef,
} from './spec-loader.js';

export interface Ctx {
  spec: MessageSpec;
  version: number;
}

export const hasRange = (r: { lo: number; hi: number }): boolean => r.lo <= r.hi;

export function isFlexible(ctx: Ctx, f?: FieldDef): boolean {
  if (f?.flexible !== undefined) return inRange(f.flexible, ctx.version);
  return inRange(ctx.spec.flexible, ctx.version);
}

export function isTaggedField(f: FieldDef): boolean {
  return f.tag !== undefined;
}

// ---- TypeScript types -----------------------------------------------------------------------

function primitiveTsType(t: PrimitiveType): string {
  switch (t) {
    case 'bool':
      return 'boolean';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return 'number';
  }
}

export function tsType(f: FieldDef): string {
  const t = f.type;
  let base: string;
  if (t.kind === 'primitive') base = primitiveTsType(t.name);
  else if (t.kind === 'struct') base = t.struct.tsName;
  else base = `${t.element.kind === 'primitive' ? primitiveTsType(t.element.name) : t.element.struct.tsName}[]`;
  const nullable = hasRange(f.nullable) || (t.kind === 'primitive' && t.name === 'records');
  return nullable ? `${base} | null` : base;
}

/** A single-quoted TypeScript string literal. */
export function quote(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

// ---- defaults -------------------------------------------------------------------------------

/** The value a decoder fills in when the field is absent from the version being read. */
export function defaultExpr(f: FieldDef): string {
  const t = f.type;
  if (f.default === null) return 'null';
  if (t.kind === 'array') return '[]';
  if (t.kind === 'struct') return `default${t.struct.tsName}()`;
  switch (t.name) {
    case 'bool':
      return String(f.default ?? false);
    case 'string':
      return quote(f.default === undefined ? '' : String(f.default));
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
      return 'EMPTY_BYTES';
    case 'records':
      return 'null';
    default:
      return String(f.default ?? 0);
  }
}

/** Like defaultExpr but never null: what to write when a non-nullable version gets null. */
function nonNullDefaultExpr(f: FieldDef): string {
  const t = f.type;
  // An empty object encodes as the default struct: nested encoders default every field.
  if (t.kind === 'struct') return `({} as ${t.struct.tsName})`;
  const d = defaultExpr(f);
  if (d !== 'null') return d;
  if (t.kind === 'array') return '[]';
  if (t.name === 'string') return "''";
  return 'EMPTY_BYTES'; // bytes, records
}

/**
 * Expression for the value to encode: `undefined` becomes the field's default, and `null`
 * in a version where the field is not nullable becomes the non-null default.
 */
export function encodeValueExpr(ctx: Ctx, f: FieldDef, access: string): string {
  const nullable = inRange(f.nullable, ctx.version) || (f.type.kind === 'primitive' && f.type.name === 'records');
  if (!nullable) return `${access} ?? ${nonNullDefaultExpr(f)}`;
  const d = f.type.kind === 'struct' && f.default !== null ? nonNullDefaultExpr(f) : defaultExpr(f);
  if (d === 'null') return `${access} ?? null`;
  return `${access} === undefined ? ${d} : ${access}`;
}

// ---- minimum encoded sizes (array-count guards) ---------------------------------------------

function primitiveMinSize(t: PrimitiveType, flexible: boolean): number {
  switch (t) {
    case 'bool':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    case 'string':
      return flexible ? 1 : 2;
    default:
      return flexible ? 1 : 4; // bytes, records
  }
}

export function structMinSize(ctx: Ctx, s: StructDef): number {
  let size = inRange(ctx.spec.flexible, ctx.version) ? 1 : 0; // tagged-field count
  for (const f of s.fields) {
    if (!inRange(f.versions, ctx.version) || isTaggedField(f)) continue;
    size += fieldMinSize(ctx, f);
  }
  return size;
}

function fieldMinSize(ctx: Ctx, f: FieldDef): number {
  const t = f.type;
  const flexible = isFlexible(ctx, f);
  if (t.kind === 'array') return flexible ? 1 : 4;
  if (t.kind === 'struct') return inRange(f.nullable, ctx.version) ? 1 : structMinSize(ctx, t.struct);
  return primitiveMinSize(t.name, flexible);
}

export function elementMinSize(ctx: Ctx, f: FieldDef): number {
  const t = f.type;
  if (t.kind !== 'array') throw new Error('not an array');
  const el = t.element;
  const n = el.kind === 'primitive' ? primitiveMinSize(el.name, isFlexible(ctx, f)) : structMinSize(ctx, el.struct);
  return Math.max(1, n);
}

// ---- read / write of primitives -------------------------------------------------------------

const FIXED_READ: Record<string, string> = {
  bool: 'readBool',
  int8: 'readInt8',
  int16: 'readInt16',
  uint16: 'readUInt16',
  int32: 'readInt32',
  uint32: 'readUInt32',
  int64: 'readInt64',
  float64: 'readFloat64',
  uuid: 'readUuid',
};

function varMethod(t: PrimitiveType, flexible: boolean, nullable: boolean): string {
  const kind = t === 'string' ? 'String' : 'Bytes';
  return `${flexible ? 'Compact' : ''}${nullable ? 'Nullable' : ''}${kind}`;
}

export function readPrimitive(t: PrimitiveType, flexible: boolean, nullable: boolean): string {
  const fixed = FIXED_READ[t];
  if (fixed) return `r.${fixed}()`;
  return `r.read${varMethod(t, flexible, nullable || t === 'records')}()`;
}

export function writePrimitive(t: PrimitiveType, flexible: boolean, nullable: boolean, w: string, value: string): string {
  const fixed = FIXED_READ[t];
  if (fixed) return `${w}.${fixed.replace('read', 'write')}(${value});`;
  return `${w}.write${varMethod(t, flexible, nullable || t === 'records')}(${value});`;
}

/**
 * Emits the cross-API tables: generated/index.ts (ApiKeys, API_CODECS, header-version rules),
 * generated/schema.ts (field descriptors for tests and fuzzing) and protocol/errors.ts.
 */
import { HEADER } from './emit-codec.js';
import { hasRange } from './field-code.js';
import type { FieldDef, MessageSpec, VersionRange } from './spec-loader.js';

export interface ApiPair {
  apiName: string; // "Produce"
  module: string; // "produce"
  request: MessageSpec;
  response: MessageSpec;
}

export function kebab(name: string): string {
  return name
    .replace(/KRaft/g, 'Kraft')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

const hi = (r: VersionRange): string => (r.hi === Infinity ? 'Infinity' : String(r.hi));

export function emitIndex(apis: ApiPair[]): string {
  const sorted = [...apis].sort((a, b) => a.request.apiKey! - b.request.apiKey!);
  const lines: string[] = [HEADER];
  lines.push("import type { Reader } from '../wire/reader.js';");
  lines.push("import type { Writer } from '../wire/writer.js';");
  for (const a of sorted) {
    lines.push(
      `import { decode${a.request.name}, encode${a.request.name}, decode${a.response.name}, encode${a.response.name} } from './${a.module}.js';`,
    );
  }
  lines.push('');
  lines.push('export const ApiKeys = {');
  for (const a of sorted) lines.push(`  ${a.apiName}: ${a.request.apiKey},`);
  lines.push('} as const;');
  lines.push('');
  lines.push('export type ApiKey = (typeof ApiKeys)[keyof typeof ApiKeys];');
  lines.push('');
  lines.push(`export interface ApiCodec {
  apiKey: number;
  /** API name without the Request/Response suffix, e.g. "Produce". */
  name: string;
  minVersion: number;
  maxVersion: number;
  /** First flexible version (compact encodings, tagged fields, request header v2), or Infinity. */
  flexibleMin: number;
  /** The highest version is still under development upstream (Kafka does not advertise it by default). */
  latestVersionUnstable: boolean;
  decodeRequest(r: Reader, v: number): any;
  encodeRequest(w: Writer, v: number, m: any): void;
  decodeResponse(r: Reader, v: number): any;
  encodeResponse(w: Writer, v: number, m: any): void;
  /** Listener kinds from the spec ("zkBroker", "broker", "controller"). */
  listeners: string[];
}
`);
  lines.push('export const API_CODECS: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>([');
  for (const a of sorted) {
    const { request: q, response: s } = a;
    const flexMin = hasRange(q.flexible) ? String(q.flexible.lo) : 'Infinity';
    lines.push(`  [${q.apiKey}, {`);
    lines.push(`    apiKey: ${q.apiKey},`);
    lines.push(`    name: '${a.apiName}',`);
    lines.push(`    minVersion: ${q.valid.lo},`);
    lines.push(`    maxVersion: ${hi(q.valid)},`);
    lines.push(`    flexibleMin: ${flexMin},`);
    lines.push(`    latestVersionUnstable: ${q.latestVersionUnstable || s.latestVersionUnstable},`);
    lines.push(`    decodeRequest: decode${q.name},`);
    lines.push(`    encodeRequest: encode${q.name},`);
    lines.push(`    decodeResponse: decode${s.name},`);
    lines.push(`    encodeResponse: encode${s.name},`);
    lines.push(`    listeners: ${JSON.stringify(q.listeners).replace(/"/g, "'").replace(/,/g, ', ')},`);
    lines.push('  }],');
  }
  lines.push(']);');
  lines.push(`
/**
 * Request header version: 2 for flexible request versions, else 1. (Header v0 served only
 * ControlledShutdown v0, which Kafka 4.0 retired with the other ZooKeeper-era APIs.)
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  const codec = API_CODECS.get(apiKey);
  return codec !== undefined && apiVersion >= codec.flexibleMin ? 2 : 1;
}

/**
 * Response header version: 1 for flexible versions, except ApiVersions, whose response always
 * uses header v0 so a client can parse it before knowing which versions the broker supports.
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKeys.ApiVersions) return 0;
  const codec = API_CODECS.get(apiKey);
  return codec !== undefined && apiVersion >= codec.flexibleMin ? 1 : 0;
}`);
  return lines.join('\n') + '\n';
}

// ---- schema.ts --------------------------------------------------------------------------------

const range = (r: VersionRange): string => `[${r.lo}, ${hi(r)}]`;

function fieldSchema(f: FieldDef, indent: string): string[] {
  const t = f.type;
  const typeName =
    t.kind === 'primitive'
      ? t.name
      : t.kind === 'struct'
        ? t.struct.specName
        : `[]${t.element.kind === 'primitive' ? t.element.name : t.element.struct.specName}`;
  const parts = [`name: '${f.prop}'`, `type: '${typeName}'`, `versions: ${range(f.versions)}`];
  if (hasRange(f.nullable)) parts.push(`nullable: ${range(f.nullable)}`);
  if (f.tag !== undefined) parts.push(`tag: ${f.tag}`);
  if (f.flexible !== undefined) parts.push(`flexible: ${hasRange(f.flexible) ? range(f.flexible) : 'null'}`);
  if (f.default !== undefined) parts.push(`default: ${JSON.stringify(f.default)}`);
  const struct = t.kind === 'struct' ? t.struct : t.kind === 'array' && t.element.kind === 'struct' ? t.element.struct : undefined;
  if (!struct) return [`${indent}{ ${parts.join(', ')} },`];
  return [
    `${indent}{ ${parts.join(', ')}, fields: [`,
    ...struct.fields.flatMap((g) => fieldSchema(g, indent + '  ')),
    `${indent}] },`,
  ];
}

export function emitSchema(specs: { spec: MessageSpec; module: string }[]): string {
  const lines: string[] = [HEADER];
  lines.push(`/**
 * Field descriptors for every message, for round-trip tests and fuzzers. Not used on the hot path.
 * Version ranges are inclusive [lo, hi]; hi is Infinity for "N+". \`flexible\` on a field overrides
 * the message's flexibleVersions (null = never flexible).
 */
export interface FieldSchema {
  name: string;
  /** Primitive name, struct type name, or "[]" + element type. */
  type: string;
  versions: [number, number];
  nullable?: [number, number];
  tag?: number;
  flexible?: [number, number] | null;
  default?: number | boolean | string | null;
  fields?: FieldSchema[];
}

export interface MessageSchema {
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey?: number;
  /** Module under protocol/generated/ that exports decode<name> and encode<name>. */
  module: string;
  validVersions: [number, number];
  flexibleVersions: [number, number] | null;
  fields: FieldSchema[];
}
`);
  lines.push('export const MESSAGE_SCHEMAS: readonly MessageSchema[] = [');
  for (const { spec, module } of specs) {
    const head = [
      `name: '${spec.name}'`,
      `type: '${spec.type}'`,
      ...(spec.apiKey !== undefined ? [`apiKey: ${spec.apiKey}`] : []),
      `module: '${module}'`,
      `validVersions: ${range(spec.valid)}`,
      `flexibleVersions: ${hasRange(spec.flexible) ? range(spec.flexible) : 'null'}`,
    ];
    lines.push(`  { ${head.join(', ')}, fields: [`);
    lines.push(...spec.root.fields.flatMap((f) => fieldSchema(f, '    ')));
    lines.push('  ] },');
  }
  lines.push('];');
  return lines.join('\n') + '\n';
}

// ---- errors.ts --------------------------------------------------------------------------------

export function emitErrors(tsv: string): string {
  const rows = tsv
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [code, name, , ...rest] = l.split('\t');
      return { code: Number(code), name, message: rest.join('\t').trim() };
    })
    .filter((r) => Number.isInteger(r.code) && /^[A-Z0-9_]+$/.test(r.name));
  const lines: string[] = [HEADER];
  lines.push('/** Kafka protocol error codes, named exactly as in error-codes.tsv. */');
  lines.push('export const ErrorCode = {');
  for (const r of rows) lines.push(`  ${r.name}: ${r.code},`);
  lines.push('} as const;');
  lines.push('');
  lines.push('export type ErrorCodeName = keyof typeof ErrorCode;');
  lines.push('export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];');
  lines.push('');
  lines.push('const NAMES = new Map<number, string>([');
  for (const r of rows) lines.push(`  [${r.code}, '${r.name}'],`);
  lines.push(']);');
  lines.push('');
  lines.push('const MESSAGES = new Map<number, string>([');
  for (const r of rows) lines.push(`  [${r.code}, ${JSON.stringify(r.message)}],`);
  lines.push(']);');
  lines.push(`
/** The error's name ("NOT_LEADER_OR_FOLLOWER"), or "UNKNOWN_ERROR_CODE_<n>" for unknown codes. */
export function errorName(code: number): string {
  return NAMES.get(code) ?? \`UNKNOWN_ERROR_CODE_\${code}\`;
}

/** Kafka's description of the error, or "" for unknown codes. */
export function errorMessage(code: number): string {
  return MESSAGES.get(code) ?? '';
}`);
  return lines.join('\n') + '\n';
}

// ---- apis.ts ----------------------------------------------------------------------------------

/**
 * One typed descriptor per API: what a handler is declared against (`defineHandler(Api.Produce,
 * …)` in src/network/request-context.ts), so its key, the spec's version range and its request
 * and response types come from here rather than from numbers and casts in the handler.
 */
export function emitApis(apis: ApiPair[]): string {
  const sorted = [...apis].sort((a, b) => a.request.apiKey! - b.request.apiKey!);
  const lines: string[] = [HEADER];
  lines.push("import type { Reader } from '../wire/reader.js';");
  lines.push("import type { Writer } from '../wire/writer.js';");
  for (const a of sorted) {
    const q = a.request.name;
    const s = a.response.name;
    lines.push(`import { type ${q}, type ${s}, decode${q}, encode${s}, default${s} } from './${a.module}.js';`);
  }
  lines.push(`
/** An API as the spec defines it, typed by its request and response messages. */
export interface ApiDescriptor<Req extends object = object, Res extends object = object> {
  readonly apiKey: number;
  /** API name without the Request/Response suffix, e.g. "Produce". */
  readonly name: string;
  /** The spec's validVersions (after specs/tributary/removed-versions.json). */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or Infinity. */
  readonly flexibleMin: number;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, version: number, m: Res): void;
  /** A response with every field at its spec default (tagged fields absent), fresh each call. */
  defaultResponse(): Res;
}

/** The request type of a descriptor. */
export type RequestOf<A> = A extends ApiDescriptor<infer Q, object> ? Q : never;
/** The response type of a descriptor. */
export type ResponseOf<A> = A extends ApiDescriptor<object, infer S> ? S : never;
`);
  lines.push('/** Checks each entry against its types (an assertion would not). */');
  lines.push('const api = <Q extends object, S extends object>(d: ApiDescriptor<Q, S>): ApiDescriptor<Q, S> => d;');
  lines.push('');
  lines.push('export const Api = {');
  for (const a of sorted) {
    const { request: q, response: s } = a;
    const flexMin = hasRange(q.flexible) ? String(q.flexible.lo) : 'Infinity';
    lines.push(`  ${a.apiName}: api<${q.name}, ${s.name}>({`);
    lines.push(`    apiKey: ${q.apiKey},`);
    lines.push(`    name: '${a.apiName}',`);
    lines.push(`    minVersion: ${q.valid.lo},`);
    lines.push(`    maxVersion: ${hi(q.valid)},`);
    lines.push(`    flexibleMin: ${flexMin},`);
    lines.push(`    decodeRequest: decode${q.name},`);
    lines.push(`    encodeResponse: encode${s.name},`);
    lines.push(`    defaultResponse: default${s.name},`);
    lines.push('  }),');
  }
  lines.push('} as const;');
  lines.push('');
  lines.push('export type ApiName = keyof typeof Api;');
  return lines.join('\n') + '\n';
}

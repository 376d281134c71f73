/**
 * Reads Kafka's JSON message specs (JSON with // comments) into a normalised model:
 * version ranges parsed, struct types resolved (inline and commonStructs), defaults parsed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface VersionRange {
  lo: number;
  hi: number; // Infinity for "N+"
}

export const NONE: VersionRange = { lo: 1, hi: 0 }; // empty

export type PrimitiveType =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'uuid' | 'bytes' | 'records';

export const PRIMITIVES: ReadonlySet<string> = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64',
  'string', 'uuid', 'bytes', 'records',
]);

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveType }
  | { kind: 'struct'; struct: StructDef }
  | { kind: 'array'; element: { kind: 'primitive'; name: PrimitiveType } | { kind: 'struct'; struct: StructDef } };

export interface FieldDef {
  specName: string;
  /** Property name: spec name with the first letter lower-cased. */
  prop: string;
  type: FieldType;
  versions: VersionRange;
  nullable: VersionRange;
  tagged: VersionRange;
  tag: number | undefined;
  /** Field-level override of the message flexibleVersions (only "none" is used in practice). */
  flexible: VersionRange | undefined;
  /** Parsed default: number | boolean | string | null, or undefined for the type's default. */
  default: number | boolean | string | null | undefined;
  about: string | undefined;
}

export interface StructDef {
  /** Spec type name, e.g. "TopicProduceData". */
  specName: string;
  /** Exported TypeScript name, e.g. "ProduceRequestTopicProduceData". */
  tsName: string;
  fields: FieldDef[];
}

export interface MessageSpec {
  file: string;
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey: number | undefined;
  listeners: string[];
  valid: VersionRange;
  flexible: VersionRange;
  latestVersionUnstable: boolean;
  root: StructDef;
  /** Every struct reachable from root, root first, in first-use order. */
  structs: StructDef[];
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

export function parseVersions(s: string | undefined, what: string): VersionRange {
  if (s === undefined || s === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${what}: bad version spec ${JSON.stringify(s)}`);
}

/** Removes // comments outside of string literals. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function lowerFirst(s: string): string {
  return s[0].toLowerCase() + s.slice(1);
}

const INTEGER_TYPES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64']);

function parseDefault(raw: unknown, type: string, what: string): FieldDef['default'] {
  if (raw === undefined) return undefined;
  if (raw === 'null') return null;
  if (INTEGER_TYPES.has(type) || type === 'float64') {
    if (typeof raw === 'number') return raw;
    const s = String(raw);
    const n = /^-?0x/i.test(s) ? (s.startsWith('-') ? -parseInt(s.slice(3), 16) : parseInt(s.slice(2), 16)) : Number(s);
    if (!Number.isFinite(n)) throw new Error(`${what}: bad default ${JSON.stringify(raw)}`);
    return n;
  }
  if (type === 'bool') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new Error(`${what}: bad bool default ${JSON.stringify(raw)}`);
  }
  if (type === 'string') return String(raw);
  throw new Error(`${what}: unsupported default ${JSON.stringify(raw)} for ${type}`);
}

interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  default?: unknown;
  about?: string;
  fields?: RawField[];
}

/**
 * Tributary's supplement to Kafka's specs (`tributary/removed-versions.json` in the spec folder):
 * versions Kafka 4.0 removed (KIP-896) that Tributary still serves, with the fields that existed
 * only in them.
 */
export interface RemovedVersions {
  minVersion: number;
  restore?: { in: string; after: string; field: RawField }[];
}

export const REMOVED_VERSIONS_FILE = join('tributary', 'removed-versions.json');

function applyRemovedVersions(raw: { name: string; validVersions: string; fields: RawField[] }, extra: RemovedVersions, file: string): void {
  const valid = parseVersions(raw.validVersions, file);
  if (!(extra.minVersion < valid.lo)) throw new Error(`${file}: removed-versions minVersion ${extra.minVersion} is not below ${raw.validVersions}`);
  raw.validVersions = `${extra.minVersion}-${valid.hi}`;
  for (const r of extra.restore ?? []) {
    let fields = raw.fields;
    for (const step of r.in === '' ? [] : r.in.split('.')) {
      const parent = fields.find((f) => f.name === step);
      if (!parent?.fields) throw new Error(`${file}: removed-versions path ${r.in} not found`);
      fields = parent.fields;
    }
    if (fields.some((f) => f.name === r.field.name)) throw new Error(`${file}: ${r.field.name} is already in the spec`);
    const at = fields.findIndex((f) => f.name === r.after);
    if (at < 0) throw new Error(`${file}: removed-versions anchor ${r.after} not found in ${r.in}`);
    fields.splice(at + 1, 0, r.field);
  }
}

export function loadSpec(path: string, file: string, removed?: RemovedVersions): MessageSpec {
  const raw = JSON.parse(stripComments(readFileSync(path, 'utf8')));
  if (removed) applyRemovedVersions(raw, removed, file);
  const name: string = raw.name;
  const structsByName = new Map<string, StructDef>();
  const order: StructDef[] = [];
  const commonRaw = new Map<string, RawField[]>();
  for (const c of raw.commonStructs ?? []) commonRaw.set(c.name, c.fields);

  const buildStruct = (specName: string, fields: RawField[], tsName: string): StructDef => {
    const existing = structsByName.get(specName);
    if (existing) {
      if (!commonRaw.has(specName) && JSON.stringify(fields) !== JSON.stringify(existingRaw.get(specName))) {
        throw new Error(`${file}: struct ${specName} defined twice differently`);
      }
      return existing;
    }
    const def: StructDef = { specName, tsName, fields: [] };
    structsByName.set(specName, def);
    existingRaw.set(specName, fields);
    order.push(def);
    def.fields = fields.map((f) => buildField(f));
    return def;
  };
  const existingRaw = new Map<string, RawField[]>();

  const structType = (typeName: string, f: RawField): StructDef => {
    const fields = f.fields ?? commonRaw.get(typeName);
    if (!fields) throw new Error(`${file}: unknown type ${typeName} for field ${f.name}`);
    return buildStruct(typeName, fields, name + typeName);
  };

  const buildField = (f: RawField): FieldDef => {
    const what = `${file}: ${f.name}`;
    let type: FieldType;
    if (f.type.startsWith('[]')) {
      const el = f.type.slice(2);
      type = {
        kind: 'array',
        element: PRIMITIVES.has(el)
          ? { kind: 'primitive', name: el as PrimitiveType }
          : { kind: 'struct', struct: structType(el, f) },
      };
    } else if (PRIMITIVES.has(f.type)) {
      type = { kind: 'primitive', name: f.type as PrimitiveType };
    } else {
      type = { kind: 'struct', struct: structType(f.type, f) };
    }
    const versions = parseVersions(f.versions, what);
    const tagged = parseVersions(f.taggedVersions, what);
    if (f.tag !== undefined && (tagged.lo !== versions.lo || tagged.hi !== versions.hi)) {
      // Every spec in the tree tags a field for all of its versions; a mixed field would need
      // both a positional and a tagged encoding, which the emitter does not implement.
      throw new Error(`${what}: taggedVersions ${f.taggedVersions} differ from versions ${f.versions}`);
    }
    return {
      specName: f.name,
      prop: lowerFirst(f.name),
      type,
      versions,
      nullable: parseVersions(f.nullableVersions, what),
      tagged: f.tag === undefined ? NONE : tagged,
      tag: f.tag,
      flexible: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, what),
      default: parseDefault(f.default, f.type, what),
      about: f.about,
    };
  };

  const root: StructDef = { specName: name, tsName: name, fields: [] };
  order.push(root);
  root.fields = ((raw.fields ?? []) as RawField[]).map((f) => buildField(f));

  return {
    file,
    name,
    type: raw.type,
    apiKey: raw.apiKey,
    listeners: raw.listeners ?? [],
    valid: parseVersions(raw.validVersions, file),
    flexible: parseVersions(raw.flexibleVersions, file),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root,
    structs: [root, ...order.filter((s) => s !== root)],
  };
}

/**
 * Every spec in the folder, with the removed-versions supplement applied. Specs without valid
 * versions (the ZooKeeper-era inter-broker APIs Kafka 4.0 retired) are skipped, as Kafka's own
 * generator does.
 */
export function loadAllSpecs(dir: string): MessageSpec[] {
  const supplementPath = join(dir, REMOVED_VERSIONS_FILE);
  const removed: Record<string, RemovedVersions> = existsSync(supplementPath)
    ? JSON.parse(stripComments(readFileSync(supplementPath, 'utf8')))
    : {};
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const name of Object.keys(removed)) {
    if (!files.includes(`${name}.json`)) throw new Error(`${REMOVED_VERSIONS_FILE}: no spec ${name}.json`);
  }
  return files
    .map((f) => loadSpec(join(dir, f), f, removed[f.replace(/\.json$/, '')]))
    .filter((s) => s.valid.lo <= s.valid.hi);
}

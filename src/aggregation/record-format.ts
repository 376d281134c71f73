// Turns one input record into a contribution, or into the reason it is rejected (dead letter).
// JSON values are objects whose fields are looked up by name (dotted paths reach into nested
// objects); CSV values are one line each, with the columns given by the definition's header spec.
//
// Rules, each with the reason code the dead-letter header carries:
//   unparseable       not JSON / not an object / wrong number of CSV columns / not UTF-8
//   missing-field     a contributor, group or measure field is absent, null or empty
//   wrong-type        a group field is not a string/number/boolean, a measure is not a finite
//                     number, a count is not an integer
//   negative-count    a count field below zero
//   contributor-mismatch   the source pins a contributor and the record names another
//   tombstone-without-key  a null value with a null key withdraws nothing
import type { AggregationDefinition, SourceDefinition } from './definition.js';

export interface Contribution {
  /** Group field values in groupBy order. */
  groupValues: string[];
  contributor: string;
  /** Per measure, in definition order. */
  measures: number[];
}

export type RejectCode = 'unparseable' | 'missing-field' | 'wrong-type' | 'negative-count' | 'contributor-mismatch' | 'tombstone-without-key';

export type Extracted = { ok: true; contribution: Contribution } | { ok: false; code: RejectCode; reason: string };

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

type FieldGetter = (name: string) => unknown;

export function extractContribution(def: AggregationDefinition, source: SourceDefinition, value: Buffer): Extracted {
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return reject('unparseable', 'value is not valid UTF-8');
  }
  let get: FieldGetter;
  let fromText: boolean;
  if (def.format.type === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return reject('unparseable', `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject('unparseable', 'JSON value is not an object');
    const obj = parsed as Record<string, unknown>;
    get = (name) => lookupPath(obj, name);
    fromText = false;
  } else {
    const cells = parseCsvLine(text.replace(/\r?\n$/, ''), def.format.delimiter ?? ',');
    if (cells === null) return reject('unparseable', 'malformed CSV quoting');
    const cols = def.format.columns;
    if (cells.length !== cols.length) return reject('unparseable', `CSV line has ${cells.length} columns, the header spec ${cols.length}`);
    const row = new Map(cols.map((c, i) => [c, cells[i]!]));
    get = (name) => row.get(name);
    fromText = true;
  }

  const contributor = stringField(get, def.contributorField);
  if (typeof contributor !== 'string') return contributor;
  if (source.contributor !== undefined && contributor !== source.contributor) {
    return reject('contributor-mismatch', `source '${source.name}' only accepts contributor '${source.contributor}'`);
  }
  const groupValues: string[] = [];
  for (const f of def.groupBy) {
    const v = stringField(get, f);
    if (typeof v !== 'string') return v;
    groupValues.push(v);
  }
  const measures: number[] = [];
  for (const m of def.measures) {
    if (m.field === undefined) {
      measures.push(1); // count of contributions
      continue;
    }
    const raw = get(m.field);
    if (raw === undefined || raw === null || raw === '') return reject('missing-field', `missing field '${m.field}'`);
    let n: number;
    if (typeof raw === 'number') n = raw;
    else if (fromText && typeof raw === 'string' && NUMERIC.test(raw)) n = Number(raw);
    else return reject('wrong-type', `field '${m.field}' must be a number`);
    if (!Number.isFinite(n)) return reject('wrong-type', `field '${m.field}' must be a finite number`);
    if (m.op === 'count') {
      if (!Number.isInteger(n)) return reject('wrong-type', `count field '${m.field}' must be an integer, got ${n}`);
      if (n < 0) return reject('negative-count', `count field '${m.field}' is negative (${n})`);
    }
    measures.push(n);
  }
  return { ok: true, contribution: { groupValues, contributor, measures } };
}

function stringField(get: FieldGetter, name: string): string | Extracted {
  const v = get(name);
  if (v === undefined || v === null || v === '') return reject('missing-field', `missing field '${name}'`);
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return reject('wrong-type', `field '${name}' must be a string or a number`);
}

function reject(code: RejectCode, reason: string): Extracted {
  return { ok: false, code, reason };
}

function lookupPath(obj: Record<string, unknown>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, path)) return obj[path];
  if (!path.includes('.')) return undefined;
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * One CSV line (RFC 4180 quoting: "a ""quoted"" cell"). Returns null on an unterminated quote or
 * text after a closing quote.
 */
export function parseCsvLine(line: string, delimiter = ','): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        const ch = line[i]!;
        if (ch === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += ch;
        i++;
      }
      out.push(cell);
      if (i === line.length) return out;
      if (line[i] !== delimiter) return null;
      i++;
    } else {
      const next = line.indexOf(delimiter, i);
      if (next < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, next));
      i = next + 1;
    }
  }
}

/** Quotes a CSV cell when it needs it. */
export function csvCell(v: string, delimiter = ','): string {
  return v.includes(delimiter) || v.includes('"') || v.includes('\n') || v.includes('\r') ? `"${v.replace(/"/g, '""')}"` : v;
}

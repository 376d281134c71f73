// java.util.Properties text format, as Kafka reads server.properties:
//
//   # comment            ! also a comment (only when first non-blank character)
//   key=value            key: value            key value      (first unescaped = : or blank ends the key)
//   long.value=a,\       a line ending in an odd number of backslashes continues; the next
//       b                line's leading blanks are dropped
//   key\ with\ space=x   escapes: \t \n \r \f \uXXXX, and \<c> means c (\\ \= \: \# \! \ )
//
// Differences from Java: the input is read as UTF-8 rather than ISO-8859-1, and a malformed
// \u escape throws a ConfigError (Java throws IllegalArgumentException) naming the line.
import { ConfigError } from './errors.js';

export interface PropertyLine {
  key: string;
  value: string;
  /** 1-based line where the logical line starts (for error messages). */
  line: number;
}

const BLANK = new Set([' ', '\t', '\f']);

/** Parse properties text into ordered entries (duplicates kept; callers let the last one win). */
export function parsePropertiesEntries(text: string, origin = 'properties'): PropertyLine[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const out: PropertyLine[] = [];
  let i = 0;
  while (i < physical.length) {
    const startLine = i + 1;
    let line = stripLeading(physical[i++]!);
    if (line === '' || line[0] === '#' || line[0] === '!') continue; // comments never continue
    // Join continuation lines: an odd count of trailing backslashes escapes the line break.
    while (endsWithOddBackslashes(line) && i <= physical.length) {
      line = line.slice(0, -1);
      if (i === physical.length) break; // a trailing backslash at EOF is simply dropped
      line += stripLeading(physical[i++]!);
    }
    out.push({ ...splitKeyValue(line, origin, startLine), line: startLine });
  }
  return out;
}

/** Parse properties text into a key → value map; the last occurrence of a key wins. */
export function parseProperties(text: string, origin = 'properties'): Map<string, string> {
  const map = new Map<string, string>();
  for (const { key, value } of parsePropertiesEntries(text, origin)) map.set(key, value);
  return map;
}

function stripLeading(s: string): string {
  let j = 0;
  while (j < s.length && BLANK.has(s[j]!)) j++;
  return s.slice(j);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string, origin: string, lineNo: number): { key: string; value: string } {
  // Find the end of the key: the first unescaped '=', ':' or blank.
  let j = 0;
  let sepFound = false;
  while (j < line.length) {
    const c = line[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '=' || c === ':') {
      sepFound = true;
      break;
    }
    if (BLANK.has(c)) break;
    j++;
  }
  const rawKey = line.slice(0, Math.min(j, line.length));
  let k = j;
  if (!sepFound) {
    // Blanks, then optionally one '=' or ':', then blanks.
    while (k < line.length && BLANK.has(line[k]!)) k++;
    if (k < line.length && (line[k] === '=' || line[k] === ':')) k++;
  } else {
    k++;
  }
  while (k < line.length && BLANK.has(line[k]!)) k++;
  return {
    key: unescape(rawKey, origin, lineNo),
    value: unescape(line.slice(k), origin, lineNo),
  };
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(s: string, origin: string, lineNo: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++j];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = s.slice(j + 1, j + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError(`Malformed \\uxxxx escape in ${origin} at line ${lineNo}: \\u${hex}`);
      }
      out += String.fromCharCode(parseInt(hex, 16));
      j += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}

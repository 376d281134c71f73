// String <-> typed value conversion with Kafka's ConfigDef.parseType rules: values are trimmed,
// booleans are case-insensitive, lists split on commas with surrounding whitespace, numbers must
// be plain decimal integers of the right width. Kafka's longs are 64-bit; here they are JS
// numbers, so magnitudes beyond 2^53 (in practice only Long.MAX_VALUE, meaning "never") clamp to
// LONG_MAX and print back as Long.MAX_VALUE.
import { type ConfigDef, type ConfigTypeName, LONG_MAX, LONG_MAX_STRING } from './config-def.js';
import { ConfigError } from './errors.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;
const LIMITS: Record<'int' | 'short', [number, number]> = {
  int: [-2147483648, 2147483647],
  short: [-32768, 32767],
};
const LONG_MIN_BIG = -(2n ** 63n);
const LONG_MAX_BIG = 2n ** 63n - 1n;

/** Parse `raw` for `key` per `def.type`; throws ConfigError naming the key on a bad value. */
export function parseValue(key: string, def: ConfigDef, raw: string): unknown {
  const text = raw.trim();
  switch (def.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw ConfigError.invalid(key, raw, 'Expected value to be either true or false');
    }
    case 'int':
    case 'short': {
      const [lo, hi] = LIMITS[def.type];
      const n = INTEGER.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(n) || n < lo || n > hi) throw notANumber(key, raw, def.type);
      return n === 0 ? 0 : n; // normalise -0
    }
    case 'long': {
      if (!INTEGER.test(text)) throw notANumber(key, raw, 'long');
      const big = BigInt(text);
      if (big < LONG_MIN_BIG || big > LONG_MAX_BIG) throw notANumber(key, raw, 'long');
      if (big > BigInt(LONG_MAX)) return LONG_MAX;
      if (big < -BigInt(LONG_MAX)) return -LONG_MAX;
      return Number(big);
    }
    case 'double': {
      if (!DECIMAL.test(text)) throw notANumber(key, raw, 'double');
      const n = Number(text.replace(/[dDfF]$/, ''));
      if (!Number.isFinite(n)) throw notANumber(key, raw, 'double');
      return n;
    }
    case 'list':
      return text === '' ? [] : text.split(/\s*,\s*/);
    case 'string':
    case 'class':
    case 'password':
      return text;
  }
}

function notANumber(key: string, raw: string, type: ConfigTypeName): ConfigError {
  return ConfigError.invalid(key, raw, `Not a number of type ${type.toUpperCase()}`);
}

/** Parse and validate; the validator sees the typed value. */
export function parseAndValidate(key: string, def: ConfigDef, raw: string): unknown {
  const value = parseValue(key, def, raw);
  const problem = def.validator?.(value) ?? null;
  if (problem !== null) throw ConfigError.invalid(key, raw, problem);
  return value;
}

/** Kafka's ConfigDef.convertToString: how a typed value is shown in DescribeConfigs and --help. */
export function formatValue(type: ConfigTypeName, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'list':
      return (value as readonly string[]).join(',');
    case 'long':
      if (value === LONG_MAX) return LONG_MAX_STRING;
      if (value === -LONG_MAX) return '-9223372036854775808';
      return String(value);
    case 'double': {
      // Java prints doubles with a fractional part (0.5, 1.0); match it for DescribeConfigs.
      const n = value as number;
      return Number.isInteger(n) ? n.toFixed(1) : String(n);
    }
    default:
      return String(value);
  }
}

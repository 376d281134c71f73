// The broker's logger: the project's small `Logger` interface (call sites never see pino),
// implemented on pino. One JSON object per line on stderr
//   {"level":"info","ts":"2026-01-01T00:00:00.000Z","listener":"PLAINTEXT","port":9092,"msg":"listening"}
// or, in text format (the default when stderr is a TTY), one readable line from pino-pretty
//   [12:00:00.000] INFO: listening {"listener":"PLAINTEXT","port":9092}
// pino-pretty is loaded only for text, and used in-process as a formatter (no worker thread), so
// a JSON broker starts no slower and every line is written synchronously (nothing is lost or
// repeated at shutdown).
//
// NEVER log record keys, values or headers: they are user data and may be secrets. Log sizes,
// offsets, topic/partition names and error messages instead. As a safety net, Buffer and typed
// array fields are written as "<N bytes>", never their contents.
//
// Level: opts.level, else env TRIBUTARY_LOG_LEVEL, else 'info'. 'silent' logs nothing (tests).
// Format (tributary.log.format / TRIBUTARY_LOG_FORMAT): text | json | auto ('pretty' = text).
import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogLevelSetting = LogLevel | 'silent';
export type LogFormat = 'json' | 'text' | 'pretty' | 'auto';
export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevelSetting;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. { connection: 7 }). */
  child(fields: LogFields): Logger;
  /** Cheap check before building expensive fields. */
  isLevelEnabled(level: LogLevel): boolean;
}

export interface LogSink {
  write(line: string): unknown;
  isTTY?: boolean;
}

export interface CreateLoggerOptions {
  level?: LogLevelSetting | string;
  format?: LogFormat;
  /** Default process.stderr. */
  stream?: LogSink;
  /** Fields on every line. */
  fields?: LogFields;
  /** Default process.env (reads TRIBUTARY_LOG_LEVEL / TRIBUTARY_LOG_FORMAT). */
  env?: NodeJS.ProcessEnv;
  /** Injectable clock for tests. */
  now?: () => Date;
}

const RANK: Record<LogLevelSetting, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const RESERVED = new Set(['ts', 'level', 'msg']);

export function isLogLevel(s: string): s is LogLevelSetting {
  return Object.hasOwn(RANK, s);
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const requested = (opts.level ?? env.TRIBUTARY_LOG_LEVEL ?? 'info').toLowerCase();
  const level: LogLevelSetting = isLogLevel(requested) ? requested : 'info';
  const stream = opts.stream ?? process.stderr;
  const formatSetting = opts.format ?? (env.TRIBUTARY_LOG_FORMAT as LogFormat | undefined) ?? 'auto';
  const text = formatSetting === 'text' || formatSetting === 'pretty' || (formatSetting === 'auto' && stream.isTTY === true);
  const color = text && stream.isTTY === true && !env.NO_COLOR;
  const now = opts.now ?? (() => new Date());
  const format = text ? textFormatter(color) : (line: string) => line;
  const destination = {
    write(line: string): void {
      try {
        stream.write(format(line));
      } catch {
        // A closed stderr must never take the broker down.
      }
    },
  };
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      // Fields arrive already serialized (toJsonable); pino's err serializer would re-wrap them.
      serializers: { err: (e: unknown) => e },
      timestamp: () => `,"ts":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const logger = new PinoBackedLogger(level, root, toFields(opts.fields ?? {}));
  if (requested !== level) logger.warn('unknown log level, using info', { requested });
  return logger;
}

/** pino-pretty's formatter, required on first use so JSON logging never loads it. */
function textFormatter(colorize: boolean): (line: string) => string {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const pretty = prettyFactory({ colorize, singleLine: true, messageKey: 'msg', timestampKey: 'ts', translateTime: 'UTC:HH:MM:ss.l' });
  return (line) => pretty(line);
}

/** Fields made JSON-safe; the names pino writes itself (ts, level, msg) are renamed field.<name>. */
function toFields(src: LogFields | undefined, into: LogFields = {}): LogFields {
  if (!src) return into;
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    into[RESERVED.has(k) ? `field.${k}` : k] = toJsonable(v);
  }
  return into;
}

class PinoBackedLogger implements Logger {
  constructor(
    readonly level: LogLevelSetting,
    private readonly pino: PinoLogger,
    /** Already JSON-safe. Merged here rather than pino child bindings so a call field replaces a bound one instead of repeating the key. */
    private readonly bound: LogFields,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new PinoBackedLogger(this.level, this.pino, toFields(fields, { ...this.bound }));
  }

  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (RANK[level] < RANK[this.level]) return;
    try {
      this.pino[level](toFields(fields, { ...this.bound }), msg);
    } catch {
      this.pino[level]({ logError: 'fields not serializable' }, msg);
    }
  }
}

// Defined after PinoBackedLogger: a module-level instance needs the class initialised.
/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: 'silent', stream: { write: () => true }, env: {} });

/** A logger that keeps parsed lines in memory, for tests that assert on logging. */
export function createCapturingLogger(level: LogLevelSetting = 'debug'): { logger: Logger; lines: LogFields[] } {
  const lines: LogFields[] = [];
  const logger = createLogger({
    level,
    format: 'json',
    env: {},
    stream: { write: (line: string) => lines.push(JSON.parse(line) as LogFields) },
  });
  return { logger, lines };
}

/** Make a field value safe for JSON: errors as objects, bytes as sizes, bigints as strings. */
function toJsonable(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) {
    const out: LogFields = { name: v.name, message: v.message };
    const code = (v as NodeJS.ErrnoException).code;
    if (code !== undefined) out.code = code;
    if (v.stack !== undefined) out.stack = v.stack;
    return out;
  }
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `<${(v as ArrayBufferView).byteLength} bytes>`;
  if (v instanceof ArrayBuffer) return `<${v.byteLength} bytes>`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'function' || typeof v === 'symbol') return String(v);
  if (depth >= 4) return '[…]';
  if (Array.isArray(v)) return v.map((x) => toJsonable(x, depth + 1));
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJsonable(x, depth + 1)]));
  if (v instanceof Set) return [...v].map((x) => toJsonable(x, depth + 1));
  if (typeof v === 'object') {
    const out: LogFields = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonable(x, depth + 1);
    return out;
  }
  return String(v);
}

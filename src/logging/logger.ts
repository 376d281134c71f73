// A small structured logger: one JSON object per line on stderr
//   {"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"listening","listener":"PLAINTEXT","port":9092}
// or, when stderr is a TTY (format 'auto'), a human-readable line
//   12:00:00.000 INFO  listening listener=PLAINTEXT port=9092
//
// NEVER log record keys, values or headers: they are user data and may be secrets. Log sizes,
// offsets, topic/partition names and error messages instead. As a safety net, Buffer and typed
// array fields are written as "<N bytes>", never their contents.
//
// Level: opts.level, else env TRIBUTARY_LOG_LEVEL, else 'info'. 'silent' logs nothing (tests).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogLevelSetting = LogLevel | 'silent';
export type LogFormat = 'json' | 'pretty' | 'auto';
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
  const pretty = formatSetting === 'pretty' || (formatSetting === 'auto' && stream.isTTY === true);
  const color = pretty && stream.isTTY === true && !env.NO_COLOR;
  const now = opts.now ?? (() => new Date());
  const logger = new LineLogger(level, { stream, pretty, color, now }, opts.fields ?? {});
  if (requested !== level) logger.warn('unknown log level, using info', { requested });
  return logger;
}

interface Output {
  stream: LogSink;
  pretty: boolean;
  color: boolean;
  now: () => Date;
}

class LineLogger implements Logger {
  constructor(
    readonly level: LogLevelSetting,
    private readonly out: Output,
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
    return new LineLogger(this.level, this.out, { ...this.bound, ...fields });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (RANK[level] < RANK[this.level]) return;
    const record: LogFields = { ts: this.out.now().toISOString(), level, msg };
    for (const src of [this.bound, fields]) {
      if (!src) continue;
      for (const [k, v] of Object.entries(src)) {
        if (v === undefined) continue;
        record[RESERVED.has(k) ? `field.${k}` : k] = toJsonable(v);
      }
    }
    let line: string;
    try {
      line = this.out.pretty ? prettyLine(record, this.out.color) : JSON.stringify(record);
    } catch {
      line = JSON.stringify({ ts: record.ts, level, msg, logError: 'fields not serializable' });
    }
    try {
      this.out.stream.write(line + '\n');
    } catch {
      // A closed stderr must never take the broker down.
    }
  }
}

// Defined after LineLogger: a module-level instance needs the class initialised.
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

const COLORS: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

function prettyLine(record: LogFields, color: boolean): string {
  const { ts, level, msg, ...rest } = record;
  const time = (ts as string).slice(11, 23);
  const lvl = (level as string).toUpperCase().padEnd(5);
  const head = color ? `${COLORS[level as string]}${lvl}\x1b[0m` : lvl;
  let line = `${time} ${head} ${msg as string}`;
  let stack: string | undefined;
  for (const [k, v] of Object.entries(rest)) {
    if (v !== null && typeof v === 'object' && 'stack' in v && typeof v.stack === 'string') {
      stack = v.stack;
      line += ` ${k}=${JSON.stringify((v as { message?: unknown }).message)}`;
      continue;
    }
    line += ` ${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
  }
  return stack ? `${line}\n${stack}` : line;
}

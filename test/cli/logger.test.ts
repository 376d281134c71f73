// Tests for src/logging/logger.ts (kept under test/cli/ because test/logging/ is not assigned).
import { describe, expect, it } from 'vitest';
import { createCapturingLogger, createLogger, silentLogger, type LogSink } from '../../src/logging/logger.js';

function sink(isTTY = false): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTTY, write: (l: string) => lines.push(l) };
}
const fixed = () => new Date('2026-01-02T03:04:05.678Z');

describe('createLogger', () => {
  it('writes one JSON object per line with level, ts, fields and msg (pino)', () => {
    const out = sink();
    createLogger({ stream: out, env: {}, now: fixed }).info('listening', { port: 9092, host: '127.0.0.1' });
    expect(out.lines).toEqual(['{"level":"info","ts":"2026-01-02T03:04:05.678Z","port":9092,"host":"127.0.0.1","msg":"listening"}\n']);
  });

  it('filters by level, from options or TRIBUTARY_LOG_LEVEL', () => {
    const out = sink();
    const log = createLogger({ stream: out, env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(out.lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
    expect(log.isLevelEnabled('info')).toBe(false);
    const out2 = sink();
    createLogger({ stream: out2, level: 'debug', env: { TRIBUTARY_LOG_LEVEL: 'error' } }).debug('d');
    expect(out2.lines).toHaveLength(1);
  });

  it('an unknown level falls back to info and says so', () => {
    const out = sink();
    const log = createLogger({ stream: out, level: 'loud', env: {} });
    expect(log.level).toBe('info');
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 'warn', requested: 'loud' });
  });

  it('child loggers add fields; call fields win; reserved names are not overwritten', () => {
    const { logger, lines } = createCapturingLogger();
    const child = logger.child({ connection: 7, topic: 'a' }).child({ partition: 0 });
    child.info('x', { topic: 'b', msg: 'sneaky', level: 'nope' });
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'x', connection: 7, partition: 0, topic: 'b', 'field.msg': 'sneaky', 'field.level': 'nope' });
  });

  it('serializes errors, bigints and never the contents of buffers', () => {
    const { logger, lines } = createCapturingLogger();
    const err = Object.assign(new Error('boom'), { code: 'EIO' });
    logger.error('failed', { error: err, offset: 5n, key: Buffer.from('secret'), nested: { value: new Uint8Array(3) } });
    const line = lines[0]!;
    expect(line.error).toMatchObject({ name: 'Error', message: 'boom', code: 'EIO' });
    expect(line.offset).toBe('5');
    expect(line.key).toBe('<6 bytes>');
    expect(line.nested).toEqual({ value: '<3 bytes>' });
    expect(JSON.stringify(line)).not.toContain('secret');
  });

  it('text format is one human-readable line (pretty is its old name)', () => {
    for (const format of ['text', 'pretty'] as const) {
      const out = sink();
      createLogger({ stream: out, format, env: {}, now: fixed }).warn('slow disk', { dir: '/data', ms: 12 });
      expect(out.lines).toEqual(['[03:04:05.678] WARN: slow disk {"dir":"/data","ms":12}\n']);
    }
  });

  it('auto format is text on a TTY and JSON otherwise', () => {
    const tty = sink(true);
    createLogger({ stream: tty, env: { NO_COLOR: '1' }, now: fixed }).info('hi');
    expect(tty.lines[0]).toBe('[03:04:05.678] INFO: hi\n');
    const pipe = sink(false);
    createLogger({ stream: pipe, env: {}, now: fixed }).info('hi');
    expect(JSON.parse(pipe.lines[0]!).msg).toBe('hi');
  });

  it('silent loggers write nothing and survive a throwing stream', () => {
    const out = sink();
    const log = createLogger({ stream: out, level: 'silent', env: {} });
    log.error('x');
    log.child({ a: 1 }).error('y');
    silentLogger.error('z');
    expect(out.lines).toEqual([]);
    const broken = createLogger({ stream: { write: () => { throw new Error('EPIPE'); } }, env: {} });
    expect(() => broken.info('still fine')).not.toThrow();
  });
});

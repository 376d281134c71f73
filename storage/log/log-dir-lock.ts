// Exclusive ownership of a log dir, Kafka's `FileLock` on `<logDir>/.lock`: two brokers writing
// the same partition files at the same offsets silently lose acknowledged data, so a broker takes
// the lock of every log dir before it reads or writes anything there, and refuses to start when
// another broker (another process, or another broker in this process) holds one.
//
// Why not flock(2): Node has no flock and we take no native dependency. A pid file alone is
// fragile (pid reuse after a crash, races between two starters judging a lock stale). Instead the
// lock is an OS object with flock's lifetime rules: a Unix socket bound in Linux's *abstract*
// namespace under a name derived from the dir's device and inode. The kernel lets only one socket
// hold a name, refuses a second bind in any process (this one included) with EADDRINUSE, and frees
// the name when the holder closes it or dies in any way (kill -9 included), so a crash never
// leaves a stale lock behind. `.lock` itself records the holder (pid, host, start time) so that
// a refused broker can say who has the dir; it is written only by the holder, after locking.
//
// Limits (documented in storage/README.md): abstract socket names are per network namespace, so
// two containers with separate network namespaces sharing one volume are not kept apart; the
// lock is Linux-only (elsewhere only the in-process registry applies).
import net from 'node:net';
import os from 'node:os';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const LOCK_FILE = '.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
}

export class LogDirLockedError extends Error {
  readonly code = 'LOG_DIR_LOCKED';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
    sameProcess: boolean,
  ) {
    const who = sameProcess
      ? `another broker in this process (pid ${process.pid})`
      : holder
        ? `another broker (pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt})`
        : 'another broker (holder unknown: its .lock file is empty or unreadable)';
    super(`log dir ${dir} is locked by ${who}; two brokers must never share a log dir (log.dirs)`);
  }
}

/** Dirs locked by this process, by dev:ino (the same dir reached through another path counts). */
const lockedHere = new Map<string, string>();

export class LogDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly key: string,
    private readonly socket: net.Server | null,
  ) {}

  /** Locks `dir` (created if missing) or throws LogDirLockedError. */
  static async acquire(dir: string): Promise<LogDirLock> {
    const abs = resolve(dir);
    await mkdir(abs, { recursive: true });
    const st = await stat(abs);
    const key = `${st.dev}:${st.ino}`;
    if (lockedHere.has(key)) throw new LogDirLockedError(abs, await readHolder(abs), true);
    lockedHere.set(key, abs);
    let socket: net.Server | null = null;
    try {
      if (process.platform === 'linux') socket = await bindAbstract(`\0tributary-log-dir/${key}`);
    } catch (e) {
      lockedHere.delete(key);
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new LogDirLockedError(abs, await readHolder(abs), false);
      throw e;
    }
    const lock = new LogDirLock(abs, key, socket);
    // Informational only (the socket is the lock): a full disk must not stop a broker from owning
    // its dir, so a failed write leaves the lock held and the file as it was.
    const holder: LockHolder = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
    await writeFile(join(abs, LOCK_FILE), `pid=${holder.pid}\nhostname=${holder.hostname}\nstarted=${holder.startedAt}\n`).catch(() => {});
    return lock;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.socket) await new Promise<void>((r) => this.socket!.close(() => r()));
    lockedHere.delete(this.key);
  }
}

/** Locks every dir, or none: on a refusal the locks already taken are released. */
export async function lockLogDirs(dirs: readonly string[]): Promise<LogDirLock[]> {
  const locks: LogDirLock[] = [];
  try {
    for (const d of dirs) locks.push(await LogDirLock.acquire(d));
    return locks;
  } catch (e) {
    await Promise.all(locks.map((l) => l.release()));
    throw e;
  }
}

function bindAbstract(name: string): Promise<net.Server> {
  return new Promise((res, rej) => {
    const server = net.createServer((s) => s.destroy());
    server.once('error', rej);
    server.listen(name, () => {
      server.off('error', rej);
      server.unref(); // the lock must not keep the process alive
      res(server);
    });
  });
}

async function readHolder(dir: string): Promise<LockHolder | null> {
  let text: string;
  try {
    text = await readFile(join(dir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const get = (k: string) => text.match(new RegExp(`^${k}=(.*)$`, 'm'))?.[1]?.trim();
  const pid = Number(get('pid'));
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const hostname = get('hostname') ?? '?';
  // The holder could not rewrite .lock (a full disk): an earlier, dead holder must not be named.
  if (hostname === os.hostname() && !isAlive(pid)) return null;
  return { pid, hostname, startedAt: get('started') ?? '?' };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

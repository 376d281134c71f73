// `npx tributary` and `npm start` run the broker as npm -> `sh -c` -> node. A signal sent to npm
// alone (kill <pid>, a process manager, a test harness) reaches at most that shell: the shell
// dies without passing it on, or npm dies without telling the shell. Either way the broker would
// keep running, orphaned, holding its port. So when npm launched us, losing our parent, or (when
// the parent is npm's shell) our parent losing its parent npm, is treated as a SIGTERM.
//
// Only under npm: a broker started with `nohup tributary &` must outlive the shell it came from.
import fs from 'node:fs';

/** Name handed to the signal handler when the parent exited. */
export const PARENT_EXITED = 'parent exited';

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox']);

/** True when npm (npx, npm start, npm run) started this process. */
export function launchedByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/** Parent pid of `pid` from /proc (Linux); null where /proc is not available. */
function parentOf(pid: number): number | null {
  try {
    // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function isShell(pid: number): boolean {
  try {
    return SHELLS.has(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
  } catch {
    return false;
  }
}

// Taken when this module loads, at process start: the watch itself begins only after the broker
// is ready, and npm may already be gone by then (a harness kills it as soon as it reads the ready
// line). Reading the parent at that point would name the process we were re-parented to, and the
// exit would never be seen.
const STARTUP_PARENT = process.ppid;
const STARTUP_GRANDPARENT = isShell(STARTUP_PARENT) ? parentOf(STARTUP_PARENT) : null;

/**
 * Calls `onExit` once when the parent we started under exits, or when that parent is a shell and
 * the shell's parent (npm) exits; returns a stop function. An exit before the call counts too.
 */
export function watchParent(onExit: () => void, intervalMs = 200): () => void {
  const parent = STARTUP_PARENT;
  const grandparent = STARTUP_GRANDPARENT;
  const timer = setInterval(() => {
    // Children are re-parented as soon as their parent exits (before it is reaped), so a changed
    // ppid is proof of exit even while the old parent is a zombie.
    const gone = process.ppid !== parent || (grandparent !== null && parentOf(parent) !== grandparent);
    if (!gone) return;
    clearInterval(timer);
    onExit();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

// `npx tributary` and `npm start` run the broker as npm -> `sh -c` -> node. A signal sent to npm
// alone (kill <pid>, a process manager, a test harness) reaches at most that shell, which dies
// without passing it on: the broker would keep running, orphaned, holding its port. So when npm
// launched us, losing our parent process is treated as a SIGTERM.
//
// Only under npm: a broker started with `nohup tributary &` must outlive the shell it came from.

/** Name handed to the signal handler when the parent exited. */
export const PARENT_EXITED = 'parent exited';

/** True when npm (npx, npm start, npm run) started this process. */
export function launchedByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/** Calls `onExit` once when process.ppid changes (the parent died); returns a stop function. */
export function watchParent(onExit: () => void, intervalMs = 200): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

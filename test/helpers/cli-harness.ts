// In-process CLI runs (`runCli`) with captured output and fake signals: what the CLI tests share.
// `signal(name)` calls every handler the CLI subscribed, as SIGINT/SIGTERM would.
import type { CliDeps } from '../../src/cli/main.js';

export interface CliHarnessOptions {
  helpText?: CliDeps['helpText'];
  startBroker?: CliDeps['startBroker'];
  env?: NodeJS.ProcessEnv;
  /** Throw from forceExit instead of recording the code (for runs that must never force an exit). */
  throwOnForceExit?: boolean;
}

export function cliHarness(options: CliHarnessOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const log: string[] = [];
  const exits: number[] = [];
  const handlers = new Set<(s: string) => void>();
  const deps: CliDeps = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: options.env ?? {},
    onSignal: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    forceExit: (code) => {
      if (options.throwOnForceExit) throw new Error(`forceExit(${code})`);
      exits.push(code);
    },
    helpText: options.helpText ?? (() => 'HELP\n'),
    startBroker: options.startBroker,
    logStream: { write: (l: string) => log.push(l) },
  };
  const signal = (s: string) => [...handlers].forEach((h) => h(s));
  const messages = () => log.map((l) => JSON.parse(l) as { msg: string; level: string });
  return { deps, out, err, log, exits, handlers, signal, messages };
}

// `tributary console --bootstrap host:port [--port 8080] [--host 127.0.0.1]`: the web console for
// any Kafka-compatible cluster, until SIGINT/SIGTERM. `tributary start --console[=PORT]` runs the
// same server beside the broker (see ../start.ts).
import { bootstrapList, parseFlags } from '../cli-args.js';
import { clientSecurityFromFlags, SECURITY_BOOLEANS, SECURITY_HELP, SECURITY_VALUES } from '../client-security.js';
import { commandHelpText } from '../help.js';
import type { CliDeps } from '../main.js';
import { startConsole } from './console-server.js';

export const CONSOLE_USAGE = 'console [--bootstrap host:port] [--port 8080] [--host 127.0.0.1]';

export function consoleHelp(): string {
  return commandHelpText({
    usage: CONSOLE_USAGE,
    description:
      'A web console for any Kafka-compatible cluster: brokers, topics with offsets, sizes and configs, a message browser, producing a record, creating and deleting topics, consumer groups with lag and offset reset. Open the printed URL in a browser. `tributary start --console[=PORT]` runs it beside the broker.',
    options: [
      ['--bootstrap host:port', 'The cluster, comma-separated (also --bootstrap-server; env TRIBUTARY_BOOTSTRAP_SERVER; default 127.0.0.1:9092)'],
      ['--port N', 'HTTP port (default 8080; 0 picks a free one)'],
      ['--host ADDR', 'Address to listen on (default 127.0.0.1: only this machine). The console has no login: expose it only behind your own access control'],
      ...SECURITY_HELP,
    ],
    notes: ['Exit codes: 0 stopped by a signal, 1 the port could not be bound, 2 usage.'],
  });
}

export function parsePort(v: string | undefined, dflt: number): number | null {
  if (v === undefined) return dflt;
  const n = Number(v);
  return /^\d+$/.test(v) && n <= 65535 ? n : null;
}

export async function runConsoleCommand(args: readonly string[], deps: CliDeps): Promise<number> {
  const parsed = parseFlags(args, { values: ['bootstrap', 'bootstrap-server', 'port', 'host', ...SECURITY_VALUES], booleans: [...SECURITY_BOOLEANS] });
  const usage = (msg: string) => {
    deps.stderr(`tributary console: ${msg}\nUsage: tributary ${CONSOLE_USAGE}\n`);
    return 2;
  };
  if ('error' in parsed) return usage(parsed.error);
  if (parsed.positional.length > 0) return usage(`unexpected argument ${parsed.positional[0]}`);
  const port = parsePort(parsed.flags.get('port'), 8080);
  if (port === null) return usage('--port must be an integer from 0 to 65535');
  const bootstrap = bootstrapList(parsed.flags.get('bootstrap') ?? parsed.flags.get('bootstrap-server'), deps.env).join(',');
  let security;
  try {
    security = clientSecurityFromFlags(parsed, deps.env);
  } catch (e) {
    return usage((e as Error).message);
  }
  let server;
  try {
    server = await startConsole({ bootstrap, port, host: parsed.flags.get('host') ?? '127.0.0.1', security });
  } catch (e) {
    deps.stderr(`tributary console: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const unsubscribe = deps.onSignal(() => {
      unsubscribe();
      void server.close().then(() => resolve(0));
    });
    // The URL only once the handler is in place: a harness that sends SIGTERM as soon as it reads
    // the line must find it there, not SIGTERM's default action (as `start` once did).
    deps.stdout(`Tributary console for ${bootstrap}: ${server.url}\n`);
  });
}

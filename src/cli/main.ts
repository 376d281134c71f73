// The `tributary` command line. A small command table so more subcommands (topics, tier status,
// aggregations, ...) slot in as one entry each; bare `tributary` and `tributary <file>` mean start.
//
// Exit codes: 0 ok, 1 bad configuration or runtime failure, 2 usage error.
import fs from 'node:fs';
import { configReferenceText, usageText, type CommandSummary } from './help.js';
import { runStart, type StartBroker } from './start.js';
import { runTierCommand } from '../tier/tier-cli.js';
import { version } from '../version.js';
import { AGGREGATIONS_USAGE, runAggregationsCommand } from './aggregations.js';
import { CONTRIBUTE_USAGE, runContributeCommand } from './contribute.js';
import { CONFIGS_USAGE, runConfigsCommand } from './configs.js';
import type { LogSink } from '../logging/logger.js';

/** Everything the CLI touches outside itself, injectable for tests. */
export interface CliDeps {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Subscribe to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: string) => void): () => void;
  /** Exit immediately (second signal, shutdown timeout). */
  forceExit(code: number): void;
  helpText(): string;
  /** Defaults to a dynamic import of src/broker.ts. */
  startBroker?: StartBroker;
  /** Where the broker log goes; default stderr. */
  logStream?: LogSink;
}

interface Command extends CommandSummary {
  run(args: readonly string[], deps: CliDeps): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  {
    name: 'start',
    usage: 'start [server.properties] [--override key=value ...] [--generate-tls]',
    summary: 'Run the broker until SIGINT/SIGTERM (the default command)',
    run: runStart,
  },
  {
    name: 'tier',
    usage: 'tier status [server.properties] [--override key=value ...] [--json]',
    summary: 'Tiered storage status per partition (copied offsets, remote size, lag, last error)',
    run: runTierCommand,
  },
  {
    name: 'aggregations',
    usage: AGGREGATIONS_USAGE,
    summary: 'Manage the aggregation stage of a running broker (definitions, status, pause/resume/delete)',
    run: runAggregationsCommand,
  },
  {
    name: 'contribute',
    usage: CONTRIBUTE_USAGE,
    summary: "Publish a partner's monthly spend contributions and compare them with the global figures",
    run: runContributeCommand,
  },
  {
    name: 'configs',
    usage: CONFIGS_USAGE,
    summary: 'SCRAM users of a running broker, with kafka-configs.sh flags (--alter/--describe --entity-type users)',
    run: runConfigsCommand,
  },
  {
    name: 'help',
    usage: 'help',
    summary: 'Show this help',
    run: async (_args, deps) => {
      deps.stdout(deps.helpText());
      return 0;
    },
  },
  {
    name: 'version',
    usage: 'version',
    summary: 'Print the version',
    run: async (_args, deps) => {
      deps.stdout(`tributary ${version()}\n`);
      return 0;
    },
  },
];

export function helpText(): string {
  return `${usageText(COMMANDS)}\n${configReferenceText()}`;
}

export { version } from '../version.js';

/** Run the CLI and return its exit code (start returns after a graceful shutdown). */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return runStart([], deps);
  if (first === '--help' || first === '-h') return COMMANDS.find((c) => c.name === 'help')!.run(rest, deps);
  if (first === '--version' || first === '-V' || first === '-v') return COMMANDS.find((c) => c.name === 'version')!.run(rest, deps);
  const command = COMMANDS.find((c) => c.name === first);
  if (command) return command.run(rest, deps);
  // Kafka habit: `kafka-server-start.sh config/server.properties --override ...`.
  if (first.startsWith('-') || looksLikeFile(first)) return runStart(argv, deps);
  deps.stderr(`tributary: unknown command '${first}'\nRun 'tributary --help' for usage.\n`);
  return 2;
}

function looksLikeFile(arg: string): boolean {
  return arg.includes('/') || arg.includes('.') || fs.existsSync(arg);
}

function processDeps(): CliDeps {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    forceExit: (code) => process.exit(code),
    helpText,
  };
}

/** Entry point used by bin/tributary.js. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, processDeps());
  process.exitCode = code;
  // Exit explicitly once stdout has drained: after a graceful broker shutdown, stray timers or
  // sockets must not keep the process alive, and long --help output must not be cut short.
  process.stdout.write('', () => process.exit(code));
}

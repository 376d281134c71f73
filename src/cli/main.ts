// The `tributary` command line. A small command table so more subcommands (topics, tier status,
// aggregations, ...) slot in as one entry each; bare `tributary` and `tributary <file>` mean start.
//
// Exit codes: 0 ok, 1 bad configuration or runtime failure, 2 usage error.
import fs from 'node:fs';
import { commandHelpText, configReferenceText, usageText, type CommandSummary } from './help.js';
import { runStart, type StartBroker } from './start.js';
import { runTierCommand, TIER_USAGE } from './tier-command.js';
import { SECURITY_HELP } from './client-security.js';
import { version } from '../version.js';
import { AGGREGATIONS_USAGE, runAggregationsCommand } from './aggregations.js';
import { CONTRIBUTE_USAGE, runContributeCommand } from './contribute.js';
import { CONFIGS_USAGE, runConfigsCommand } from './configs.js';
import { LOG_USAGE, runLogCommand } from './log-command.js';
import type { LogSink } from '../logging/logger.js';
import { closestKey } from '../config/did-you-mean.js';
import { PARENT_EXITED, launchedByNpm, watchParent } from './parent-watch.js';
import { TOPIC_USAGE, runTopicCommand, topicHelp } from './client/topic-command.js';
import { PRODUCE_USAGE, produceHelp, runProduceCommand } from './client/produce-command.js';
import { CONSUME_USAGE, consumeHelp, runConsumeCommand } from './client/consume-command.js';
import { GROUP_USAGE, groupHelp, runGroupCommand } from './client/group-command.js';
import { BENCH_USAGE, benchHelp, runBenchCommand } from './bench/bench-command.js';
import { CLUSTER_USAGE, clusterHelp, runClusterCommand } from './client/cluster-command.js';
import { CONSOLE_USAGE, consoleHelp, runConsoleCommand } from './console/console-command.js';
import { DEV_CLUSTER_USAGE, devClusterHelp, runDevClusterCommand } from './dev-cluster/dev-cluster-command.js';

/** Everything the CLI touches outside itself, injectable for tests. */
export interface CliDeps {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /**
   * Subscribe to SIGINT/SIGTERM (and, under npm, to the parent's exit, as PARENT_EXITED); returns
   * an unsubscribe function.
   */
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
  /** `tributary <name> --help`; absent = the full help (start). */
  help?(): string;
}

const BOOTSTRAP_OPTION = ['--bootstrap-server host:port', 'The broker to talk to (env TRIBUTARY_BOOTSTRAP_SERVER; default 127.0.0.1:9092)'] as const;

const COMMANDS: readonly Command[] = [
  {
    name: 'start',
    usage: 'start [server.properties] [--override key=value ...] [--generate-tls] [--console[=PORT]]',
    summary: 'Run the broker until SIGINT/SIGTERM (the default command)',
    run: runStart,
  },
  {
    name: 'dev-cluster',
    usage: DEV_CLUSTER_USAGE,
    summary: 'Run a local cluster of several brokers (default 3) until Ctrl-C; stop, kill or restart one',
    run: runDevClusterCommand,
    help: devClusterHelp,
  },
  {
    name: 'topic',
    usage: TOPIC_USAGE,
    summary: 'Create, list, describe, alter the configs of, and delete topics',
    run: runTopicCommand,
    help: topicHelp,
  },
  {
    name: 'produce',
    usage: PRODUCE_USAGE,
    summary: 'Produce records read from stdin, one per line',
    run: runProduceCommand,
    help: produceHelp,
  },
  {
    name: 'consume',
    usage: CONSUME_USAGE,
    summary: 'Print the records of a topic',
    run: runConsumeCommand,
    help: consumeHelp,
  },
  {
    name: 'group',
    usage: GROUP_USAGE,
    summary: 'List, describe (lag per partition), reset the offsets of, and delete consumer groups',
    run: runGroupCommand,
    help: groupHelp,
  },
  {
    name: 'cluster',
    usage: CLUSTER_USAGE,
    summary: 'Cluster id, controller and brokers',
    run: runClusterCommand,
    help: clusterHelp,
  },
  {
    name: 'console',
    usage: CONSOLE_USAGE,
    summary: 'Web console for any Kafka-compatible cluster: topics, messages, groups and lag',
    run: runConsoleCommand,
    help: consoleHelp,
  },
  {
    name: 'bench',
    usage: BENCH_USAGE,
    summary: 'Benchmark any Kafka-compatible cluster: throughput and latency percentiles',
    run: runBenchCommand,
    help: benchHelp,
  },
  {
    name: 'tier',
    usage: TIER_USAGE,
    summary: 'Tiered storage status per partition (copied offsets, remote size, lag, last error)',
    run: runTierCommand,
    help: () =>
      commandHelpText({
        usage: TIER_USAGE,
        description:
          'Per-partition tiered storage status: offsets copied to the object store, remote size, lag and the last error. Asks the running brokers over the Kafka protocol; --offline instead reads <first log dir>/tier-status.json, which the broker rewrites after every tiering round, so it also works while the broker is down.',
        options: [
          BOOTSTRAP_OPTION,
          ...SECURITY_HELP,
          ['--offline', 'Read the status file from the data dir instead'],
          ['server.properties', 'With --offline: the broker\'s properties file (to find log.dirs)'],
          ['--override key=value', 'With --offline: as for start; the environment is read too'],
          ['--json', 'Print the status as JSON'],
        ],
      }),
  },
  {
    name: 'log',
    usage: LOG_USAGE,
    summary: "Validate every batch (CRC-32C) of a stopped broker's log dirs; --repair cuts damaged partitions at the first bad batch",
    run: runLogCommand,
  },
  {
    name: 'aggregations',
    usage: AGGREGATIONS_USAGE,
    summary: 'Manage the aggregation stage of a running broker (definitions, status, pause/resume/delete)',
    run: runAggregationsCommand,
    help: () =>
      commandHelpText({
        usage: AGGREGATIONS_USAGE,
        description:
          "Manages the aggregation stage of a running broker over the Kafka protocol. Every change waits until the broker's status confirms it, or reports why it refused it.",
        options: [
          ['create --file def.json', 'Create a definition (or an array of them); fails if one exists'],
          ['update --file def.json', 'Compatible changes only (threshold, derived, connections, ...)'],
          ['list', 'Name, state, output topic and sources of every aggregation'],
          ['describe <name>', 'The definition (secrets masked) and its status'],
          ['status [<name>]', 'Counters, lag per source, last errors'],
          ['pause|resume|delete <name>', 'Pause, resume or delete an aggregation'],
          BOOTSTRAP_OPTION,
          ...SECURITY_HELP,
          ['--json', 'Print JSON instead of tables'],
          ['--timeout-ms N', 'How long to wait for the confirmation (default 15000)'],
        ],
        notes: ['See examples/federated-spend/ for a walk-through.'],
      }),
  },
  {
    name: 'contribute',
    usage: CONTRIBUTE_USAGE,
    summary: "Publish a partner's monthly spend contributions and compare them with the global figures",
    run: runContributeCommand,
    help: () =>
      commandHelpText({
        usage: CONTRIBUTE_USAGE,
        description:
          "Phase one of a federated aggregation, run by each partner: reads the partner's CSV locally, publishes only monthly sums and counts per category to the partner's own cluster (a rerun sends only changes), then reads the global results and prints the partner's averages beside the peer group's.",
        options: [
          ['--input tx.csv', 'The transactions CSV (required)'],
          ['--partner NAME', 'This partner\'s name (required)'],
          BOOTSTRAP_OPTION,
          ['--topic NAME', 'Where contributions go (default contributions)'],
          ['--partitions N', 'Partitions of that topic if it is created (default 1)'],
          ['--global-bootstrap host:port', 'The cluster with the global results (default: --bootstrap-server)'],
          ['--global-topic NAME', 'The global results topic (default global-spend)'],
          ['--avg-field NAME', 'Field of the global results holding the average (default avg)'],
          ['--chart out.svg|out.html', 'Also draw the comparison as a chart'],
          ['--wait-ms N', 'How long to wait for global results (default 15000; 0 with --compare-only)'],
          ['--date-column NAME', 'CSV column of the date (default date)'],
          ['--category-column NAME', 'CSV column of the category (default category)'],
          ['--amount-column NAME', 'CSV column of the amount (default amount)'],
          ['--delimiter C', "CSV delimiter (default ',')"],
          ['--publish-only', 'Publish, do not compare'],
          ['--compare-only', 'Compare with what is already published'],
          ['--no-idempotence', 'Publish without an idempotent producer'],
          ['--json', 'Print the comparison as JSON'],
        ],
        notes: ['See examples/federated-spend/ for a walk-through.'],
      }),
  },
  {
    name: 'configs',
    usage: CONFIGS_USAGE,
    summary: 'SCRAM users and client quotas of a running broker, with kafka-configs.sh flags (--alter/--describe --entity-type users|clients|ips)',
    run: runConfigsCommand,
  },
  {
    name: 'help',
    usage: 'help [command]',
    summary: 'Show this help, or the help of a command',
    run: async (args, deps) => {
      const command = COMMANDS.find((c) => c.name === args[0]);
      deps.stdout(command?.help ? command.help() : deps.helpText());
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
  if (command?.help && (rest.includes('--help') || rest.includes('-h'))) {
    deps.stdout(command.help());
    return 0;
  }
  if (command) return command.run(rest, deps);
  // Kafka habit: `kafka-server-start.sh config/server.properties --override ...`.
  if (first.startsWith('-') || looksLikeFile(first)) return runStart(argv, deps);
  const near = closestKey(first, COMMANDS.map((c) => c.name));
  deps.stderr(`tributary: unknown command '${first}'${near ? ` (did you mean '${near}'?)` : ''}\nRun 'tributary --help' for usage.\n`);
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
      const stopWatching = launchedByNpm(process.env) ? watchParent(() => handler(PARENT_EXITED)) : () => {};
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        stopWatching();
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

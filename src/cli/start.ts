// `tributary start [server.properties] [--override key=value ...] [--console[=PORT]]`: load the
// configuration, start the broker (and the web console beside it, pointed at it), and run until
// SIGINT/SIGTERM. The first signal closes the broker gracefully (bounded by
// tributary.shutdown.timeout.ms), also one received while the broker is still starting (it is
// closed as soon as it has started); a second one exits at once.
import { loadBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/errors.js';
import { createLogger, type LogFormat, type Logger } from '../logging/logger.js';
import type { CliDeps } from './main.js';
import { clientSettingsText, generateTls } from '../auth/generate-tls.js';
import { PARENT_EXITED } from './parent-watch.js';
import { closestKey } from '../config/did-you-mean.js';
import { parsePort } from './console/console-command.js';
import type { ConsoleServer } from './console/console-server.js';

/** The contract of src/broker.ts (owned by the broker lead). */
export type StartBroker = (config: BrokerConfig, logger: Logger) => Promise<{ close(): Promise<void>; port: number; bootstrap?: string }>;

/** Variable specifier so the CLI loads (for --help, bad configs) even when the broker cannot. */
const BROKER_MODULE = '../broker.js';

export interface StartArgs {
  file?: string;
  overrides: string[];
  help: boolean;
  /** --generate-tls: local CA + broker certificate, and an SSL listener if none uses TLS. */
  generateTls: boolean;
  /** --console[=PORT]: the web console beside the broker, on loopback; null = off. */
  consolePort: number | null;
}

/** Parse start's arguments; returns an error string for usage mistakes. */
export function parseStartArgs(args: readonly string[]): StartArgs | { error: string } {
  const out: StartArgs = { overrides: [], help: false, generateTls: false, consolePort: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--generate-tls') out.generateTls = true;
    else if (a === '--console') out.consolePort = 8080;
    else if (a.startsWith('--console=')) {
      const port = parsePort(a.slice('--console='.length), 8080);
      if (port === null) return { error: `--console=PORT needs a port from 0 to 65535, got '${a.slice('--console='.length)}'` };
      out.consolePort = port;
    }
    else if (a === '--override') {
      const v = args[++i];
      if (v === undefined) return { error: '--override needs a key=value argument' };
      out.overrides.push(v);
    } else if (a.startsWith('--override=')) out.overrides.push(a.slice('--override='.length));
    else if (a.startsWith('-') && a !== '-') {
      const near = closestKey(a.split('=')[0]!, ['--override', '--help', '--generate-tls', '--console']);
      return { error: `unknown option ${a}${near ? ` (did you mean ${near}?)` : ''}` };
    }
    else if (out.file === undefined) out.file = a;
    else return { error: `unexpected argument ${a} (only one properties file may be given)` };
  }
  for (const o of out.overrides) {
    if (o.indexOf('=') <= 0) return { error: `--override expects key=value, got '${o}'` };
  }
  return out;
}

export async function runStart(args: readonly string[], deps: CliDeps): Promise<number> {
  const parsed = parseStartArgs(args);
  if ('error' in parsed) {
    deps.stderr(`tributary start: ${parsed.error}\nRun 'tributary --help' for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    deps.stdout(deps.helpText());
    return 0;
  }

  const warnings: string[] = [];
  let config: BrokerConfig;
  try {
    config = loadBrokerConfig({ file: parsed.file, overrides: parsed.overrides, env: deps.env, warn: (w) => warnings.push(w) });
    if (parsed.generateTls) {
      const tlsOverrides = withGeneratedTls(config, deps);
      warnings.length = 0;
      config = loadBrokerConfig({ file: parsed.file, overrides: [...parsed.overrides, ...tlsOverrides], env: deps.env, warn: (w) => warnings.push(w) });
    }
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof TlsSetupError)) throw err;
    deps.stderr(`tributary: ${err.message}\n`);
    return 1;
  }

  const logger = createLogger({
    level: config.get('tributary.log.level'),
    format: config.get('tributary.log.format') as LogFormat,
    env: deps.env,
    stream: deps.logStream,
  });
  for (const w of warnings) logger.warn(w);

  // The signal handlers go in before anything is started, as Kafka installs its shutdown hook
  // before startup. They used to be installed only after the "ready" line was written: a harness
  // that sent SIGTERM the instant it read that line (spawn, wait for ready, stop) could land the
  // signal in between, while SIGTERM still had its default action, and the broker died by the
  // signal with no clean-shutdown marker, so the next start recovered every log (7 of 10 starts
  // with SIGTERM sent in the same tick as the line was read). A signal during the start now stops
  // the broker as soon as it has started; a second one still exits at once.
  let stopSignal: string | null = null;
  let stop: ((signal: string) => void) | null = null;
  const unsubscribe = deps.onSignal((signal) => {
    if (stopSignal !== null) {
      // Ctrl-C under npm: the shell npm started dies of the same SIGINT we are handling.
      if (signal === PARENT_EXITED) return;
      logger.warn('second signal, exiting without waiting for shutdown', { signal });
      unsubscribe();
      deps.forceExit(1);
      return;
    }
    stopSignal = signal;
    if (stop) {
      // The broker itself logs "shutting down" and "shutdown complete".
      logger.info(signal === PARENT_EXITED ? 'npm, which started the broker, exited: stopping' : `received ${signal}: stopping`, { signal });
      stop(signal);
    } else {
      logger.info(signal === PARENT_EXITED ? 'npm, which started the broker, exited: stopping once started' : `received ${signal} while starting: stopping once started`, { signal });
    }
  });

  let startBroker: StartBroker;
  try {
    startBroker = deps.startBroker ?? ((await import(BROKER_MODULE)) as { startBroker: StartBroker }).startBroker;
  } catch (err) {
    unsubscribe();
    logger.error('cannot load the broker module', { error: (err as Error).message });
    return 1;
  }

  let broker: Awaited<ReturnType<StartBroker>>;
  try {
    broker = await startBroker(config, logger);
  } catch (err) {
    unsubscribe();
    logger.error('broker failed to start', { error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
    return 1;
  }
  const bootstrap = broker.bootstrap ?? `127.0.0.1:${broker.port}`;
  // The web console talks to the broker over the Kafka protocol like any other client.
  let consoleServer: ConsoleServer | null = null;
  const configuredPort = config.get('tributary.console.port');
  const consolePort = parsed.consolePort ?? (configuredPort >= 0 ? configuredPort : null);
  if (consolePort !== null && stopSignal === null) {
    try {
      const { startConsole } = await import('./console/console-server.js');
      consoleServer = await startConsole({ bootstrap, port: consolePort, host: config.get('tributary.console.host') });
    } catch (err) {
      logger.error('web console failed to start', { error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
      await broker.close().catch(() => undefined);
      unsubscribe();
      return 1;
    }
  }

  return new Promise<number>((resolve) => {
    stop = () => {
      const timeoutMs = config.get('tributary.shutdown.timeout.ms');
      const timer = setTimeout(() => {
        logger.error('shutdown timed out, exiting', { timeoutMs });
        deps.forceExit(1);
      }, timeoutMs);
      timer.unref();
      // The console first, so it stops asking the broker while the broker shuts down.
      const closing = consoleServer ? consoleServer.close().catch(() => undefined).then(() => broker.close()) : broker.close();
      closing.then(
        () => {
          clearTimeout(timer);
          unsubscribe();
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          unsubscribe();
          logger.error('shutdown failed', { error: (err as Error).message });
          resolve(1);
        },
      );
    };
    // Stopped while starting: no "ready" for a broker that is already shutting down.
    if (stopSignal !== null) return stop(stopSignal);
    // The one line to look for: where clients connect. Written after the handlers are in place.
    logger.info('ready', { bootstrap, nodeId: config.nodeId, logDirs: config.logDirs, ...(consoleServer ? { console: consoleServer.url } : {}) });
  });
}

class TlsSetupError extends Error {}

/**
 * --generate-tls: makes (or reuses) the local CA and broker certificate, points
 * ssl.keystore.location at it, adds an SSL listener on the next port when no listener uses TLS,
 * and prints the client settings. Returns the overrides to apply.
 */
function withGeneratedTls(config: BrokerConfig, deps: CliDeps): string[] {
  const overrides: string[] = [];
  let listeners = config.listeners;
  const advertised = config.isSet('advertised.listeners') ? config.advertisedListeners : [];
  if (!listeners.some((l) => l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL')) {
    if (advertised.length > 0) throw new TlsSetupError('--generate-tls: advertised.listeners is set but no listener uses TLS; add an SSL listener to both');
    if (listeners.some((l) => l.name === 'SSL')) throw new TlsSetupError('--generate-tls: listener name SSL is taken by a non-TLS listener; add a TLS listener yourself');
    const first = listeners[0]!;
    const ssl = { name: 'SSL', host: first.host, port: first.port === 0 ? 0 : first.port + 1, securityProtocol: 'SSL' as const };
    listeners = [...listeners, ssl];
    const hostPart = (h: string) => (h.includes(':') ? `[${h}]` : h);
    overrides.push(`listeners=${listeners.map((l) => `${l.name}://${hostPart(l.host)}:${l.port}`).join(',')}`);
    const map = config.get('listener.security.protocol.map');
    if (!map.some((e) => e.toUpperCase().startsWith('SSL:'))) overrides.push(`listener.security.protocol.map=${[...map, 'SSL:SSL'].join(',')}`);
  }
  let tls;
  try {
    tls = generateTls(config.logDirs[0]!, [...listeners, ...advertised].map((l) => l.host));
  } catch (err) {
    throw new TlsSetupError((err as Error).message);
  }
  overrides.push(`ssl.keystore.location=${tls.keystoreFile}`, 'ssl.keystore.type=PEM');
  const endpoints = listeners
    .filter((l) => l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL')
    .map((l) => ({ name: l.name, protocol: l.securityProtocol, address: `${l.host || 'localhost'}:${l.port === 0 ? '<ephemeral port, see the listening log line>' : l.port}` }));
  deps.stdout(clientSettingsText(tls, endpoints));
  return overrides;
}

// The package's public API: `import { startBroker } from 'tributary'`. Importing it starts nothing.
import { startEmbedded } from './embedded.js';
import type { BrokerSettings, KnownBrokerSettings } from './config/settings.js';
import type { LogFormat, LogLevelSetting, LogSink } from './logging/logger.js';

export type { BrokerSettings, KnownBrokerSettings, LogFormat, LogLevelSetting, LogSink };
export { ConfigError } from './config/errors.js';
export { version } from './version.js';

export interface StartBrokerOptions {
  /**
   * Apache Kafka's broker keys as an object, e.g. `{ 'log.dirs': dir, listeners:
   * 'PLAINTEXT://127.0.0.1:0', 'num.partitions': 3 }` (lists as arrays or comma-separated).
   * Nothing is read from the environment or a properties file. Defaults as `tributary --help`.
   */
  config?: BrokerSettings;
  /** Default 'warn' (or config 'tributary.log.level'); 'silent' logs nothing. */
  logLevel?: LogLevelSetting;
  /** 'auto' (default): readable lines on a TTY, JSON lines otherwise. */
  logFormat?: LogFormat;
  /** Where log lines go; default process.stderr. */
  logStream?: LogSink;
}

export interface TributaryBroker {
  /** `host:port` for clients' bootstrap servers (the first listener; port 0 resolved). */
  readonly bootstrap: string;
  /** The first listener's bound port. */
  readonly port: number;
  /** Graceful shutdown: finishes in-flight requests, flushes and checkpoints logs. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a broker in this process and resolves once it listens. Throws ConfigError (naming the
 * key) on an invalid setting, and the listen error (e.g. EADDRINUSE) if a port is taken.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<TributaryBroker> {
  const started = await startEmbedded(options, 'warn');
  return Object.freeze({ bootstrap: started.bootstrap, port: started.port, close: started.close });
}

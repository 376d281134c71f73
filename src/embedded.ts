// Starting a broker inside a Node process, shared by the public API (index.ts) and the testing
// API (testing.ts). Only those two decide what of the broker users see.
import type { Broker } from './broker.js';
import { loadBrokerConfig } from './config/broker-config.js';
import { settingsToProps, type BrokerSettings } from './config/settings.js';
import { createLogger, type LogFormat, type LogLevelSetting, type LogSink } from './logging/logger.js';

export interface EmbeddedOptions {
  config?: BrokerSettings;
  logLevel?: LogLevelSetting;
  logFormat?: LogFormat;
  logStream?: LogSink;
}

export interface Embedded {
  broker: Broker;
  /** host:port of the first listener as clients should use it (advertised.listeners). */
  bootstrap: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbedded(opts: EmbeddedOptions, defaultLogLevel: LogLevelSetting): Promise<Embedded> {
  const props = settingsToProps(opts.config ?? {});
  const logger = createLogger({
    level: opts.logLevel ?? props['tributary.log.level'] ?? defaultLogLevel,
    format: opts.logFormat ?? (props['tributary.log.format'] as LogFormat | undefined),
    stream: opts.logStream,
    env: {},
  });
  // No environment, no properties file: an embedded broker is configured by its caller only.
  const config = loadBrokerConfig({ props, env: {}, warn: (w) => logger.warn(w) });
  // Loaded here, not at import time: importing the package must stay cheap and start nothing.
  const { startBroker } = await import('./broker.js');
  const started = await startBroker(config, logger);
  return { broker: started.broker, bootstrap: started.bootstrap, port: started.port, close: started.close };
}

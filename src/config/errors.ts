// A configuration problem the operator must fix. The message always names the key, the bad value
// and what was expected, in Kafka's ConfigException wording, because the CLI prints it verbatim
// (no stack trace) and exits 1.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    message: string,
    readonly key?: string,
    readonly value?: string | null,
  ) {
    super(message);
  }

  /** "Invalid value <value> for configuration <key>: <expectation>" */
  static invalid(key: string, value: string | null, expectation: string): ConfigError {
    return new ConfigError(`Invalid value ${value} for configuration ${key}: ${expectation}`, key, value);
  }
}

// The structured logger the storage layer reports through (the broker passes its own).
export interface StorageLogger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const SILENT_LOGGER: StorageLogger = { info() {}, warn() {}, error() {} };

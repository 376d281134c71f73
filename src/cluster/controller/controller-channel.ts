// A broker's requests to the controller when the controller is another broker (Kafka's
// BrokerToControllerChannelManager, KIP-590 forwarding): one connection to the current
// controller, re-resolved whenever the controller changes, the connection breaks, or the answer
// says NOT_CONTROLLER (an election raced the request). Retries until the deadline; every retry
// goes to whoever the store names as controller by then.
import { ErrorCode } from '../../../protocol/errors.js';
import type { Logger } from '../../logging/logger.js';
import type { InterBrokerSecurity } from '../inter-broker-security.js';
import { BrokerConnection, InterBrokerAuthError } from '../replication/broker-connection.js';
import type { InterBrokerAuthStats } from '../replication/replica-fetchers.js';

export interface ControllerLocator {
  /** The controller's id and where it listens, or undefined while there is none. */
  current(): { brokerId: number; host: string; port: number; security?: InterBrokerSecurity | null } | undefined;
}

const RETRY_BACKOFF_MS = 50;
/** A refused login is retried no faster than this grows to (as the replica fetchers back off). */
const AUTH_BACKOFF_MAX_MS = 5_000;
/** A refused login is logged at warn level once, then at most this often. */
const AUTH_WARN_INTERVAL_MS = 30_000;

export class ControllerUnavailableError extends Error {}

export class ControllerChannel {
  private conn: { brokerId: number; host: string; port: number; conn: BrokerConnection } | undefined;
  private closed = false;
  /** Logins the controller refused (TLS or SASL): a misconfiguration an operator must see. */
  readonly authStats: InterBrokerAuthStats = { failures: 0, lastError: null };
  private authFailuresInARow = 0;
  private lastAuthWarn = 0;

  constructor(
    private readonly locator: ControllerLocator,
    private readonly clientId: string,
    private readonly logger?: Logger,
  ) {}

  /**
   * Sends `body` as `apiKey`/`version` to the controller. `retriable(response)` says whether the
   * answer is NOT_CONTROLLER-like (then the request goes again, to the new controller).
   */
  async send<T>(apiKey: number, version: number, body: object, timeoutMs: number, retriable: (res: T) => boolean = (r) => hasNotController(r)): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'no controller is available';
    while (!this.closed) {
      const target = this.locator.current();
      if (target) {
        try {
          const conn = await this.connection(target);
          this.authFailuresInARow = 0;
          const res = await withTimeout(conn.send<T>(apiKey, version, body), Math.max(1, deadline - Date.now()));
          if (!retriable(res) || Date.now() >= deadline) return res;
          lastError = `broker ${target.brokerId} is no longer the controller`;
        } catch (err) {
          lastError = (err as Error).message;
          this.drop();
          if (err instanceof InterBrokerAuthError) this.loginRefused(target.brokerId, err);
        }
      }
      if (Date.now() >= deadline) break;
      const backoff = this.authFailuresInARow > 0 ? Math.min(AUTH_BACKOFF_MAX_MS, RETRY_BACKOFF_MS * 2 ** Math.min(this.authFailuresInARow, 7)) : RETRY_BACKOFF_MS;
      await new Promise((r) => setTimeout(r, Math.min(backoff, Math.max(1, deadline - Date.now()))));
    }
    throw new ControllerUnavailableError(lastError);
  }

  private async connection(target: { brokerId: number; host: string; port: number; security?: InterBrokerSecurity | null }): Promise<BrokerConnection> {
    const c = this.conn;
    if (c && !c.conn.closed && c.brokerId === target.brokerId && c.host === target.host && c.port === target.port) return c.conn;
    this.drop();
    const conn = await BrokerConnection.connect(target.host, target.port, this.clientId, undefined, target.security);
    if (this.closed) {
      conn.close();
      throw new ControllerUnavailableError('channel closed');
    }
    this.conn = { ...target, conn };
    return conn;
  }

  /** Counted and logged like the replica fetchers' refused logins: retrying cannot help until an operator fixes it. */
  private loginRefused(controllerId: number, err: InterBrokerAuthError): void {
    this.authStats.failures++;
    this.authStats.lastError = err.message;
    this.authFailuresInARow++;
    const now = Date.now();
    if (now - this.lastAuthWarn >= AUTH_WARN_INTERVAL_MS) {
      this.lastAuthWarn = now;
      this.logger?.warn('inter-broker authentication failed; requests to the controller fail until it succeeds', { controller: controllerId, error: err.message, failures: this.authStats.failures });
    }
  }

  private drop(): void {
    this.conn?.conn.close();
    this.conn = undefined;
  }

  close(): void {
    this.closed = true;
    this.drop();
  }
}

/** Whether any error code in a decoded response is NOT_CONTROLLER. */
export function hasNotController(res: unknown, depth = 0): boolean {
  if (!res || typeof res !== 'object' || depth > 6) return false;
  const o = res as Record<string, unknown>;
  if (o.errorCode === ErrorCode.NOT_CONTROLLER) return true;
  for (const v of Object.values(o)) {
    if (Array.isArray(v)) {
      for (const x of v) if (hasNotController(x, depth + 1)) return true;
    } else if (v && typeof v === 'object' && hasNotController(v, depth + 1)) return true;
  }
  return false;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the controller within ${ms} ms`)), ms))),
  ]);
}
